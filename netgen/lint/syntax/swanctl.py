"""strongSwan (swanctl.conf) + Linux host script (network.sh): parse into tunnel facts.

swanctl.conf: one tunnel per child of each connection (identities, version, proposals, PFS from
the ESP proposal's DH group, DPD, replay_window, start_action, if_id). network.sh: XFRM
interfaces (``ip link add … type xfrm … if_id N``), GRE tunnels (``ip tunnel add … mode gre``),
addresses, MTUs and nftables/iptables MSS clamps. Syntax: reference/vendor-syntax.md §3
(swanctl.conf(5) 5.9, proposals.html, ip-link(8), nftables wiki).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

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

DH_NAMES = {
    "modp768": "1", "modp1024": "2", "modp1536": "5", "modp2048": "14", "modp3072": "15",
    "modp4096": "16", "modp6144": "17", "modp8192": "18", "ecp256": "19", "ecp384": "20",
    "ecp521": "21", "modp1024s160": "22", "modp2048s224": "23", "modp2048s256": "24",
    "ecp192": "25", "ecp224": "26", "curve25519": "31", "x25519": "31", "curve448": "32",
    "x448": "32",
}  # fmt: skip
XFRM = "xfrm interface with if_id"
_HASH = {"sha": "sha1", "sha1": "sha1", "sha2_256": "sha256", "sha256": "sha256",
         "sha384": "sha384", "sha512": "sha512", "md5": "md5"}  # fmt: skip


def proposal_algos(text: str, loc: Loc, *, esp: bool) -> tuple[list[Algo], list[Algo]]:
    """(algorithms, DH groups) of one strongSwan proposal string ``a-b-c``, neutral tokens."""
    algos: list[Algo] = []
    groups: list[Algo] = []
    for tok in text.strip().rstrip("!").split("-"):
        low = tok.lower()
        gcm = re.fullmatch(r"aes(128|192|256)?(gcm|ccm)(8|12|16|64|96|128)?", low)
        cbc = re.fullmatch(r"aes(128|192|256)?", low)
        if gcm and gcm.group(2) == "gcm" and gcm.group(3) in (None, "16", "128"):
            algos.append(Algo("encryption", f"aes-{gcm.group(1) or 128}-gcm", loc, tok))
        elif cbc:
            algos.append(Algo("encryption", f"aes-{cbc.group(1) or 128}-cbc", loc, tok))
        elif low.startswith("prf"):
            algos.append(Algo("prf", _HASH.get(low[3:], low), loc, tok))
        elif low in _HASH:
            algos.append(Algo("integrity", _HASH[low], loc, tok))
        elif low in DH_NAMES:
            groups.append(Algo("dh", DH_NAMES[low], loc, tok))
        elif low in ("esn", "noesn"):
            algos.append(Algo("esn", low, loc, tok))
        elif low.startswith(("ke1_", "ke2_", "ke3_", "mlkem")):
            continue  # RFC 9370 additional key exchanges (ML-KEM): Cloudflare's PQ hybrid
        else:
            kind = "integrity" if low.startswith(("sha", "md5", "aesxcbc")) else "encryption"
            algos.append(Algo(kind, low, loc, tok))
    if esp and algos and all(a.token.endswith("-gcm") for a in algos if a.kind == "encryption"):
        algos = [a for a in algos if a.kind != "integrity"]  # AEAD: strongSwan drops them
    return algos, groups


@dataclass
class Section:
    name: str
    loc: Loc
    keys: dict[str, At[str]] = field(default_factory=dict)
    subs: dict[str, Section] = field(default_factory=dict)

    def get(self, key: str) -> At[str] | None:
        return self.keys.get(key)


def parse_swanctl(src: Source) -> Section:
    root = Section("", Loc(src.file, 1))
    stack = [root]
    for no, raw in enumerate(src.text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        loc = Loc(src.file, no)
        if line.endswith("{"):
            sec = Section(line[:-1].strip(), loc)
            stack[-1].subs.setdefault(sec.name, sec)
            stack.append(sec)
        elif line == "}":
            if len(stack) > 1:
                stack.pop()
        elif "=" in line:
            key, value = (p.strip() for p in line.split("=", 1))
            stack[-1].keys[key] = At(value.strip('"'), loc, raw.strip())
    return root


@dataclass
class Iface:
    name: str
    loc: Loc
    kind: str  # xfrm | gre
    if_id: str = ""
    peer: At[str] | None = None
    address: At[str] | None = None
    mtu: At[int] | None = None
    mss: At[int] | None = None
    pmtu: At[str] | None = None  # MSS clamped to the path MTU (MTU - 40)


def parse_network(src: Source, facts: ConfigFacts) -> dict[str, Iface]:
    """Interfaces created by the host script, by name; xfrm if_ids are defined in ``facts``."""
    ifaces: dict[str, Iface] = {}
    for no, raw in enumerate(src.text.splitlines(), start=1):
        loc = Loc(src.file, no)
        mss = re.search(r'\b[io]ifname\s+"?([\w.@-]+)"?.*maxseg size set (\d+)', raw)
        mss = mss or re.search(r"-[oi]\s+([\w.@-]+)\b.*--set-mss\s+(\d+)", raw)
        if mss and mss.group(1) in ifaces:
            cur = ifaces[mss.group(1)].mss
            if cur is None or int(mss.group(2)) > cur.value:
                ifaces[mss.group(1)].mss = At(int(mss.group(2)), loc, raw.strip())
            continue
        pmtu = re.search(r'\b[io]ifname\s+"?([\w.@-]+)"?.*maxseg size set rt mtu', raw)
        pmtu = pmtu or re.search(r"-[oi]\s+([\w.@-]+)\b.*--clamp-mss-to-pmtu", raw)
        if pmtu and pmtu.group(1) in ifaces:
            ifaces[pmtu.group(1)].pmtu = At("pmtu", loc, raw.strip())
            continue
        try:
            w = shlex.split(raw, comments=True)
        except ValueError:
            continue
        if w[:3] == ["ip", "link", "add"] and "xfrm" in w and "if_id" in w and len(w) > 3:
            if_id = w[w.index("if_id") + 1] if w.index("if_id") + 1 < len(w) else ""
            ifaces.setdefault(w[3], Iface(w[3], loc, "xfrm", if_id=if_id))
            facts.define(XFRM, if_id, loc)
        elif w[:3] in (["ip", "tunnel", "add"], ["ip", "tunnel", "change"]) and len(w) > 3:
            if w[3] not in ifaces:
                ifaces[w[3]] = Iface(w[3], loc, "gre" if "gre" in w else w[w.index("mode") + 1])
            if "remote" in w and w.index("remote") + 1 < len(w):
                ifaces[w[3]].peer = At(w[w.index("remote") + 1], loc, raw.strip())
        elif w[:3] == ["ip", "link", "set"] and "mtu" in w:
            name = w[w.index("dev") + 1] if "dev" in w else w[3]
            value = w[w.index("mtu") + 1] if w.index("mtu") + 1 < len(w) else ""
            if name in ifaces and value.isdigit():
                ifaces[name].mtu = At(int(value), loc, raw.strip())
        elif w[:2] in (["ip", "addr"], ["ip", "address"]) and "dev" in w and len(w) > 3:
            name = w[w.index("dev") + 1] if w.index("dev") + 1 < len(w) else ""
            if name in ifaces and ifaces[name].address is None and w[2] in ("add", "replace"):
                ifaces[name].address = At(w[3], loc, raw.strip())
    return ifaces


def _opt(sec: Section, key: str, default: str) -> At[str]:
    """The key's value, or its strongSwan default anchored at the section."""
    value = sec.get(key)
    if value is not None:
        return value
    return At(default, sec.loc, f"{sec.name} has no {key} (default {default})")


def _dpd(conn: Section, child: Section) -> At[str]:
    delay = _opt(conn, "dpd_delay", "0s")
    if re.fullmatch(r"0+[smhd]?", delay.value):
        return At("none", delay.loc, delay.text)
    return _opt(child, "dpd_action", "clear")


def _pfs(esp: At[str] | None, child: Section, groups: list[Algo]) -> At[str]:
    """The ESP proposals' DH group (an unsupported one first), or "none"."""
    bad = [g for g in groups if g.token not in ("20", "14", "5")]
    for g in bad + groups:
        return At(g.token, g.loc, g.text)
    if esp is not None:
        return At("none", esp.loc, f"{esp.text} (no DH group)")
    return At("none", child.loc, f"{child.name} has no esp_proposals")


def _proposals(
    name: str, value: At[str] | None, anchor: Loc, *, esp: bool
) -> tuple[list[Proposal], list[Algo]]:
    if value is None:
        what = "ESP" if esp else "IKE"
        tok = Algo("encryption", "default", anchor, f"strongSwan's default {what} proposals")
        return [Proposal(f"{name} (default)", anchor, (tok,))], []
    props, groups = [], []
    for text in value.value.split(","):
        algos, dh = proposal_algos(text, value.loc, esp=esp)
        props.append(Proposal(text.strip(), value.loc, tuple(algos + ([] if esp else dh))))
        groups += dh
    return props, groups


def _child(conn: Section, child: Section) -> TunnelFacts:
    t = TunnelFacts(f"connection {conn.name} child {child.name}", child.loc)
    t.kind = At("ipsec", conn.loc)
    t.labels = (conn.name, child.name)
    remote = conn.get("remote_addrs")
    if remote is not None:
        t.peer = At(remote.value.split(",")[0].strip(), remote.loc, remote.text)
    version = _opt(conn, "version", "0")
    t.ike_version = At({"1": "1", "2": "2"}.get(version.value, "any"), version.loc, version.text)
    t.ike_anchor, t.esp_anchor = conn.loc, child.loc
    for side, attr in (("local", "local_id"), ("remote", "remote_id")):
        sec = next((s for n, s in conn.subs.items() if n.split("-")[0] == side), None)
        ident = sec.get("id") if sec else None
        if ident is not None:
            setattr(t, attr, At(ident.value, ident.loc, ident.text))
        auth = sec.get("auth") if sec else None
        if auth is not None and auth.value != "psk":
            t.auth = At(auth.value, auth.loc, auth.text)
    t.auth = t.auth or At("psk", conn.loc)
    t.ike_proposals, _ = _proposals(conn.name, conn.get("proposals"), conn.loc, esp=False)
    esp = child.get("esp_proposals")
    t.esp_proposals, groups = _proposals(child.name, esp, child.loc, esp=True)
    t.pfs = _pfs(esp, child, groups)
    t.dpd = _dpd(conn, child)
    replay = _opt(child, "replay_window", "32")
    t.replay = At(replay.value != "0", replay.loc, replay.text)
    start = _opt(child, "start_action", "none")
    t.initiate = At("start" in start.value.split("|"), start.loc, start.text)
    return t


def _check_secrets(root: Section, t: TunnelFacts, facts: ConfigFacts) -> None:
    secrets = root.subs.get("secrets")
    if secrets is None or t.remote_id is None:
        return
    ids = {
        v.value
        for s in secrets.subs.values()
        if s.name.startswith("ike")
        for k, v in s.keys.items()
        if k.startswith("id")
    }
    if t.remote_id.value not in ids and (t.local_id is None or t.local_id.value not in ids):
        facts.findings.append(
            Finding(
                "CF014",
                Severity.ERROR,
                f"no ike secret in `secrets` has the id {t.remote_id.value} "
                "(or the local id): charon finds no PSK for this peer",
                t.remote_id.loc.file,
                t.remote_id.loc.line,
                "add `ike-<name> { id-remote = <endpoint> secret = … }`",
            )
        )


def parse(sources: Sequence[Source]) -> ConfigFacts:
    """Tunnel facts of swanctl.conf and/or network.sh (pass both for a full check)."""
    facts = ConfigFacts()
    swan = [s for s in sources if re.search(r"^\s*connections\s*\{", s.text, re.M)]
    nets = [s for s in sources if s not in swan]
    ifaces: dict[str, Iface] = {}
    for s in nets:
        ifaces.update(parse_network(s, facts))
    by_if_id = {i.if_id: i for i in ifaces.values() if i.kind == "xfrm"}
    for src in swan:
        root = parse_swanctl(src)
        for conn in root.subs.get("connections", Section("", root.loc)).subs.values():
            for child in conn.subs.get("children", Section("", conn.loc)).subs.values():
                t = _child(conn, child)
                _check_secrets(root, t, facts)
                if_id = child.get("if_id_out") or conn.get("if_id_out")
                if nets and if_id is not None and facts.refer(XFRM, if_id.value, if_id.loc):
                    _take(t, by_if_id[if_id.value])
                else:
                    t.unknown |= {"mtu", "mss", "address"}
                facts.tunnels.append(t)
    for iface in ifaces.values():
        if iface.kind == "gre":
            t = TunnelFacts(f"GRE tunnel {iface.name}", iface.loc, kind=At("gre", iface.loc))
            _take(t, iface)
            facts.tunnels.append(t)
    if swan and not nets and facts.tunnels:
        loc = facts.tunnels[0].loc
        facts.findings.append(
            Finding(
                "CF021",
                Severity.WARNING,
                "only swanctl.conf given: tunnel addresses, MTU and MSS "
                "clamps (network.sh) not checked",
                loc.file,
                loc.line,
                None,
            )
        )
    return facts


def _take(t: TunnelFacts, iface: Iface) -> None:
    t.labels += (iface.name,)
    t.iface = f"{'XFRM' if iface.kind == 'xfrm' else 'GRE'} interface {iface.name}"
    t.interface_loc = iface.loc
    t.address, t.mtu, t.mss = iface.address, iface.mtu, iface.mss
    if t.mss is None and iface.pmtu is not None:
        mtu = t.mtu.value if t.mtu else 1500
        t.mss = At(mtu - 40, iface.pmtu.loc, f"{iface.pmtu.text} (MSS = MTU {mtu} - 40)")
    if t.is_gre:
        t.peer = iface.peer
