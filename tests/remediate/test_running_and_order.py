"""`netgen diff --running`: against realistic running configs, the remediation touches only
what netgen manages and never shows a running secret; order-sensitive sections; `-o` files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netgen import api
from netgen.cli.app import app
from netgen.remediate import remediate
from netgen.vendors.registry import load_registry
from tests.scenarios import SCENARIOS, write_inventory

REGISTRY = load_registry()
RUNNING_SECRET = "RunningSecretNeverShown42"

IOS_UNRELATED = f"""\
hostname hq-edge1
ntp server 192.0.2.123
username admin privilege 15 secret 9 $9$notarealhash
ip access-list extended MGMT
 permit tcp 198.51.100.0 0.0.0.255 any eq 22
interface GigabitEthernet3
 description LAN
 ip address 10.10.0.1 255.255.0.0
interface Tunnel900
 description partner VPN
 ip address 172.16.0.1 255.255.255.252
 tunnel destination 198.51.100.200
ip route 0.0.0.0 0.0.0.0 GigabitEthernet1 203.0.113.1
crypto ikev2 keyring PARTNER
 peer partner
  address 198.51.100.200
  pre-shared-key 6 {RUNNING_SECRET}
"""
# a tunnel netgen created earlier and the inventory no longer has
IOS_STALE = """\
crypto ikev2 keyring CF-KR-hq_old
 peer hq_old
  address 192.0.2.30
  pre-shared-key 6 OldSecretNeverShown77
crypto ikev2 profile CF-hq_old
 match identity remote address 192.0.2.30 255.255.255.255
 keyring local CF-KR-hq_old
crypto ipsec profile CF-hq_old
 set ikev2-profile CF-hq_old
interface Tunnel150
 description Cloudflare IPsec hq_old to cf3
 ip address 10.252.0.41 255.255.255.254
 tunnel destination 192.0.2.30
 tunnel protection ipsec profile CF-hq_old
ip route 10.20.0.0 255.254.0.0 Tunnel150 10.252.0.40
ip route 192.0.2.30 255.255.255.255 GigabitEthernet1 203.0.113.1
"""

JUNOS_UNRELATED = f"""\
set system host-name hq-srx
set system ntp server 192.0.2.123
set system login user admin class super-user
set interfaces ge-0/0/2 unit 0 family inet address 10.10.0.1/16
set interfaces st0 unit 900 description "partner VPN"
set interfaces st0 unit 900 family inet address 172.16.0.1/30
set security ike policy PARTNER pre-shared-key ascii-text "{RUNNING_SECRET}"
set security ike gateway PARTNER address 198.51.100.200
set security zones security-zone untrust interfaces ge-0/0/0.0
set security zones security-zone trust interfaces ge-0/0/2.0
set routing-options static route 0.0.0.0/0 next-hop 203.0.113.1
"""
JUNOS_STALE = """\
set interfaces st0 unit 50 description "Cloudflare IPsec hq_old to cf3"
set interfaces st0 unit 50 family inet address 10.252.0.41/31
set security ike policy CF-hq_old pre-shared-key ascii-text "$9$OldSecretNeverShown77"
set security ike gateway CF-hq_old address 192.0.2.30
set security ipsec vpn CF-hq_old bind-interface st0.50
set security zones security-zone cloudflare interfaces st0.50
set routing-options static route 10.99.0.0/16 next-hop 10.252.0.40
"""

VYOS_UNRELATED = f"""\
set system host-name 'hq-vyos'
set system ntp server 192.0.2.123
set interfaces ethernet eth2 address '10.10.0.1/16'
set interfaces tunnel tun900 description 'partner GRE'
set interfaces tunnel tun900 remote '198.51.100.200'
set vpn ipsec authentication psk partner secret '{RUNNING_SECRET}'
set protocols static route 0.0.0.0/0 next-hop 203.0.113.1
"""
VYOS_STALE = """\
set interfaces tunnel tun50 description 'Cloudflare GRE hq_old to cf3'
set interfaces tunnel tun50 address '10.252.0.41/31'
set interfaces tunnel tun50 remote '192.0.2.30'
set protocols static route 10.99.0.0/16 next-hop 10.252.0.40 distance '1'
set protocols static route 192.0.2.30/32 next-hop 203.0.113.1 interface 'eth0'
"""

CASES = {
    "cisco_iosxe": (IOS_UNRELATED, IOS_STALE, "!"),
    "juniper_srx": (JUNOS_UNRELATED, JUNOS_STALE, "#"),
    "vyos": (VYOS_UNRELATED, VYOS_STALE, "#"),
}


def _intended(tmp_path: Path, vendor: str) -> tuple[Path, str]:
    inv = write_inventory(tmp_path, SCENARIOS["mixed"](vendor, None))
    files = api.render_files(api.open_session(inv), devices=["hq-edge1"], allow_placeholders=True)
    config = next(f.content.decode() for f in files if "/hq-edge1." in f.path)
    return inv, config


@pytest.mark.parametrize("vendor", sorted(CASES))
def test_running_config_in_sync_needs_nothing(tmp_path: Path, vendor: str) -> None:
    unrelated, _, comment = CASES[vendor]
    inv, config = _intended(tmp_path, vendor)
    body = [line for line in config.splitlines() if not line.startswith(comment)]
    running = tmp_path / "running.txt"
    running.write_text(unrelated + "\n".join(body) + "\n")
    assert api.diff_running(inv, {"hq-edge1": running}).devices == []


@pytest.mark.parametrize("vendor", sorted(CASES))
def test_running_config_remediation_leaves_unrelated_lines_alone(
    tmp_path: Path, vendor: str
) -> None:
    unrelated, stale, comment = CASES[vendor]
    inv, config = _intended(tmp_path, vendor)
    body = [line for line in config.splitlines() if not line.startswith(comment)]
    # the running config misses one netgen line and has a stale netgen tunnel
    missing = next(line for line in body if "mtu" in line)
    running = tmp_path / "running.txt"
    running.write_text(unrelated + stale + "\n".join(x for x in body if x != missing) + "\n")
    (device,) = api.diff_running(inv, {"hq-edge1": running}).devices
    commands = device["remediation"]
    text = json.dumps(device)
    assert RUNNING_SECRET not in text and "OldSecretNeverShown77" not in text
    assert missing.strip() in [c.strip() for c in commands]
    # every removal is of the stale netgen tunnel (its name, interface, addresses, endpoint)
    removals = [c for c in commands if c.startswith(("no ", "delete "))]
    assert removals, commands
    stale_marks = ("hq_old", "Tunnel150", "unit 50", "st0.50", "tun50", "10.99.0.0", "192.0.2.30")
    for line in removals:
        assert any(mark in line for mark in stale_marks), line
    # nothing unrelated appears anywhere in the remediation
    for line in unrelated.splitlines():
        assert line not in commands, line
    assert not any(w in " ".join(commands) for w in ("PARTNER", "partner", "ntp", "admin", "900"))


def test_running_errors_name_the_device_and_file(tmp_path: Path) -> None:
    inv, _ = _intended(tmp_path, "cisco_iosxe")
    result = CliRunner().invoke(
        app, ["diff", str(inv), "--running", "nope=missing.txt", "--running", "bad"]
    )
    assert result.exit_code == 2 and "NG807" in result.output
    result = CliRunner().invoke(app, ["diff", str(inv), "--running", "nope=missing.txt"])
    assert result.exit_code == 1 and "NG804" in result.output


def test_ios_proposal_order_is_a_change() -> None:
    profile = REGISTRY.vendors["cisco_iosxe"]
    policy = "crypto ikev2 policy CF-IKEV2-POLICY\n match fvrf any\n proposal {} \n proposal {}\n"
    old = {"d.ios": policy.format("CF-GCM", "CF-CBC")}
    new = {"d.ios": policy.format("CF-CBC", "CF-GCM")}
    fix = remediate(profile, "d", old, new)
    assert fix.remediation == [
        "crypto ikev2 policy CF-IKEV2-POLICY",
        " no match fvrf any",
        " no proposal CF-GCM",
        " no proposal CF-CBC",
        " match fvrf any",
        " proposal CF-CBC",
        " proposal CF-GCM",
    ]


def test_a_removed_lan_policy_never_removes_the_lan_interface() -> None:
    profile = REGISTRY.vendors["cisco_iosxe"]
    old = {"d.ios": "interface GigabitEthernet3\n ip policy route-map CF-VIA-CLOUDFLARE\n"}
    fix = remediate(profile, "d", old, {"d.ios": ""})
    assert fix.remediation == [
        "interface GigabitEthernet3",
        " no ip policy route-map CF-VIA-CLOUDFLARE",
    ]


def test_hier_config_platforms_are_hier_config_3_names() -> None:
    from hier_config import Platform

    engines = {v.id: v.remediation.engine for v in REGISTRY.vendors.values()}
    assert engines == {
        "cisco_iosxe": "hier_config",
        "juniper_srx": "set_commands",
        "strongswan": "strongswan",
        "vyos": "set_commands",
    }
    for profile in REGISTRY.vendors.values():
        if profile.remediation.engine == "hier_config":
            assert Platform[profile.remediation.hier_config_platform or ""] is Platform.CISCO_IOS
