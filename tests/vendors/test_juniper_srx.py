"""Juniper SRX (Junos 23.4 `set` commands): the rendered configs obey the rules, not a snapshot.

Each scenario of tests/scenarios.py is rendered, its `set` lines split like the Junos CLI does
(double quotes group words), and the Cloudflare rules checked against the device plan: IKEv2 only,
peer and identities, proposals, anti-replay, addressing, MSS/MTU, zones, references, routing,
NAT-T and GRE. Every rendered config must also pass the Junos 23.4R2 YANG tree check.
"""

from __future__ import annotations

import copy
import ipaddress
import shlex
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from netgen import api
from netgen.core.errors import UserError
from netgen.plan.model import DevicePlan, TunnelPlan
from netgen.vendors.registry import load_registry
from tests.scenarios import (
    SCENARIO_NEEDS,
    SCENARIOS,
    device_texts,
    identities_for,
    render_scenario,
    write_inventory,
)

try:  # written alongside this vendor; fail (not skip) when it is missing
    from tests.validators.junos_schema import validate_junos
    from tests.validators.vyos_schema import vendor_data_dir
except ImportError as exc:  # pragma: no cover - only while the validator is being written
    raise ImportError(
        "tests/validators/junos_schema.py (validate_junos) is required by the Juniper SRX tests"
    ) from exc

VENDOR = "juniper_srx"
VERSION = "23.4"
DEVICE = "hq-edge1"
PROFILE = load_registry().vendors[VENDOR]

Stmt = tuple[str, ...]

# Scenarios the profile claims; custom-crypto asks for IKE PRF SHA-384 with AES-CBC, which Junos
# 23.4 cannot express (no prf-algorithm; the PRF follows the CBC integrity algorithm): NG501.
CLAIMED = [s for s in SCENARIOS if all(PROFILE.can(c) for c in SCENARIO_NEEDS[s])]
UNEXPRESSIBLE = {"custom-crypto": "IKE PRF 'sha384'"}
RENDERED = [s for s in CLAIMED if s not in UNEXPRESSIBLE]
IPSEC_SCENARIOS = [s for s in RENDERED if s != "gre-dual-isp"]


# -- helpers ---------------------------------------------------------------------------------


def parse(text: str) -> list[Stmt]:
    """The `set` statements (without `set`), split like the CLI; anything else must be a comment."""
    out: list[Stmt] = []
    for line in text.splitlines():
        if line.startswith("set "):
            out.append(tuple(shlex.split(line)[1:]))
        else:
            assert line == "" or line.startswith("#"), f"not a set command or comment: {line!r}"
    return out


def under(stmts: Iterable[Stmt], *prefix: str) -> dict[str, list[Stmt]]:
    """Statements below ``prefix``, grouped by the name that follows it (rest after the name)."""
    n = len(prefix)
    groups: dict[str, list[Stmt]] = defaultdict(list)
    for s in stmts:
        if s[:n] == prefix and len(s) > n:
            groups[s[n]].append(s[n + 1 :])
    return dict(groups)


def has(stmts: Iterable[Stmt], *words: str) -> bool:
    return tuple(words) in set(stmts)


def values(stmts: Iterable[Stmt], *prefix: str) -> list[str]:
    """The word after ``prefix`` in every statement that has it."""
    n = len(prefix)
    return [s[n] for s in stmts if s[:n] == prefix and len(s) == n + 1]


def one(stmts: Iterable[Stmt], *prefix: str) -> str:
    found = values(stmts, *prefix)
    assert len(found) == 1, f"expected exactly one '{' '.join(prefix)} <value>', got {found}"
    return found[0]


def device_plan(inventory: Path) -> DevicePlan:
    session = api.open_session(inventory)
    (plan,) = api.device_plans(api.plan_inputs(session), lambda _site, dev: dev == DEVICE)
    return plan


def render(tmp_path: Path, scenario: str) -> tuple[str, list[Stmt], DevicePlan]:
    files = render_scenario(tmp_path, scenario, VENDOR, VERSION)
    assert list(files) == [f"sites/hq/{DEVICE}.set"]
    text = files[f"sites/hq/{DEVICE}.set"]
    return text, parse(text), device_plan(tmp_path / "inventory.yaml")


def render_inventory(tmp_path: Path, inv: dict[str, Any]) -> tuple[list[Stmt], DevicePlan]:
    path = write_inventory(tmp_path, inv)
    result = api.render(path, None, devices=[DEVICE])
    (text,) = device_texts(result.files).values()
    return parse(text), device_plan(path)


def unit(t: TunnelPlan) -> tuple[str, str]:
    ifd, _, number = t.interface.rpartition(".")
    return ifd, number


def ipsec(plan: DevicePlan) -> list[TunnelPlan]:
    return [t for t in plan.tunnels if t.type == "ipsec"]


def gre(plan: DevicePlan) -> list[TunnelPlan]:
    return [t for t in plan.tunnels if t.type == "gre"]


# -- the profile -----------------------------------------------------------------------------


def test_profile_claims_only_what_the_template_renders() -> None:
    assert PROFILE.display_name == "Juniper SRX (Junos)"
    assert PROFILE.default_version == VERSION and VERSION in PROFILE.tested_versions
    assert not PROFILE.can("legacy_health_check_target")
    assert PROFILE.interface_name("ipsec", 0) == "st0.0"
    assert PROFILE.interface_name("gre", 3) == "gr-0/0/0.3"
    assert PROFILE.remediation.engine == "set_commands"
    # Junos 23.4 derives the IKE PRF from authentication-algorithm: only SHA-256 everywhere
    assert PROFILE.keywords.ike_prf == {"sha256": "sha-256"}


@pytest.mark.parametrize("scenario", sorted(UNEXPRESSIBLE))
def test_unexpressible_scenarios_fail_with_ng501(tmp_path: Path, scenario: str) -> None:
    with pytest.raises(UserError) as err:
        render_scenario(tmp_path, scenario, VENDOR, VERSION)
    assert {d.code for d in err.value.diagnostics} == {"NG501"}
    assert UNEXPRESSIBLE[scenario] in err.value.diagnostics[0].message


def test_legacy_health_check_target_is_ng501(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        render_scenario(tmp_path, "legacy-hc", VENDOR, VERSION)
    assert {d.code for d in err.value.diagnostics} == {"NG501"}
    assert "legacy health-check target" in err.value.diagnostics[0].message


def test_description_with_double_quote_is_ng502(tmp_path: Path) -> None:
    inv = SCENARIOS["mixed"](VENDOR, VERSION)
    inv["sites"][0]["devices"][0]["tunnels"][0]["description"] = 'HQ "A" to cf1'
    path = write_inventory(tmp_path, inv)
    with pytest.raises(UserError) as err:
        api.render(path, None, devices=[DEVICE])
    assert "NG502" in {d.code for d in err.value.diagnostics}


# -- every rendered scenario -----------------------------------------------------------------


@pytest.mark.parametrize("scenario", RENDERED)
def test_validates_against_junos_yang(tmp_path: Path, scenario: str) -> None:
    if not (vendor_data_dir() / "junos").is_dir():
        pytest.skip(f"Junos reference tree not found under {vendor_data_dir()}")
    text, _, _ = render(tmp_path, scenario)
    errors = validate_junos(text.splitlines(), check_must=True)
    assert errors == [], "\n".join(f"{e.line_no}: {e.line}: {e.message}" for e in errors)


@pytest.mark.parametrize("scenario", RENDERED)
def test_tunnel_interfaces(tmp_path: Path, scenario: str) -> None:
    _, stmts, plan = render(tmp_path, scenario)
    for t in plan.tunnels:
        ifd, number = unit(t)
        u = [s[4:] for s in stmts if s[:4] == ("interfaces", ifd, "unit", number)]
        assert ifd == ("st0" if t.type == "ipsec" else "gr-0/0/0")
        address = ipaddress.IPv4Interface(one(u, "family", "inet", "address"))
        cloudflare = ipaddress.IPv4Address(t.cloudflare_address)
        # the customer side of the /31: never Cloudflare's address, the odd one by default
        assert address == ipaddress.IPv4Interface(t.customer_cidr)
        assert address.ip != cloudflare and cloudflare in address.network
        assert address.network.prefixlen == 31 and int(address.ip) % 2 == 1
        assert (
            int(one(u, "family", "inet", "mtu")) == t.mtu == (1450 if t.type == "ipsec" else 1476)
        )
        assert one(u, "description") == t.description


@pytest.mark.parametrize("scenario", RENDERED)
def test_zones(tmp_path: Path, scenario: str) -> None:
    _, stmts, plan = render(tmp_path, scenario)
    zones = under(stmts, "security", "zones", "security-zone")
    members = {z: {s[1] for s in body if s[0] == "interfaces"} for z, body in zones.items()}
    for t in plan.tunnels:
        (zone,) = [z for z, ifs in members.items() if t.interface in ifs]
        assert zone == ("cloudflare" if t.type == "ipsec" else "cloudflare-gre")
        # at zone level: an interface-level list would replace the zone's own for that interface
        assert ("host-inbound-traffic", "system-services", "ping") in zones[zone]
    for w in {t.wan.interface for t in ipsec(plan)}:
        assert w in members["untrust"]
    if ipsec(plan):
        assert ("host-inbound-traffic", "system-services", "ike") in zones["untrust"]
    interface_level = [
        s for body in zones.values() for s in body if s[0] == "interfaces" and len(s) > 2
    ]
    assert interface_level == []
    assert plan.lan_interface in members["trust"]


@pytest.mark.parametrize("scenario", RENDERED)
def test_every_reference_is_defined(tmp_path: Path, scenario: str) -> None:
    _, stmts, _ = render(tmp_path, scenario)
    ike_proposals = under(stmts, "security", "ike", "proposal")
    ike_policies = under(stmts, "security", "ike", "policy")
    gateways = under(stmts, "security", "ike", "gateway")
    esp_proposals = under(stmts, "security", "ipsec", "proposal")
    ipsec_policies = under(stmts, "security", "ipsec", "policy")
    vpns = under(stmts, "security", "ipsec", "vpn")
    interfaces = {f"{s[1]}.{s[3]}" for s in stmts if s[0] == "interfaces" and s[2] == "unit"}
    zones = under(stmts, "security", "zones", "security-zone")
    instances = under(stmts, "routing-instances")
    for body in ike_policies.values():
        assert set(values(body, "proposals")) <= set(ike_proposals)
    for body in gateways.values():
        assert one(body, "ike-policy") in ike_policies
    for body in ipsec_policies.values():
        assert set(values(body, "proposals")) <= set(esp_proposals)
    for body in vpns.values():
        assert one(body, "ike", "gateway") in gateways
        assert one(body, "ike", "ipsec-policy") in ipsec_policies
        assert one(body, "bind-interface") in interfaces
    assert set(gateways) == set(ike_policies) == set(vpns)  # one of each per IPsec tunnel
    tunnel_ifs = {i for i in interfaces if i.startswith(("st0.", "gr-0/0/0."))}
    zoned = {s[1] for body in zones.values() for s in body if s[0] == "interfaces"}
    assert tunnel_ifs <= zoned
    for s in stmts:
        if s[:2] == ("security", "policies"):
            assert s[3] in zones and s[5] in zones, s
        if s[:1] == ("interfaces",) and "routing-instance" in s:
            assert s[-1] in instances
    exports = values(stmts, "routing-options", "forwarding-table", "export")
    assert set(exports) <= set(under(stmts, "policy-options", "policy-statement"))


# -- IPsec -----------------------------------------------------------------------------------

EXPECTED_ID = {"local-id-user": "user", "local-id-hex": "hex", "local-id-ipv4": "ipv4"}
ID_KEYWORD = {"fqdn": "hostname", "user": "user-at-hostname", "hex": "key-id", "ipv4": "inet"}


@pytest.mark.parametrize("scenario", IPSEC_SCENARIOS)
def test_ike_gateways(tmp_path: Path, scenario: str) -> None:
    _, stmts, plan = render(tmp_path, scenario)
    gateways = under(stmts, "security", "ike", "gateway")
    policies = under(stmts, "security", "ike", "policy")
    assert set(gateways) == {f"CF-{t.name}" for t in ipsec(plan)}
    kind = EXPECTED_ID.get(scenario, "fqdn")
    for t in ipsec(plan):
        gw = gateways[f"CF-{t.name}"]
        assert one(gw, "version") == "v2-only"  # IKEv2 only
        assert one(gw, "address") == t.endpoint_address
        assert one(gw, "remote-identity", "inet") == t.endpoint_address
        ids = identities_for(t.name)
        expected = {
            "fqdn": ids.fqdn_id,
            "user": ids.user_id,
            "hex": ids.hex_id,
            "ipv4": t.wan.address,
        }[kind]
        assert [s[1:] for s in gw if s[0] == "local-identity"] == [(ID_KEYWORD[kind], expected)]
        assert one(gw, "external-interface") == t.wan.interface
        if t.wan.behind_nat:
            # the inventory's address is the one after NAT, which the SRX does not own
            assert not any(s[0] == "local-address" for s in gw)
        else:
            assert one(gw, "local-address") == t.wan.address
        assert ("dead-peer-detection", "always-send") in gw
        assert t.ipsec is not None
        interval = int(one(gw, "dead-peer-detection", "interval"))
        assert interval == t.ipsec.dpd_interval and 2 <= interval <= 60
        assert not any(s[0] in ("no-nat-traversal", "general-ikeid") for s in gw)
        pol = policies[one(gw, "ike-policy")]
        assert values(pol, "proposals") == [t.ipsec.ike.name]
        assert one(pol, "pre-shared-key", "ascii-text") == f"<redacted:psk:{t.name}>"
        assert not any(s[0] == "mode" for s in pol)  # main/aggressive is IKEv1 only


@pytest.mark.parametrize("scenario", IPSEC_SCENARIOS)
def test_ipsec_vpns(tmp_path: Path, scenario: str) -> None:
    _, stmts, plan = render(tmp_path, scenario)
    vpns = under(stmts, "security", "ipsec", "vpn")
    assert set(vpns) == {f"CF-{t.name}" for t in ipsec(plan)}
    for t in ipsec(plan):
        vpn = vpns[f"CF-{t.name}"]
        assert one(vpn, "bind-interface") == t.interface
        assert one(vpn, "ike", "gateway") == f"CF-{t.name}"
        assert one(vpn, "establish-tunnels") == "immediately"  # Cloudflare only responds
        assert (("ike", "no-anti-replay") in vpn) is not t.replay_protection
    mss = int(one(stmts, "security", "flow", "tcp-mss", "ipsec-vpn", "mss"))
    assert mss <= 1360 and mss == min(t.mss for t in ipsec(plan))


GCM = {
    "ike": {
        ("authentication-method", "pre-shared-keys"),
        ("dh-group", "group20"),
        ("authentication-algorithm", "sha-256"),
        ("encryption-algorithm", "aes-256-gcm"),
        ("lifetime-seconds", "86400"),
    },
    "esp": {
        ("protocol", "esp"),
        ("encryption-algorithm", "aes-256-gcm"),
        ("lifetime-seconds", "28800"),
    },
    "pfs": "group20",
}
CBC = {
    "ike": {
        ("authentication-method", "pre-shared-keys"),
        ("dh-group", "group20"),
        ("authentication-algorithm", "sha-256"),
        ("encryption-algorithm", "aes-256-cbc"),
        ("lifetime-seconds", "86400"),
    },
    "esp": {
        ("protocol", "esp"),
        ("encryption-algorithm", "aes-256-cbc"),
        ("authentication-algorithm", "hmac-sha-256-128"),
        ("lifetime-seconds", "28800"),
    },
    "pfs": "group20",
}
# custom-crypto with the one PRF Junos 23.4 can pair with AES-CBC + SHA-256 integrity
CUSTOM = {
    "ike": {
        ("authentication-method", "pre-shared-keys"),
        ("dh-group", "group14"),
        ("authentication-algorithm", "sha-256"),
        ("encryption-algorithm", "aes-256-cbc"),
        ("lifetime-seconds", "28800"),
    },
    "esp": {
        ("protocol", "esp"),
        ("encryption-algorithm", "aes-128-gcm"),
        ("lifetime-seconds", "3600"),
    },
    "pfs": "group14",
}


def check_suite(stmts: list[Stmt], name: str, suite: dict[str, Any]) -> None:
    """One IKE proposal, one ESP proposal and one IPsec policy, exactly the suite's."""
    ike = under(stmts, "security", "ike", "proposal")
    assert list(ike) == [name] and sorted(ike[name]) == sorted(suite["ike"])
    esp = under(stmts, "security", "ipsec", "proposal")
    assert list(esp) == [name] and sorted(esp[name]) == sorted(suite["esp"])
    pol = under(stmts, "security", "ipsec", "policy")
    assert list(pol) == [name]
    assert sorted(pol[name]) == sorted(
        {("perfect-forward-secrecy", "keys", suite["pfs"]), ("proposals", name)}
    )
    for body in under(stmts, "security", "ike", "policy").values():
        assert values(body, "proposals") == [name]
    for body in under(stmts, "security", "ipsec", "vpn").values():
        assert one(body, "ike", "ipsec-policy") == name


@pytest.mark.parametrize(
    ("scenario", "name", "suite"), [("ipsec-dual-isp", "CF-GCM", GCM), ("cbc", "CF-CBC", CBC)]
)
def test_proposals_match_the_suite(
    tmp_path: Path, scenario: str, name: str, suite: dict[str, Any]
) -> None:
    _, stmts, _ = render(tmp_path, scenario)
    check_suite(stmts, name, suite)


def test_custom_crypto_with_sha256_prf(tmp_path: Path) -> None:
    inv = SCENARIOS["custom-crypto"](VENDOR, VERSION)
    crypto = copy.deepcopy(inv["defaults"]["ipsec"]["crypto"])
    crypto["ike"]["prf"] = "sha256"
    inv["defaults"]["ipsec"]["crypto"] = crypto
    stmts, plan = render_inventory(tmp_path, inv)
    check_suite(stmts, "CF-CUSTOM1", CUSTOM)
    assert all(t.replay_protection for t in plan.tunnels)
    assert not any("no-anti-replay" in s for s in stmts)  # replay protection stays on
    for body in under(stmts, "security", "ike", "gateway").values():
        assert one(body, "dead-peer-detection", "interval") == "20"
    for body in under(stmts, "security", "ipsec", "vpn").values():
        assert one(body, "establish-tunnels") == "immediately"


def test_behind_nat_keeps_automatic_nat_traversal(tmp_path: Path) -> None:
    text, stmts, plan = render(tmp_path, "behind-nat")
    natted = [t for t in ipsec(plan) if t.ipsec and t.ipsec.nat_t]
    assert natted and {t.wan.name for t in natted} == {"isp-b"}
    # Junos 23.4 has no force-NAT-T: NAT-T must stay enabled (no no-nat-traversal anywhere)
    assert not any("no-nat-traversal" in s or "force-nat-t" in s for s in stmts)
    assert not any("udp-encapsulate" in s for s in stmts)
    gateways = under(stmts, "security", "ike", "gateway")
    for t in natted:
        # the address after NAT is not the SRX's: IKE leaves from the external interface
        assert not any(s[0] == "local-address" for s in gateways[f"CF-{t.name}"])
        assert one(gateways[f"CF-{t.name}"], "external-interface") == t.wan.interface
        assert f"# CF-{t.name}: WAN isp-b is behind NAT." in text
    zones = under(stmts, "security", "zones", "security-zone")
    assert ("interfaces", natted[0].wan.interface) in zones["untrust"]
    assert ("host-inbound-traffic", "system-services", "ike") in zones["untrust"]


# -- GRE -------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["gre-dual-isp", "mixed"])
def test_gre_tunnels(tmp_path: Path, scenario: str) -> None:
    _, stmts, plan = render(tmp_path, scenario)
    assert gre(plan)
    for t in gre(plan):
        ifd, number = unit(t)
        u = [s[4:] for s in stmts if s[:4] == ("interfaces", ifd, "unit", number)]
        assert one(u, "tunnel", "source") == t.wan.address
        assert one(u, "tunnel", "destination") == t.endpoint_address
        assert int(one(u, "tunnel", "ttl")) == t.ttl
        assert not any(s[0] == "keepalives" for s in u)
    if scenario == "mixed":
        assert {t.name: t.ttl for t in gre(plan)} == {"hq_b_cf1": 64, "hq_b_cf2": 32}
    else:  # GRE only: nothing of IKE/IPsec
        assert not any(s[:2] in (("security", "ike"), ("security", "ipsec")) for s in stmts)
        assert not any(s[:3] == ("security", "flow", "tcp-mss") for s in stmts)
    # MSS clamp per policy, both directions, between the LAN and the GRE zone
    policies = [s for s in stmts if s[:2] == ("security", "policies")]
    for src, dst in (("trust", "cloudflare-gre"), ("cloudflare-gre", "trust")):
        body = [s[8:] for s in policies if s[3] == src and s[5] == dst]
        for option in ("initial-tcp-mss", "reverse-tcp-mss"):
            assert values(body, "then", "permit", "tcp-options", option) == ["1436"]


# -- security policies -----------------------------------------------------------------------


@pytest.mark.parametrize("scenario", RENDERED)
def test_lan_and_cloudflare_zones_talk_both_ways(tmp_path: Path, scenario: str) -> None:
    _, stmts, plan = render(tmp_path, scenario)
    pairs: dict[tuple[str, str], list[Stmt]] = defaultdict(list)
    for s in stmts:
        if s[:2] == ("security", "policies"):
            pairs[(s[3], s[5])].append(s[8:])
    zones = {"cloudflare" if t.type == "ipsec" else "cloudflare-gre" for t in plan.tunnels}
    for zone in zones:
        for pair in (("trust", zone), (zone, "trust")):
            assert ("match", "application", "any") in pairs[pair]
            assert any(s[:2] == ("then", "permit") for s in pairs[pair])
        # reply-style health-check probes go back into the tunnel they came from
        assert ("match", "application", "junos-icmp-all") in pairs[(zone, zone)]


# -- routing ---------------------------------------------------------------------------------


def static(stmts: Iterable[Stmt], prefix: str, table: str | None = None) -> list[Stmt]:
    base: Stmt = ("routing-options", "static", "route", prefix)
    if table is not None:
        base = ("routing-instances", table, *base)
    return [s[len(base) :] for s in stmts if s[: len(base)] == base]


@pytest.mark.parametrize("scenario", RENDERED)
def test_underlay_host_routes_leave_through_their_own_wan(tmp_path: Path, scenario: str) -> None:
    _, stmts, plan = render(tmp_path, scenario)
    first = plan.wan_links[0]
    gateways = under(stmts, "security", "ike", "gateway")
    instances = under(stmts, "routing-instances")
    for r in plan.underlay_routes:
        table = None if r.wan.name == first.name else f"CF-{r.wan.name}"
        assert static(stmts, r.prefix, table) == [("next-hop", r.gateway)]
        if table is not None:
            assert ("instance-type", "virtual-router") in instances[table]
            assert ("interface", r.wan.interface) in instances[table]
    for t in plan.tunnels:  # IKE follows its external interface, GRE is told explicitly
        if t.wan.name == first.name:
            continue
        if t.type == "ipsec":
            assert one(gateways[f"CF-{t.name}"], "external-interface") in {
                s[1] for s in instances[f"CF-{t.wan.name}"] if s[0] == "interface"
            }
        else:
            ifd, number = unit(t)
            assert has(
                stmts,
                "interfaces",
                ifd,
                "unit",
                number,
                "tunnel",
                "routing-instance",
                "destination",
                f"CF-{t.wan.name}",
            )
    # one next hop per /32 and table: never an ECMP pair across two ISPs
    for prefix in {r.prefix for r in plan.underlay_routes}:
        assert len(static(stmts, prefix)) <= 1


def test_ecmp_over_all_tunnels(tmp_path: Path) -> None:
    _, stmts, plan = render(tmp_path, "ipsec-dual-isp")
    assert plan.ecmp and plan.routes
    for r in plan.routes:
        body = static(stmts, r.prefix)
        assert sorted(values(body, "next-hop")) == sorted(
            t.cloudflare_address for t in plan.tunnels
        )
        assert not any(s[0] == "qualified-next-hop" for s in body)
        assert ("tag", "13335") in body
    check_load_balancing(stmts)


def test_mixed_primary_ipsec_backup_gre(tmp_path: Path) -> None:
    _, stmts, plan = render(tmp_path, "mixed")
    assert not plan.ecmp
    primary = sorted(t.cloudflare_address for t in ipsec(plan))
    for r in plan.routes:
        body = static(stmts, r.prefix)
        assert sorted(values(body, "next-hop")) == primary  # ECMP over the IPsec pair
        backups = {s[1]: s[2:] for s in body if s[0] == "qualified-next-hop"}
        assert backups == {t.cloudflare_address: ("preference", "11") for t in gre(plan)}
        # Junos static routes default to preference 5: the backups must lose to it
        assert all(int(v[1]) > 5 for v in backups.values())
    check_load_balancing(stmts)


def check_load_balancing(stmts: list[Stmt]) -> None:
    term = under(stmts, "policy-options", "policy-statement", "CF-ECMP", "term")["CF-OVERLAY"]
    assert set(term) == {
        ("from", "protocol", "static"),
        ("from", "tag", "13335"),
        ("then", "load-balance", "per-packet"),
    }
    assert values(stmts, "routing-options", "forwarding-table", "export") == ["CF-ECMP"]


# -- less common inventories ----------------------------------------------------------------


def test_unidirectional_health_check_replies_may_leave_to_the_internet(tmp_path: Path) -> None:
    inv = SCENARIOS["ipsec-dual-isp"](VENDOR, VERSION)
    inv["defaults"]["health_check"] = {"direction": "unidirectional"}
    stmts, plan = render_inventory(tmp_path, inv)
    assert {t.health_check_direction for t in plan.tunnels} == {"unidirectional"}
    prefix = ("security", "policies", "from-zone", "cloudflare", "to-zone", "untrust")
    body = [s[len(prefix) + 2 :] for s in stmts if s[: len(prefix)] == prefix]
    assert ("match", "application", "junos-icmp-all") in body and ("then", "permit") in body


def test_single_wan_without_gateway_or_lan_interface(tmp_path: Path) -> None:
    inv = SCENARIOS["mixed"](VENDOR, VERSION)
    device = inv["sites"][0]["devices"][0]
    del device["lan_interface"]
    device["wan"] = [{k: v for k, v in device["wan"][0].items() if k != "gateway"}]
    device["tunnels"] = [device["tunnels"][0], device["tunnels"][3]]  # IPsec to cf1, GRE to cf2
    for t in device["tunnels"]:
        t["wan"] = "isp-a"
    path = write_inventory(tmp_path, inv)
    (text,) = device_texts(api.render(path, None, devices=[DEVICE]).files).values()
    stmts = parse(text)
    assert not any(s[0] == "routing-instances" for s in stmts)  # one WAN: all in inet.0
    assert not any(
        s[:3] == ("routing-options", "static", "route") and "/32" in s[3] for s in stmts
    )  # no gateway: no underlay host routes
    assert not any(s[:4] == ("security", "zones", "security-zone", "trust") for s in stmts)
    if not (vendor_data_dir() / "junos").is_dir():
        pytest.skip(f"Junos reference tree not found under {vendor_data_dir()}")
    errors = validate_junos(text.splitlines())  # the trust zone is the device's own
    assert errors == [], "\n".join(f"{e.line_no}: {e.line}: {e.message}" for e in errors)
