"""VyOS 1.4/1.5 (``set`` commands): parse into tunnel facts.

IPsec: ``vpn ipsec site-to-site peer`` → ``ike-group`` (key-exchange, DPD, proposals),
``vti esp-group`` / ``default-esp-group`` (proposals, PFS), ``vti bind`` → ``interfaces vti``;
identities, replay-window, connection-type on the peer; PSKs under ``vpn ipsec authentication
psk``. GRE: ``interfaces tunnel`` with ``encapsulation 'gre'``. Syntax: vendor-syntax.md §4
(vyos-1x reference trees, peer.j2 rendering).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from netgen.lint.model import (
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
from netgen.lint.syntax.junos_set import Stmt, statements

_HASH = {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512", "md5": "md5"}


def _encryption(value: str, loc: Loc) -> Algo:
    m = re.fullmatch(r"aes(128|192|256)(gcm(\d+))?", value)
    if m and m.group(2) is None:
        return Algo("encryption", f"aes-{m.group(1)}-cbc", loc, value)
    if m and m.group(3) == "128":  # VyOS names GCM by its ICV bits: gcm128 = GCM-16
        return Algo("encryption", f"aes-{m.group(1)}-gcm", loc, value)
    return Algo("encryption", value, loc, value)


def proposal(name: str, body: list[Stmt], *, esp: bool) -> tuple[Proposal, list[Algo]]:
    """One numbered proposal of an ike-/esp-group: (proposal, its DH groups)."""
    keys = {s.words[0]: s for s in body if len(s.words) > 1}
    algos: list[Algo] = []
    enc = keys.get("encryption")
    if enc is not None:
        algos.append(_encryption(enc.words[1], enc.loc))
    aead = bool(algos) and algos[0].token.endswith("-gcm")
    hsh = keys.get("hash")
    if hsh is not None:  # with AEAD, strongSwan drops integrity and derives the PRF from it
        token = _HASH.get(hsh.words[1], hsh.words[1])
        if not aead:
            algos.append(Algo("integrity", token, hsh.loc, hsh.words[1]))
        if not esp and "prf" not in keys:
            algos.append(Algo("prf", token, hsh.loc, hsh.words[1]))
    prf = keys.get("prf")
    if prf is not None and not esp:
        algos.append(Algo("prf", prf.words[1].removeprefix("prf"), prf.loc, prf.words[1]))
    dh = keys.get("dh-group")
    groups = [Algo("dh", dh.words[1], dh.loc, dh.words[1])] if dh is not None else []
    loc = body[0].loc if body else Loc("<config>", 0)
    return Proposal(name, loc, tuple(algos + ([] if esp else groups))), groups


def _proposals(group: str, body: list[Stmt], *, esp: bool) -> tuple[list[Proposal], list[Algo]]:
    numbered: dict[str, list[Stmt]] = defaultdict(list)
    for s in body:
        if s.words[0] == "proposal" and len(s.words) > 2:
            numbered[s.words[1]].append(s.below(2))
    props, groups = [], []
    for num, stmts in sorted(numbered.items(), key=lambda kv: kv[0]):
        p, g = proposal(f"{group} proposal {num}", stmts, esp=esp)
        props.append(p)
        groups += g
    return props, groups


class _Config:
    def __init__(self, sources: Sequence[Source]) -> None:
        self.facts = ConfigFacts()
        self.stmts = [s for src in sources for s in statements(src)]
        self.objs: dict[tuple[str, str], list[Stmt]] = defaultdict(list)
        prefixes = {
            ("interfaces", "vti"): "interface",
            ("interfaces", "tunnel"): "interface",
            ("vpn", "ipsec", "ike-group"): "ike-group",
            ("vpn", "ipsec", "esp-group"): "esp-group",
            ("vpn", "ipsec", "site-to-site", "peer"): "peer",
            ("vpn", "ipsec", "authentication", "psk"): "psk",
        }
        for s in self.stmts:
            for prefix, kind in prefixes.items():
                n = len(prefix)
                if s.words[:n] == prefix and len(s.words) > n:
                    self.objs[(kind, s.words[n])].append(s.below(n + 1))
                    self.facts.define(kind, s.words[n], s.loc)

    def ref(self, kind: str, name: str, loc: Loc) -> list[Stmt] | None:
        self.facts.refer(kind, name, loc)
        return self.objs.get((kind, name))


def _first(body: list[Stmt], *prefix: str) -> Stmt | None:
    n = len(prefix)
    return next((s for s in body if s.words[:n] == prefix and len(s.words) > n), None)


def _interface(t: TunnelFacts, name: str, body: list[Stmt]) -> None:
    t.labels += (name,)
    t.iface = f"interface {name}"
    t.interface_loc = body[0].loc if body else t.loc
    for key, attr in (("address",), "address"), (("mtu",), "mtu"), (("ip", "adjust-mss"), "mss"):
        s = _first(body, *key)
        if s is None:
            continue
        value = s.words[len(key)]
        if attr == "address":
            t.address = At(value, s.loc, s.text)
        elif value.isdigit():
            setattr(t, attr, At(int(value), s.loc, s.text))
    desc = _first(body, "description")
    if desc is not None:
        t.labels += tuple(desc.words[1].split())
    pmtu = _first(body, "ip", "adjust-mss")
    if pmtu is not None and pmtu.words[2] == "clamp-mss-to-pmtu":
        mtu = t.mtu.value if t.mtu else _platform_default_mtu(name)
        t.mss = At(mtu - 40, pmtu.loc, f"{pmtu.text} (MSS = MTU {mtu} - 40)")


def _platform_default_mtu(interface: str) -> int:
    """VyOS's own default MTU of an interface without `mtu` (its platform default, not a
    Cloudflare limit): vti 1500, tun (GRE) 1500 - 20 - 4."""
    return 1500 if interface.startswith("vti") else 1500 - 24


def _ike_group(cfg: _Config, t: TunnelFacts, ref: Stmt) -> list[Algo]:
    body = cfg.ref("ike-group", ref.words[1], ref.loc)
    if body is None:
        t.unknown |= {"ike_version", "ike_proposals", "dpd"}
        return []
    name, head = ref.words[1], body[0]
    t.ike_anchor = head.loc
    kx = _first(body, "key-exchange")
    t.ike_version = (
        At({"ikev2": "2", "ikev1": "1"}.get(kx.words[1], "any"), kx.loc, kx.text)
        if kx
        else At("1", head.loc, f"ike-group {name} has no key-exchange (default ikev1)")
    )
    action = _first(body, "dead-peer-detection", "action")
    if action is not None:
        t.dpd = At(action.words[2], action.loc, action.text)
    else:
        t.dpd = At("none", head.loc, f"ike-group {name} has no dead-peer-detection action")
    t.ike_proposals, groups = _proposals(f"ike-group {name}", body, esp=False)
    return groups


def _esp_group(cfg: _Config, t: TunnelFacts, ref: Stmt, ike_groups: list[Algo]) -> None:
    body = cfg.ref("esp-group", ref.words[-1], ref.loc)
    if body is None:
        t.unknown |= {"esp_proposals", "pfs"}
        return
    t.esp_anchor = body[0].loc
    t.esp_proposals, _ = _proposals(f"esp-group {ref.words[-1]}", body, esp=True)
    pfs = _first(body, "pfs")
    value = pfs.words[1] if pfs else "enable"
    loc, text = (pfs.loc, pfs.text) if pfs else (body[0].loc, "esp-group has no pfs (enable)")
    if value == "disable":
        t.pfs = At("none", loc, text)
    elif value == "enable":  # the first IKE proposal's DH group (vyos-1x get_esp_ike_cipher)
        t.pfs = At(ike_groups[0].token, loc, text) if ike_groups else None
        if not ike_groups and "ike_proposals" in t.unknown:
            t.unknown.add("pfs")
    else:
        t.pfs = At(value.removeprefix("dh-group"), loc, text)


def _peer(cfg: _Config, name: str, body: list[Stmt]) -> TunnelFacts:
    head = body[0]
    t = TunnelFacts(f"site-to-site peer {name}", head.loc, kind=At("ipsec", head.loc))
    t.labels = (name,)
    for key, attr in (
        (("remote-address",), "peer"),
        (("authentication", "local-id"), "local_id"),
        (("authentication", "remote-id"), "remote_id"),
    ):
        s = _first(body, *key)
        if s is not None:
            setattr(t, attr, At(s.words[len(key)], s.loc, s.text))
    mode = _first(body, "authentication", "mode")
    t.auth = At(
        "psk" if mode is None or mode.words[2] == "pre-shared-secret" else mode.words[2],
        mode.loc if mode else head.loc,
        mode.text if mode else "",
    )
    ctype = _first(body, "connection-type")
    t.initiate = At(
        ctype is not None and ctype.words[1] == "initiate" and not name.startswith("@"),
        ctype.loc if ctype else head.loc,
        ctype.text if ctype else f"peer {name} has no connection-type",
    )
    rw = _first(body, "replay-window")
    t.replay = At(
        rw is None or rw.words[1] != "0",
        rw.loc if rw else head.loc,
        rw.text if rw else f"peer {name} has no replay-window (default 32)",
    )
    ike = _first(body, "ike-group")
    groups = _ike_group(cfg, t, ike) if ike else []
    if ike is None:
        t.unknown |= {"ike_version", "ike_proposals", "dpd"}
    esp = _first(body, "vti", "esp-group") or _first(body, "default-esp-group")
    if esp is None:
        t.unknown |= {"esp_proposals", "pfs"}
    else:
        _esp_group(cfg, t, esp, groups)
    bind = _first(body, "vti", "bind")
    iface = cfg.ref("interface", bind.words[2], bind.loc) if bind else None
    if bind is None or iface is None:
        t.unknown |= {"address", "mtu", "mss"}
    else:
        _interface(t, bind.words[2], iface)
    _psk(cfg, t)
    return t


def _psk(cfg: _Config, t: TunnelFacts) -> None:
    ids = {
        s.words[1]
        for (k, _), body in cfg.objs.items()
        if k == "psk"
        for s in body
        if s.words[0] == "id" and len(s.words) > 1
    }
    want = t.remote_id or t.peer
    known = {a.value for a in (t.remote_id, t.peer, t.local_id) if a is not None}
    if want is not None and ids and not known & ids:
        cfg.facts.findings.append(
            Finding(
                "CF014",
                Severity.ERROR,
                f"no `vpn ipsec authentication psk` entry has the id "
                f"{want.value}: no PSK is found for this peer",
                want.loc.file,
                want.loc.line,
                "add `set vpn ipsec authentication psk <name> id '<endpoint>'`",
            )
        )


def parse(sources: Sequence[Source]) -> ConfigFacts:
    """Tunnel facts of a VyOS ``set`` config."""
    cfg = _Config(sources)
    for (kind, name), body in list(cfg.objs.items()):
        if kind == "peer":
            cfg.facts.tunnels.append(_peer(cfg, name, body))
        elif kind == "interface" and name.startswith("tun"):
            enc = _first(body, "encapsulation")
            if enc is None or enc.words[1] not in ("gre", "gretap"):
                continue
            t = TunnelFacts(f"interfaces tunnel {name}", body[0].loc, kind=At("gre", enc.loc))
            remote = _first(body, "remote")
            if remote is not None:
                t.peer = At(remote.words[1], remote.loc, remote.text)
            _interface(t, name, body)
            cfg.facts.tunnels.append(t)
    for s in cfg.stmts:
        if s.words[:2] == ("protocols", "static") and "interface" in s.words:
            iface = s.words[s.words.index("interface") + 1 :][:1]
            if iface and re.fullmatch(r"(vti|tun)\d+", iface[0]):
                cfg.ref("interface", iface[0], s.loc)
    return cfg.facts
