"""VyOS 1.4/1.5: rendered `set` commands checked for meaning, not bytes.

Expectations come from the neutral inventory (settings, endpoints, WAN links, allocations) and
Cloudflare's rules (reference/cloudflare.md §3, §7; reference/vendor-syntax.md §4), never from
the device plan the template formats. Every scenario is also checked against VyOS's own
reference trees of both versions (tests/validators/vyos_schema.py).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

import pytest

from netgen import api
from netgen.core.errors import UserError
from netgen.inventory.model import Device, Inventory, Tunnel, WanLink
from tests.scenarios import (
    SCENARIO_NEEDS,
    SCENARIOS,
    identities_for,
    render_scenario,
    write_inventory,
)
from tests.validators.vyos_schema import validate_vyos, vendor_data_dir
from tests.vendors.conftest import REGISTRY

VENDOR = "vyos"
VERSIONS = ("1.4", "1.5")
PROFILE = REGISTRY.vendors[VENDOR]
SUPPORTED = [s for s in SCENARIOS if all(PROFILE.can(c) for c in SCENARIO_NEEDS[s])]

# Neutral token -> VyOS keyword, written out independently of vendors/vyos.yaml
# (vendor-syntax.md §0.1 and the 1.4/1.5 trees: GCM-16 is `…gcm128`, PRFs carry a `prf` prefix).
IKE_ENCRYPTION = {
    "aes-128-gcm": "aes128gcm128",
    "aes-256-gcm": "aes256gcm128",
    "aes-256-cbc": "aes256",
}
ESP_ENCRYPTION = {**IKE_ENCRYPTION, "aes-128-cbc": "aes128"}
INTEGRITY = {"sha256": "sha256", "sha1": "sha1"}
PRF = {"sha256": "prfsha256", "sha384": "prfsha384", "sha512": "prfsha512"}
# VyOS skips a proposal without `hash`, so AEAD proposals carry one (strongSwan drops it)
AEAD_HASH = "sha256"
IPSEC_MSS_MAX = 1360
GRE_MSS_MAX = 1436

Cmd = tuple[str, ...]


@dataclass(frozen=True)
class Rendered:
    text: str
    cmds: list[Cmd]  # words after `set`
    inv: Inventory
    device: Device
    tunnels: list[Tunnel]
    cf_side: dict[str, IPv4Interface]  # tunnel -> interface_address (Cloudflare's side)

    def wan(self, t: Tunnel) -> WanLink:
        link = self.device.wan_link(t.wan)
        assert link is not None
        return link

    def endpoint(self, t: Tunnel) -> str:
        ep = self.inv.endpoint(t.endpoint)
        assert ep is not None
        return str(ep.address)


def parse(text: str) -> list[Cmd]:
    """Every non-comment line as its words after `set` (shell quoting, as VyOS's CLI)."""
    cmds: list[Cmd] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        words = shlex.split(line)
        assert words[0] == "set", f"not a set command: {line!r}"
        cmds.append(tuple(words[1:]))
    return cmds


def values(cmds: list[Cmd], *prefix: str) -> list[str]:
    """The word after ``prefix`` on every line starting with it ("" for a valueless leaf)."""
    n = len(prefix)
    return [c[n] if len(c) > n else "" for c in cmds if c[:n] == prefix]


def one(cmds: list[Cmd], *prefix: str) -> str:
    found = set(values(cmds, *prefix))
    assert len(found) == 1, f"{' '.join(prefix)}: expected one value, got {sorted(found)}"
    return found.pop()


def render(tmp_path: Path, scenario: str, version: str) -> Rendered:
    files = render_scenario(tmp_path, scenario, VENDOR, version)
    assert list(files) == ["sites/hq/hq-edge1.vyos"]
    text = files["sites/hq/hq-edge1.vyos"]
    session = api.open_session(tmp_path / "inventory.yaml")
    inv = session.loaded.inventory
    device = next(d for d in inv.devices() if d.name == "hq-edge1")
    tunnels = [inv.tunnels[n] for n in device.tunnels]
    cf_side = {t.name: session.allocation.assignments[t.name].interface_address for t in tunnels}
    return Rendered(text, parse(text), inv, device, tunnels, cf_side)


def expected_local_id(r: Rendered, t: Tunnel) -> str:
    ids = identities_for(t.name)
    kind = t.settings.ipsec.local_id
    value = {
        "fqdn": ids.fqdn_id,
        "user": ids.user_id,
        "hex": None if ids.hex_id is None else f"keyid:{ids.hex_id}",
        "ipv4": str(r.wan(t).address),
    }[kind]
    assert value is not None
    return value


def assert_customer_address(r: Rendered, t: Tunnel, address: str) -> None:
    """The router takes the other host of Cloudflare's /31 (the odd one for pool /31s)."""
    cf = r.cf_side[t.name]
    mine = IPv4Interface(address)
    assert mine.network == cf.network, (t.name, address, cf)
    assert mine.ip != cf.ip, f"{t.name}: router uses Cloudflare's address {cf.ip}"
    if cf.network.prefixlen == 31 and int(cf.ip) % 2 == 0:
        assert int(mine.ip) % 2 == 1, f"{t.name}: {address} is not the odd (customer) side"


CASES = [pytest.param(v, s, id=f"{v}-{s}") for v in VERSIONS for s in SUPPORTED]
IPSEC_CASES = [
    pytest.param(v, s, id=f"{v}-{s}")
    for v in VERSIONS
    for s in SUPPORTED
    if "ipsec" in SCENARIO_NEEDS[s]
]


def test_profile_covers_expected_scenarios() -> None:
    assert PROFILE.tested_versions == list(VERSIONS)
    assert set(SUPPORTED) == set(SCENARIOS) - {"legacy-hc"}


@pytest.mark.parametrize(("version", "scenario"), CASES)
def test_every_line_valid_in_both_reference_trees(
    tmp_path: Path, version: str, scenario: str
) -> None:
    if not (vendor_data_dir() / "vyos").is_dir():
        pytest.skip(f"VyOS reference trees not found under {vendor_data_dir()}")
    r = render(tmp_path, scenario, version)
    for tree in VERSIONS:
        errors = validate_vyos(r.text.splitlines(), tree)
        shown = "\n".join(f"  line {e.line_no}: {e.line}\n    {e.message}" for e in errors)
        assert not errors, f"rejected by the VyOS {tree} tree:\n{shown}"


@pytest.mark.parametrize(("version", "scenario"), IPSEC_CASES)
def test_ipsec_peers(tmp_path: Path, version: str, scenario: str) -> None:
    r = render(tmp_path, scenario, version)
    c = r.cmds
    ipsec = [t for t in r.tunnels if t.settings.tunnel_type == "ipsec"]
    assert ipsec
    assert set(values(c, "vpn", "ipsec", "site-to-site", "peer")) == {t.name for t in ipsec}
    assert set(values(c, "vpn", "ipsec", "interface")) == {r.wan(t).interface for t in ipsec}
    assert values(c, "vpn", "ipsec", "options", "disable-route-autoinstall") == [""]
    for t in ipsec:
        peer = ("vpn", "ipsec", "site-to-site", "peer", t.name)
        endpoint, wan, local_id = r.endpoint(t), r.wan(t), expected_local_id(r, t)
        assert one(c, *peer, "connection-type") == "initiate"  # Cloudflare only responds
        assert one(c, *peer, "remote-address") == endpoint
        assert one(c, *peer, "authentication", "remote-id") == endpoint
        assert one(c, *peer, "authentication", "local-id") == local_id
        assert one(c, *peer, "authentication", "mode") == "pre-shared-secret"
        # behind NAT the inventory's address is the one after NAT, not the router's own
        expected = "any" if wan.behind_nat else str(wan.address)
        assert one(c, *peer, "local-address") == expected
        assert one(c, *peer, "ikev2-reauth") == "no"
        psk = ("vpn", "ipsec", "authentication", "psk", t.name)
        assert sorted(values(c, *psk, "id")) == sorted([local_id, endpoint])
        assert one(c, *psk, "secret") == f"<redacted:psk:{t.name}>"
        # anti-replay off unless the tunnel asks for replay protection (cloudflare.md §3)
        expected_window = [] if t.settings.replay_protection else ["0"]
        assert values(c, *peer, "replay-window") == expected_window
        # NAT-T forced exactly on links behind NAT
        forced = values(c, *peer, "force-udp-encapsulation")
        assert forced == ([""] if wan.behind_nat else []), (t.name, wan.behind_nat)


@pytest.mark.parametrize(("version", "scenario"), IPSEC_CASES)
def test_ike_and_esp_groups_follow_the_suite(tmp_path: Path, version: str, scenario: str) -> None:
    r = render(tmp_path, scenario, version)
    c = r.cmds
    for t in (t for t in r.tunnels if t.settings.tunnel_type == "ipsec"):
        s, suite = t.settings.ipsec, t.settings.ipsec.crypto
        peer = ("vpn", "ipsec", "site-to-site", "peer", t.name)
        ike = ("vpn", "ipsec", "ike-group", one(c, *peer, "ike-group"))
        assert one(c, *ike, "key-exchange") == "ikev2"
        assert one(c, *ike, "lifetime") == str(suite.ike_lifetime)
        assert values(c, *ike, "disable-mobike") == [""]
        assert one(c, *ike, "close-action") == "start"
        assert one(c, *ike, "dead-peer-detection", "action") == "restart"
        assert one(c, *ike, "dead-peer-detection", "interval") == str(s.dpd_interval)
        assert one(c, *ike, "dead-peer-detection", "timeout") == str(s.dpd_timeout)
        assert values(c, *ike, "proposal") == ["1"] * 4, "exactly one IKE proposal"
        prop = (*ike, "proposal", "1")
        assert one(c, *prop, "encryption") == IKE_ENCRYPTION[suite.ike_encryption]
        ike_hash = AEAD_HASH if suite.ike_integrity is None else INTEGRITY[suite.ike_integrity]
        assert one(c, *prop, "hash") == ike_hash
        assert one(c, *prop, "prf") == PRF[suite.ike_prf]
        assert one(c, *prop, "dh-group") == str(suite.ike_dh_group)

        esp = ("vpn", "ipsec", "esp-group", one(c, *peer, "vti", "esp-group"))
        assert one(c, *esp, "lifetime") == str(suite.child_lifetime)
        assert one(c, *esp, "mode") == "tunnel"
        assert one(c, *esp, "pfs") == f"dh-group{suite.esp_pfs_group}"
        assert values(c, *esp, "proposal") == ["1"] * 2, "exactly one ESP proposal"
        assert one(c, *esp, "proposal", "1", "encryption") == ESP_ENCRYPTION[suite.esp_encryption]
        esp_hash = AEAD_HASH if suite.esp_integrity is None else INTEGRITY[suite.esp_integrity]
        assert one(c, *esp, "proposal", "1", "hash") == esp_hash


@pytest.mark.parametrize(("version", "scenario"), IPSEC_CASES)
def test_vti_bound_to_customer_side_interface(tmp_path: Path, version: str, scenario: str) -> None:
    r = render(tmp_path, scenario, version)
    c = r.cmds
    bound: list[str] = []
    for t in (t for t in r.tunnels if t.settings.tunnel_type == "ipsec"):
        vti = one(c, "vpn", "ipsec", "site-to-site", "peer", t.name, "vti", "bind")
        bound.append(vti)
        iface = ("interfaces", "vti", vti)
        assert_customer_address(r, t, one(c, *iface, "address"))
        assert one(c, *iface, "mtu") == str(t.settings.mtu)
        mss = one(c, *iface, "ip", "adjust-mss")
        assert mss == str(t.settings.mss) and int(mss) <= IPSEC_MSS_MAX
        assert one(c, *iface, "ip", "source-validation") == "disable"
    assert len(set(bound)) == len(bound), "two peers bound to one vti"
    assert set(values(c, "interfaces", "vti")) == set(bound), "vti without a peer"


@pytest.mark.parametrize(("version", "scenario"), CASES)
def test_gre_tunnels(tmp_path: Path, version: str, scenario: str) -> None:
    r = render(tmp_path, scenario, version)
    c = r.cmds
    gre = [t for t in r.tunnels if t.settings.tunnel_type == "gre"]
    names = set(values(c, "interfaces", "tunnel"))
    assert len(names) == len(gre)
    for t in gre:
        # the interface carrying this tunnel's outer addresses (unique per WAN and endpoint)
        matches = [
            n
            for n in names
            if values(c, "interfaces", "tunnel", n, "remote") == [r.endpoint(t)]
            and values(c, "interfaces", "tunnel", n, "source-address") == [str(r.wan(t).address)]
        ]
        assert len(matches) == 1, (t.name, matches)
        iface = ("interfaces", "tunnel", matches[0])
        assert one(c, *iface, "encapsulation") == "gre"
        assert one(c, *iface, "parameters", "ip", "ttl") == str(t.settings.ttl)
        assert_customer_address(r, t, one(c, *iface, "address"))
        assert one(c, *iface, "mtu") == str(t.settings.mtu)
        mss = one(c, *iface, "ip", "adjust-mss")
        assert mss == str(t.settings.mss) and int(mss) <= GRE_MSS_MAX


@pytest.mark.parametrize(("version", "scenario"), CASES)
def test_underlay_host_routes(tmp_path: Path, version: str, scenario: str) -> None:
    """/32s to the endpoints via each tunnel's own WAN gateway; with several WAN links,
    traffic sourced from a WAN address is looked up in a table routing via that WAN only."""
    r = render(tmp_path, scenario, version)
    c = r.cmds
    pairs = {(r.endpoint(t), r.wan(t).name) for t in r.tunnels}
    for endpoint, wan_name in pairs:
        wan = r.device.wan_link(wan_name)
        assert wan is not None and wan.gateway is not None
        route = ("protocols", "static", "route", f"{endpoint}/32")
        assert str(wan.gateway) in values(c, *route, "next-hop")
        assert one(c, *route, "next-hop", str(wan.gateway), "interface") == wan.interface
    wans = {w for _, w in pairs}
    rules = set(values(c, "policy", "local-route", "rule"))
    if len(wans) == 1:
        assert not rules
        return
    assert len(rules) == len(wans)
    for wan_name in wans:
        wan = r.device.wan_link(wan_name)
        assert wan is not None and wan.gateway is not None
        rule = [
            n
            for n in rules
            if values(c, "policy", "local-route", "rule", n, "source", "address")
            == [str(wan.address)]
        ]
        assert len(rule) == 1, (wan_name, rule)
        table = one(c, "policy", "local-route", "rule", rule[0], "set", "table")
        assert 1 <= int(table) <= 200
        routed = ("protocols", "static", "table", table, "route")
        expected = {f"{e}/32" for e, w in pairs if w == wan_name}
        assert set(values(c, *routed)) == expected
        for prefix in expected:
            assert values(c, *routed, prefix, "next-hop") == [str(wan.gateway)]
            hop = (*routed, prefix, "next-hop", str(wan.gateway), "interface")
            assert one(c, *hop) == wan.interface


@pytest.mark.parametrize(("version", "scenario"), CASES)
def test_overlay_routes(tmp_path: Path, version: str, scenario: str) -> None:
    """Other sites via every tunnel's Cloudflare side; equal priority = equal distance (ECMP),
    a worse priority = a strictly higher distance (backup)."""
    r = render(tmp_path, scenario, version)
    c = r.cmds
    endpoints = {f"{ep.address}/32" for ep in r.inv.endpoints}
    prefixes = [
        IPv4Network(p) for p in set(values(c, "protocols", "static", "route")) if p not in endpoints
    ]
    others = [p for s in r.inv.sites if s.name != r.device.site for p in s.lan_prefixes]
    own = [p for s in r.inv.sites if s.name == r.device.site for p in s.lan_prefixes]
    assert all(any(o.subnet_of(p) for p in prefixes) for o in others), (others, prefixes)
    assert not any(p.overlaps(o) for p in prefixes for o in own)
    hop_of = {str(r.cf_side[t.name].ip): t for t in r.tunnels}
    for p in prefixes:
        route = ("protocols", "static", "route", str(p))
        hops = values(c, *route, "next-hop")
        assert sorted(hops) == sorted(hop_of), "every tunnel is a next hop"
        dist = {h: int(one(c, *route, "next-hop", h, "distance")) for h in hops}
        for a in hops:
            for b in hops:
                pa, pb = hop_of[a].priority, hop_of[b].priority
                if pa == pb:
                    assert dist[a] == dist[b], (p, a, b)
                elif pa < pb:
                    assert dist[a] < dist[b], (p, a, b)


@pytest.mark.parametrize("version", VERSIONS)
def test_mixed_ipsec_ecmp_with_gre_backup(tmp_path: Path, version: str) -> None:
    r = render(tmp_path, "mixed", version)
    c = r.cmds
    by_type: dict[str, set[int]] = {"ipsec": set(), "gre": set()}
    route = ("protocols", "static", "route", "10.20.0.0/15")
    for t in r.tunnels:
        hop = str(r.cf_side[t.name].ip)
        by_type[t.settings.tunnel_type].add(int(one(c, *route, "next-hop", hop, "distance")))
    assert len(by_type["ipsec"]) == 1 and len(by_type["gre"]) == 1  # ECMP within each kind
    assert max(by_type["ipsec"]) < min(by_type["gre"])  # GRE is the backup


@pytest.mark.parametrize(("version", "scenario"), CASES)
def test_every_reference_is_defined(tmp_path: Path, version: str, scenario: str) -> None:
    r = render(tmp_path, scenario, version)
    c = r.cmds
    ike_groups = set(values(c, "vpn", "ipsec", "ike-group"))
    esp_groups = set(values(c, "vpn", "ipsec", "esp-group"))
    vtis = set(values(c, "interfaces", "vti"))
    for peer in set(values(c, "vpn", "ipsec", "site-to-site", "peer")):
        p = ("vpn", "ipsec", "site-to-site", "peer", peer)
        assert one(c, *p, "ike-group") in ike_groups
        assert one(c, *p, "vti", "esp-group") in esp_groups
        assert one(c, *p, "vti", "bind") in vtis
    # every overlay next hop is on a subnet of a configured tunnel interface
    subnets = [
        IPv4Interface(a).network
        for kind in ("vti", "tunnel")
        for n in set(values(c, "interfaces", kind))
        for a in values(c, "interfaces", kind, n, "address")
    ]
    endpoints = {f"{ep.address}/32" for ep in r.inv.endpoints}
    for prefix in set(values(c, "protocols", "static", "route")) - endpoints:
        for hop in values(c, "protocols", "static", "route", prefix, "next-hop"):
            assert any(IPv4Address(hop) in s for s in subnets), (prefix, hop)


# vendor-syntax.md §4.6: forms of VyOS 1.3 / early 1.4 (and Cloudflare's "VyOS 1.4" guide)
# that both released trees reject.
def forbidden_forms(cmd: Cmd) -> list[str]:
    line = " ".join(cmd)
    found: list[str] = []
    if cmd[:3] == ("vpn", "ipsec", "esp-group") and "compression" in cmd:
        found.append("esp-group compression")
    if cmd[:3] == ("vpn", "ipsec", "ike-group") and cmd[4:5] == ("ikev2-reauth",):
        found.append("ike-group ikev2-reauth")
    if "mobike" in cmd:
        found.append("mobike 'disable'")
    if "ipsec-interfaces" in cmd:
        found.append("ipsec-interfaces")
    if "logging" in cmd or "log-level" in cmd:
        found.append("logging log-level")
    if cmd[:4] == ("vpn", "ipsec", "site-to-site", "peer"):
        name = cmd[4]
        if "." in name or ":" in name:
            found.append("peer named by address")
        if cmd[5:7] in (("authentication", "id"), ("authentication", "pre-shared-secret")):
            found.append("peer authentication id / pre-shared-secret")
    if cmd[-2:-1] == ("prf",) and not cmd[-1].startswith("prf"):
        found.append("prf without prf prefix")
    if any(w.endswith("gcm16") for w in cmd):
        found.append("gcm16 keyword")
    if cmd[-2:-1] == ("pfs",) and cmd[-1].isdigit():
        found.append("numeric pfs")
    if cmd[:2] == ("interfaces", "tunnel") and {"local-ip", "remote-ip", "multicast"} & set(cmd):
        found.append("tunnel local-ip/remote-ip/multicast")
    if "adjust-mss" in cmd and cmd[-1].isdigit() and int(cmd[-1]) < 536:
        found.append("adjust-mss below 536")
    return [f"{f}: set {line}" for f in found]


@pytest.mark.parametrize(("version", "scenario"), CASES)
def test_no_vyos_13_syntax(tmp_path: Path, version: str, scenario: str) -> None:
    r = render(tmp_path, scenario, version)
    bad = [f for cmd in r.cmds for f in forbidden_forms(cmd)]
    assert not bad, "\n".join(bad)


def test_description_with_quote_is_ng502(tmp_path: Path) -> None:
    inv = SCENARIOS["mixed"](VENDOR, "1.5")
    inv["sites"][0]["devices"][0]["tunnels"][0]["description"] = "HQ's primary"
    path = write_inventory(tmp_path, inv)
    with pytest.raises(UserError) as info:
        api.render(path, None, devices=["hq-edge1"])
    codes = {d.code for d in info.value.diagnostics}
    assert codes == {"NG502"}, info.value.diagnostics
    assert "HQ's primary" in info.value.diagnostics[0].message


def test_legacy_health_check_target_is_refused(tmp_path: Path) -> None:
    """Not rendered for VyOS (needs PBR back into each tunnel): an error, never a silent drop."""
    inv = SCENARIOS["legacy-hc"](VENDOR, "1.4")
    path = write_inventory(tmp_path, inv)
    with pytest.raises(UserError) as info:
        api.render(path, None, devices=["hq-edge1"])
    assert {d.code for d in info.value.diagnostics} == {"NG501"}
