"""Cisco IOS-XE: parse a running-config style text into tunnel facts.

Route-based IPsec (sVTI) and GRE: ``interface TunnelN`` → ``tunnel protection ipsec profile``
→ ``crypto ipsec profile`` (transform-set, PFS, replay, ``set ikev2-profile``) → ``crypto ikev2
profile`` (identities, keyring, DPD) ; IKE proposals come from every ``crypto ikev2 policy``.
Syntax: reference/vendor-syntax.md §1 (Cisco-IOS-XE-crypto.yang 17.9, Cloudflare's guide).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

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


@dataclass
class Node:
    words: list[str]
    loc: Loc
    children: list[Node] = field(default_factory=list)

    def sub(self, *prefix: str) -> Iterator[Node]:
        """Children whose words start with ``prefix``."""
        n = len(prefix)
        return (c for c in self.children if c.words[:n] == list(prefix))

    def first(self, *prefix: str) -> Node | None:
        return next(self.sub(*prefix), None)

    @property
    def text(self) -> str:
        return " ".join(self.words)


def parse_tree(src: Source) -> list[Node]:
    """Indentation tree of the config; ``!`` comment lines and blanks are skipped."""
    roots: list[Node] = []
    stack: list[tuple[int, Node]] = []
    for no, raw in enumerate(src.text.splitlines(), start=1):
        body = raw.strip()
        if not body or body.startswith("!"):
            continue
        indent = len(raw) - len(raw.lstrip())
        node = Node(body.split(), Loc(src.file, no))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(node)
        stack.append((indent, node))
    return roots


def _ike_algo(kind: str, word: str, loc: Loc) -> Algo:
    m = re.fullmatch(r"aes-(cbc|gcm)-(\d+)", word)
    token = f"aes-{m.group(2)}-{m.group(1)}" if m else word
    return Algo(kind, token, loc, word)


def ike_proposal(node: Node) -> Proposal:
    algos: list[Algo] = []
    for c in node.children:
        kind = {"encryption": "encryption", "integrity": "integrity", "prf": "prf", "group": "dh"}
        if c.words[0] in kind:
            algos += [_ike_algo(kind[c.words[0]], w, c.loc) for w in c.words[1:]]
    return Proposal(node.words[3], node.loc, tuple(algos))


_ESP_INTEG = {
    "esp-sha-hmac": "sha1",
    "esp-sha256-hmac": "sha256",
    "esp-sha384-hmac": "sha384",
    "esp-sha512-hmac": "sha512",
    "esp-md5-hmac": "md5",
}


def transform_set(node: Node) -> Proposal:
    words, algos = node.words[4:], []
    i = 0
    while i < len(words):
        w = words[i]
        bits = words[i + 1] if i + 1 < len(words) and words[i + 1].isdigit() else None
        if w in ("esp-gcm", "esp-aes"):
            mode = "gcm" if w == "esp-gcm" else "cbc"
            algos.append(Algo("encryption", f"aes-{bits or 128}-{mode}", node.loc, w))
            i += 2 if bits else 1
            continue
        if w in _ESP_INTEG:
            algos.append(Algo("integrity", _ESP_INTEG[w], node.loc, w))
        elif not w.startswith("comp-"):
            algos.append(Algo("encryption", w, node.loc, w))
        i += 1
    return Proposal(node.words[3], node.loc, tuple(algos))


class _Config:
    def __init__(self, sources: Sequence[Source]) -> None:
        self.facts = ConfigFacts()
        self.roots = [n for s in sources for n in parse_tree(s)]
        self.objects: dict[tuple[str, str], Node] = {}
        kinds: dict[tuple[str, ...], str] = {
            ("crypto", "ikev2", "proposal"): "ikev2 proposal",
            ("crypto", "ikev2", "policy"): "ikev2 policy",
            ("crypto", "ikev2", "keyring"): "ikev2 keyring",
            ("crypto", "ikev2", "profile"): "ikev2 profile",
            ("crypto", "ipsec", "transform-set"): "transform-set",
            ("crypto", "ipsec", "profile"): "ipsec profile",
        }
        for n in self.roots:
            kind = kinds.get(tuple(n.words[:3]))
            if kind and len(n.words) > 3:
                self.add(kind, n.words[3], n)
            elif n.words[0] == "interface" and len(n.words) > 1:
                self.add("interface", n.words[1], n)

    def add(self, kind: str, name: str, node: Node) -> None:
        self.objects.setdefault((kind, name), node)
        self.facts.define(kind, name, node.loc)

    def ref(self, kind: str, name: str, loc: Loc) -> Node | None:
        self.facts.refer(kind, name, loc)
        return self.objects.get((kind, name))

    def global_line(self, *prefix: str) -> Node | None:
        n = len(prefix)
        return next((r for r in self.roots if r.words[:n] == list(prefix)), None)

    def ike_proposals(self) -> tuple[list[Proposal], bool]:
        """(proposals of every ikev2 policy, all resolved?)."""
        props: list[Proposal] = []
        resolved = True
        for (kind, _), pol in list(self.objects.items()):
            if kind != "ikev2 policy":
                continue
            for p in pol.sub("proposal"):
                for name in p.words[1:]:
                    node = self.ref("ikev2 proposal", name, p.loc)
                    if node is None:
                        resolved = False
                    else:
                        props.append(ike_proposal(node))
        return props, resolved


def _mask_len(mask: str) -> int | None:
    try:
        return IPv4Network(f"0.0.0.0/{mask}").prefixlen
    except ValueError:
        return None


def _interface(t: TunnelFacts, iface: Node) -> None:
    ip = iface.first("ip", "address")
    if ip is not None and len(ip.words) >= 4:
        plen = _mask_len(ip.words[3])
        value = f"{ip.words[2]}/{plen}" if plen is not None else ip.words[2]
        t.address = At(value, ip.loc, ip.text)
    for attr, words in (("mtu", ("ip", "mtu")), ("mss", ("ip", "tcp", "adjust-mss"))):
        n = iface.first(*words)
        if n is not None and n.words[-1].isdigit():
            setattr(t, attr, At(int(n.words[-1]), n.loc, n.text))


def _ikev2_profile(cfg: _Config, t: TunnelFacts, prof: Node) -> None:
    t.ike_version = At("2", prof.loc, prof.text)
    t.ike_anchor = prof.loc
    t.labels += (prof.words[3],)
    ident = prof.first("identity", "local")
    if ident is not None and len(ident.words) >= 4:
        t.local_id = At(ident.words[3], ident.loc, ident.text)
    remote = prof.first("match", "identity", "remote")
    if remote is not None and len(remote.words) >= 5:
        value = remote.words[4]
        if remote.words[3] != "address":
            value = f"{remote.words[3]} {value}"
        elif len(remote.words) > 5 and remote.words[5] != "255.255.255.255":
            value = f"{value} {remote.words[5]}"
        t.remote_id = At(value, remote.loc, remote.text)
    dpd = prof.first("dpd") or cfg.global_line("crypto", "ikev2", "dpd")
    t.dpd = At("enabled", dpd.loc, dpd.text) if dpd else At("none", prof.loc, prof.text)
    for auth in prof.sub("authentication"):
        if len(auth.words) >= 3 and auth.words[2] != "pre-share":
            t.auth = At(auth.words[2], auth.loc, auth.text)
    t.auth = t.auth or At("psk", prof.loc, prof.text)
    _keyring(cfg, t, prof)


def _keyring(cfg: _Config, t: TunnelFacts, prof: Node) -> None:
    ref = prof.first("keyring", "local")
    if ref is None or len(ref.words) < 3:
        cfg.facts.findings.append(
            Finding(
                "CF020",
                Severity.ERROR,
                f"{prof.text}: no `keyring local`, so no pre-shared key for the peer",
                prof.loc.file,
                prof.loc.line,
                "add `keyring local <name>` with a peer for the Cloudflare endpoint",
            )
        )
        return
    keyring = cfg.ref("ikev2 keyring", ref.words[2], ref.loc)
    if keyring is None or t.peer is None:
        return
    t.labels += (ref.words[2],)
    addrs = [a for p in keyring.sub("peer") for a in p.sub("address")]
    if not any(_covers(a.words[1:], t.peer.value) for a in addrs):
        cfg.facts.findings.append(
            Finding(
                "CF014",
                Severity.ERROR,
                f"keyring {ref.words[2]} has no peer with address "
                f"{t.peer.value} (the tunnel destination): no PSK is found for it",
                ref.loc.file,
                ref.loc.line,
                "add `peer <name>` / `address <endpoint>` / `pre-shared-key` to the keyring",
            )
        )


def _covers(words: list[str], peer: str) -> bool:
    try:
        mask = words[1] if len(words) > 1 else "255.255.255.255"
        return IPv4Address(peer) in IPv4Network(f"{words[0]}/{mask}", strict=False)
    except (ValueError, IndexError):
        return False


def _ipsec_profile(cfg: _Config, t: TunnelFacts, prof: Node) -> None:
    t.esp_anchor = prof.loc
    t.labels += (prof.words[3],)
    for ts in prof.sub("set", "transform-set"):
        for name in ts.words[2:]:
            node = cfg.ref("transform-set", name, ts.loc)
            if node is None:
                t.unknown.add("esp_proposals")
            else:
                t.esp_proposals.append(transform_set(node))
    pfs = prof.first("set", "pfs")
    if pfs is not None and len(pfs.words) > 2:
        t.pfs = At(pfs.words[2].removeprefix("group"), pfs.loc, pfs.text)
    else:
        t.pfs = At("none", prof.loc, f"{prof.text} has no `set pfs`")
    replay = prof.first("set", "security-association", "replay")
    glob = cfg.global_line("crypto", "ipsec", "security-association", "replay", "disable")
    if replay is not None:
        t.replay = At(replay.words[3] != "disable", replay.loc, replay.text)
    else:
        t.replay = At(glob is None, prof.loc, prof.text)
    ike = prof.first("set", "ikev2-profile")
    if ike is None:
        t.ike_version = At("1", prof.loc, f"{prof.text} has no `set ikev2-profile` (IKEv1)")
        t.unknown |= IKE_FIELDS - {"ike_version"}
        return
    node = cfg.ref("ikev2 profile", ike.words[2], ike.loc)
    if node is None:
        t.unknown |= IKE_FIELDS
    else:
        _ikev2_profile(cfg, t, node)


def _tunnel(cfg: _Config, iface: Node, ike: list[Proposal], ike_ok: bool) -> TunnelFacts:
    t = TunnelFacts(f"interface {iface.words[1]}", iface.loc, interface_loc=iface.loc)
    t.labels = (iface.words[1],)
    desc = iface.first("description")
    if desc is not None:
        t.labels += tuple(desc.words[1:])
    mode = iface.first("tunnel", "mode")
    ipsec = mode is not None and mode.words[2:3] == ["ipsec"]
    t.kind = At("ipsec" if ipsec else "gre", mode.loc if mode else iface.loc)
    dest = iface.first("tunnel", "destination")
    if dest is not None and len(dest.words) > 2:
        t.peer = At(dest.words[2], dest.loc, dest.text)
    _interface(t, iface)
    if not ipsec:
        return t
    t.initiate = At(True, iface.loc)  # an sVTI always initiates; no responder-only knob
    t.ike_proposals, t.ike_anchor = list(ike), iface.loc
    if not ike_ok:
        t.unknown.add("ike_proposals")
    prot = iface.first("tunnel", "protection", "ipsec", "profile")
    if prot is None or len(prot.words) < 5:
        t.unknown |= IKE_FIELDS | ESP_FIELDS
        cfg.facts.findings.append(
            Finding(
                "CF021",
                Severity.WARNING,
                f"{iface.text}: IPsec tunnel without `tunnel "
                "protection ipsec profile`; crypto not checked",
                iface.loc.file,
                iface.loc.line,
                "protect the tunnel with an IPsec profile",
            )
        )
        return t
    prof = cfg.ref("ipsec profile", prot.words[4], prot.loc)
    if prof is None:
        t.unknown |= IKE_FIELDS | ESP_FIELDS
    else:
        _ipsec_profile(cfg, t, prof)
    return t


def parse(sources: Sequence[Source]) -> ConfigFacts:
    """Tunnel facts of an IOS-XE config (one or more files of the same device)."""
    cfg = _Config(sources)
    ike, ike_ok = cfg.ike_proposals()
    if ike_ok and not ike:
        ike_ok = False  # no ikev2 policy: reported once below, not per tunnel
    tunnels = [
        n
        for (k, name), n in cfg.objects.items()
        if k == "interface" and name.lower().startswith("tunnel")
    ]
    for iface in tunnels:
        cfg.facts.tunnels.append(_tunnel(cfg, iface, ike, ike_ok))
    if not ike and any(t.is_ipsec for t in cfg.facts.tunnels):
        loc = next(t.loc for t in cfg.facts.tunnels if t.is_ipsec)
        cfg.facts.findings.append(
            Finding(
                "CF004",
                Severity.ERROR,
                "no `crypto ikev2 policy` with a proposal: IOS-XE "
                "falls back to its default proposal, which offers algorithms Cloudflare does "
                "not support",
                loc.file,
                loc.line,
                "add a crypto ikev2 proposal (aes-gcm-256, prf sha256, group 20) and a "
                "crypto ikev2 policy that lists it",
            )
        )
    for r in cfg.roots:
        if r.words[:2] == ["ip", "route"]:
            for w in r.words[2:]:
                if w.lower().startswith("tunnel"):
                    cfg.ref("interface", w, r.loc)
    return cfg.facts
