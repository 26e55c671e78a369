"""Juniper SRX (Junos ``set`` commands): parse into tunnel facts.

IPsec: ``security ipsec vpn`` → ``bind-interface st0.N``, ``ike gateway`` (address, identities,
version, DPD) → ``ike policy`` → ``ike proposal``; ``ike ipsec-policy`` → PFS + ``ipsec
proposal``. GRE: ``gr-`` units with ``tunnel destination``. MSS: global ``security flow tcp-mss``
or per-policy ``tcp-options``. Syntax: reference/vendor-syntax.md §2 (Junos 23.4R2 tree).
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from netgen.lint.model import (
    ESP_FIELDS,
    IKE_FIELDS,
    Algo,
    At,
    ConfigFacts,
    Finding,
    Loc,
    Proposal,
    Severity,
    Source,
    TunnelFacts,
)

# zones an SRX has before any config (factory default); policies may name them freely
PREDEFINED_ZONES = frozenset({"trust", "untrust", "junos-host"})
_AUTH = {"sha-256": "sha256", "sha-384": "sha384", "sha-512": "sha512", "sha1": "sha1"}
_ESP_AUTH = {"hmac-sha-256-128": "sha256", "hmac-sha1-96": "sha1", "hmac-md5-96": "md5"}


@dataclass(frozen=True)
class Stmt:
    words: tuple[str, ...]
    loc: Loc
    text: str  # the whole line as written, for messages

    def below(self, n: int) -> Stmt:
        """The same statement with its first ``n`` words (the owning object) removed."""
        return Stmt(self.words[n:], self.loc, self.text)


def statements(src: Source) -> list[Stmt]:
    out = []
    for no, raw in enumerate(src.text.splitlines(), start=1):
        line = raw.strip()
        if not line.startswith("set "):
            continue
        try:
            words = shlex.split(line, posix=True)
        except ValueError:
            words = line.split()
        words = [w for w in words if w not in ("[", "]")]  # `proposals [ A B ]`
        out.append(Stmt(tuple(words[1:]), Loc(src.file, no), line))
    return out


_KINDS: dict[tuple[str, ...], str] = {
    ("security", "ike", "proposal"): "ike proposal",
    ("security", "ike", "policy"): "ike policy",
    ("security", "ike", "gateway"): "ike gateway",
    ("security", "ipsec", "proposal"): "ipsec proposal",
    ("security", "ipsec", "policy"): "ipsec policy",
    ("security", "ipsec", "vpn"): "ipsec vpn",
    ("security", "zones", "security-zone"): "zone",
    ("routing-instances",): "routing-instance",
    ("policy-options", "policy-statement"): "policy-statement",
}


class _Config:
    """Statements grouped by object: (kind, name) → statements below it (prefix stripped)."""

    def __init__(self, sources: Sequence[Source]) -> None:
        self.facts = ConfigFacts()
        self.stmts = [s for src in sources for s in statements(src)]
        self.objs: dict[tuple[str, str], list[Stmt]] = defaultdict(list)
        self.zone_of: dict[str, str] = {}
        for s in self.stmts:
            w = s.words
            if w[:1] == ("interfaces",) and len(w) >= 4 and w[2] == "unit":
                self.add("interface", f"{w[1]}.{w[3]}", s.below(4))
                continue
            for prefix, kind in _KINDS.items():
                n = len(prefix)
                if w[:n] == prefix and len(w) > n:
                    self.add(kind, w[n], s.below(n + 1))
                    if kind == "zone" and w[n + 1 : n + 2] == ("interfaces",) and len(w) > n + 2:
                        self.zone_of.setdefault(w[n + 2], w[n])
        for name in PREDEFINED_ZONES:
            self.facts.defined.setdefault(("zone", name), Loc("<predefined>", 0))

    def add(self, kind: str, name: str, stmt: Stmt) -> None:
        self.objs[(kind, name)].append(stmt)
        self.facts.define(kind, name, stmt.loc)

    def get(self, kind: str, name: str) -> list[Stmt]:
        return self.objs.get((kind, name), [])

    def ref(self, kind: str, name: str, loc: Loc) -> list[Stmt] | None:
        self.facts.refer(kind, name, loc)
        return self.objs.get((kind, name))

    def find(self, kind: str, name: str, *prefix: str) -> Stmt | None:
        n = len(prefix)
        return next((s for s in self.get(kind, name) if s.words[:n] == prefix), None)

    def stmt(self, *prefix: str) -> Stmt | None:
        n = len(prefix)
        return next((s for s in self.stmts if s.words[:n] == prefix), None)


def _ike_proposal(name: str, body: list[Stmt]) -> Proposal:
    algos = []
    enc = next((s.words[1] for s in body if s.words[:1] == ("encryption-algorithm",)), "")
    for s in body:
        key, val = s.words[0], s.words[1] if len(s.words) > 1 else ""
        if key == "encryption-algorithm":
            algos.append(Algo("encryption", val, s.loc, val))
        elif key == "authentication-algorithm":
            # 23.4 has no prf-algorithm: with GCM this selects the PRF, with CBC both (§2.6)
            kinds = ("prf",) if enc.endswith("-gcm") else ("integrity", "prf")
            algos += [Algo(k, _AUTH.get(val, val), s.loc, val) for k in kinds]
        elif key == "dh-group":
            algos.append(Algo("dh", val.removeprefix("group"), s.loc, val))
    return Proposal(name, body[0].loc, tuple(algos))


def _esp_proposal(name: str, body: list[Stmt]) -> Proposal:
    algos = []
    for s in body:
        key, val = s.words[0], s.words[1] if len(s.words) > 1 else ""
        if key == "encryption-algorithm":
            algos.append(Algo("encryption", val.replace("3des-cbc", "3des"), s.loc, val))
        elif key == "authentication-algorithm":
            algos.append(Algo("integrity", _ESP_AUTH.get(val, val), s.loc, val))
        elif key == "protocol" and val != "esp":
            algos.append(Algo("encryption", val, s.loc, f"protocol {val}"))
    return Proposal(name, body[0].loc, tuple(algos))


def _proposals(cfg: _Config, t: TunnelFacts, body: list[Stmt], kind: str) -> list[Proposal]:
    """Proposals listed by an IKE or IPsec policy (``body``); predefined sets are flagged."""
    parse = _ike_proposal if kind == "ike proposal" else _esp_proposal
    field = "ike_proposals" if kind == "ike proposal" else "esp_proposals"
    props: list[Proposal] = []
    for s in body:
        if s.words[0] == "proposal-set" and len(s.words) > 1:
            text = f"proposal-set {s.words[1]}"
            props.append(Proposal(text, s.loc, (Algo("encryption", text, s.loc, text),)))
        elif s.words[0] == "proposals":
            for name in s.words[1:]:
                found = cfg.ref(kind, name, s.loc)
                if found is None:
                    t.unknown.add(field)
                else:
                    props.append(parse(name, found))
    return props


def _gateway(cfg: _Config, t: TunnelFacts, name: str, body: list[Stmt]) -> None:
    head = body[0]
    t.labels += (name,)
    t.ike_anchor = head.loc
    by_key: dict[str, Stmt] = {}
    for s in body:
        by_key.setdefault(s.words[0], s)
    if "address" in by_key and len(by_key["address"].words) > 1:
        t.peer = At(by_key["address"].words[1], by_key["address"].loc, by_key["address"].text)
    ver = by_key.get("version")
    if ver is None:
        t.ike_version = At(
            "1", head.loc, f"ike gateway {name} has no `version` (Junos default v1-only)"
        )
    else:
        value = {"v2-only": "2", "v1-only": "1"}.get(ver.words[1], "any")
        t.ike_version = At(value, ver.loc, ver.text)
    for key, attr in (("local-identity", "local_id"), ("remote-identity", "remote_id")):
        ident = by_key.get(key)
        if ident is not None and len(ident.words) > 2:
            w = ident.words
            value = w[2] if w[1] == "inet" or key == "local-identity" else f"{w[1]} {w[2]}"
            setattr(t, attr, At(value, ident.loc, ident.text))
    dpd = by_key.get("dead-peer-detection")
    t.dpd = (
        At("enabled", dpd.loc, dpd.text)
        if dpd
        else At("none", head.loc, f"ike gateway {name} has no dead-peer-detection")
    )
    pol = by_key.get("ike-policy")
    if pol is None or len(pol.words) < 2:
        t.unknown.add("ike_proposals")
        return
    pbody = cfg.ref("ike policy", pol.words[1], pol.loc)
    if pbody is None:
        t.unknown |= {"ike_proposals", "auth"}
        return
    t.ike_proposals = _proposals(cfg, t, pbody, "ike proposal")
    for p in t.ike_proposals:
        method = cfg.find("ike proposal", p.name, "authentication-method")
        if method is not None and method.words[1:2] != ("pre-shared-keys",):
            t.auth = At(method.words[1], method.loc, method.text)
    t.auth = t.auth or At("psk", pol.loc, pol.text)


def _ipsec_policy(cfg: _Config, t: TunnelFacts, ref: Stmt) -> None:
    body = cfg.ref("ipsec policy", ref.words[2], ref.loc) if len(ref.words) > 2 else None
    if body is None:
        t.unknown |= {"esp_proposals", "pfs"}
        return
    t.esp_anchor = body[0].loc
    t.esp_proposals = _proposals(cfg, t, body, "ipsec proposal")
    pfs = next((s for s in body if s.words[:2] == ("perfect-forward-secrecy", "keys")), None)
    if pfs is not None and len(pfs.words) > 2:
        t.pfs = At(pfs.words[2].removeprefix("group"), pfs.loc, pfs.text)
    else:
        t.pfs = At(
            "none", body[0].loc, f"ipsec policy {ref.words[2]} has no perfect-forward-secrecy"
        )


def _interface(cfg: _Config, t: TunnelFacts, name: str, anchor: Loc) -> None:
    body = cfg.get("interface", name)
    t.labels += (name,)
    t.iface = f"interface {name}"
    t.interface_loc = body[0].loc if body else anchor
    for s in body:
        w = s.words
        if w[:3] == ("family", "inet", "address") and len(w) > 3 and t.address is None:
            t.address = At(w[3], s.loc, s.text)
        elif w[:3] == ("family", "inet", "mtu") and len(w) > 3 and w[3].isdigit():
            t.mtu = At(int(w[3]), s.loc, s.text)
        elif w[:1] == ("description",) and len(w) > 1:
            t.labels += tuple(w[1].split())
        elif w[:2] == ("tunnel", "destination") and len(w) > 2:
            t.peer = At(w[2], s.loc, s.text)
        elif w[:3] == ("tunnel", "routing-instance", "destination") and len(w) > 3:
            cfg.ref("routing-instance", w[3], s.loc)
    _mss(cfg, t, name)


def _mss(cfg: _Config, t: TunnelFacts, iface: str) -> None:
    """Per-policy tcp-options of the tunnel's zone override the global ipsec-vpn clamp."""
    zone = cfg.zone_of.get(iface)
    per_policy = [
        s
        for s in cfg.stmts
        if s.words[:2] == ("security", "policies")
        and zone is not None
        and zone in (s.words[3:4] + s.words[5:6])
        and "tcp-options" in s.words
        and s.words[-1].isdigit()
    ]
    if per_policy:
        worst = max(per_policy, key=lambda s: int(s.words[-1]))
        t.mss = At(int(worst.words[-1]), worst.loc, worst.text)
        return
    keys = ("ipsec-vpn", "all-tcp") if t.is_ipsec else ("all-tcp",)
    for key in keys:
        s = cfg.stmt("security", "flow", "tcp-mss", key, "mss")
        if s is not None and s.words[-1].isdigit():
            t.mss = At(int(s.words[-1]), s.loc, s.text)
            return


def _vpn(cfg: _Config, name: str, body: list[Stmt]) -> TunnelFacts:
    head = body[0]
    t = TunnelFacts(f"ipsec vpn {name}", head.loc, kind=At("ipsec", head.loc), labels=(name,))
    by_key: dict[tuple[str, ...], Stmt] = {}
    for s in body:
        by_key.setdefault(s.words[:2] if s.words[0] == "ike" else s.words[:1], s)
    est = by_key.get(("establish-tunnels",))
    if est is None:
        t.initiate = At(
            False,
            head.loc,
            f"ipsec vpn {name} has no `establish-tunnels immediately` (Junos default on-traffic)",
        )
    else:
        t.initiate = At(est.words[1:2] == ("immediately",), est.loc, est.text)
    anti = by_key.get(("ike", "no-anti-replay"))
    t.replay = At(
        anti is None,
        anti.loc if anti else head.loc,
        anti.text if anti else f"ipsec vpn {name} has no `ike no-anti-replay`",
    )
    bind = by_key.get(("bind-interface",))
    if bind is not None and len(bind.words) > 1:
        if (
            cfg.ref("interface", bind.words[1], bind.loc) is not None
            and bind.words[1] not in cfg.zone_of
        ):
            cfg.facts.findings.append(
                Finding(
                    "CF015",
                    Severity.ERROR,
                    f"interface {bind.words[1]} is in no security zone",
                    bind.loc.file,
                    bind.loc.line,
                    "add it to a zone, e.g. `set security zones "
                    f"security-zone cloudflare interfaces {bind.words[1]}`",
                )
            )
        _interface(cfg, t, bind.words[1], head.loc)
    else:
        t.unknown |= {"mtu", "mss", "address"}
    gw = by_key.get(("ike", "gateway"))
    gbody = cfg.ref("ike gateway", gw.words[2], gw.loc) if gw and len(gw.words) > 2 else None
    if gbody is None:
        t.unknown |= IKE_FIELDS
    else:
        _gateway(cfg, t, gw.words[2] if gw else "", gbody)
    pol = by_key.get(("ike", "ipsec-policy"))
    if pol is None:
        t.unknown |= ESP_FIELDS - {"replay"}
    else:
        _ipsec_policy(cfg, t, pol)
    return t


def parse(sources: Sequence[Source]) -> ConfigFacts:
    """Tunnel facts of a Junos ``set`` config."""
    cfg = _Config(sources)
    bound: set[str] = set()
    for (kind, name), body in list(cfg.objs.items()):
        if kind == "ipsec vpn":
            t = _vpn(cfg, name, body)
            bound.update(t.labels)
            cfg.facts.tunnels.append(t)
    for (kind, name), body in list(cfg.objs.items()):
        if kind == "interface" and name.startswith("gr-") and name not in bound:
            t = TunnelFacts(f"interface {name}", body[0].loc, kind=At("gre", body[0].loc))
            _interface(cfg, t, name, body[0].loc)
            cfg.facts.tunnels.append(t)
    for s in cfg.stmts:
        w = s.words
        if w[:2] == ("security", "policies") and len(w) > 5 and w[2] == "from-zone":
            cfg.ref("zone", w[3], s.loc)
            cfg.ref("zone", w[5], s.loc)
        elif w[:3] == ("routing-options", "forwarding-table", "export") and len(w) > 3:
            cfg.ref("policy-statement", w[3], s.loc)
    return cfg.facts
