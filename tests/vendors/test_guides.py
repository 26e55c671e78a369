"""netgen's configs against the shape of Cloudflare's own guides (IOS-XE, SRX, VyOS 1.5).

The inventory below describes the guides' example site: one ISP link (203.0.113.10, gateway
.1), two IPsec tunnels to 192.0.2.10 / 192.0.2.20 with 10.252.0.0/31 and 10.252.0.2/31, LAN
10.10.0.0/16, a remote site 10.20.0.0/16, FQDN identities. The guide lines are tunnel A of the
team's reference transcription (reference/vendor-syntax.md §1.1, §2.1, §4.1, checked against
the guides and the vendor schemas), with the guide's object names mapped to netgen's. Every
guide line must be in netgen's render, except the listed differences, each of which has its
reason in docs/vendors.md ("Compared with Cloudflare's guides"). The renders are snapshots a
reviewer can read beside the guide.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netgen import api
from tests.scenarios import identities_for, write_inventory

DOCS = Path(__file__).resolve().parents[2] / "docs" / "vendors.md"
WAN = {"cisco_iosxe": "GigabitEthernet1", "juniper_srx": "ge-0/0/0.0", "vyos": "eth0"}
LAN = {"cisco_iosxe": "GigabitEthernet2", "juniper_srx": "ge-0/0/1.0", "vyos": "eth1"}
VERSION = {"cisco_iosxe": "17.9", "juniper_srx": "23.4", "vyos": "1.5"}
FQDN_A = identities_for("CF_A").fqdn_id


def guide_inventory(vendor: str) -> dict[str, Any]:
    device = {
        "name": "guide-r1",
        "vendor": vendor,
        "platform_version": VERSION[vendor],
        "lan_interface": LAN[vendor],
        "wan": [
            {
                "name": "isp",
                "interface": WAN[vendor],
                "address": "203.0.113.10",
                "gateway": "203.0.113.1",
            }
        ],
        "tunnels": [
            {"name": "CF_A", "wan": "isp", "endpoint": "cf1", "interface_address": "10.252.0.0/31"},
            {"name": "CF_B", "wan": "isp", "endpoint": "cf2", "interface_address": "10.252.0.2/31"},
        ],
    }
    remote = {
        "name": "remote-r1",
        "vendor": "cisco_iosxe",
        "wan": [
            {
                "name": "isp",
                "interface": "Gi1",
                "address": "198.51.100.20",
                "gateway": "198.51.100.1",
            }
        ],
        "tunnels": [
            {"name": "R_A", "wan": "isp", "endpoint": "cf1", "interface_address": "10.252.1.0/31"}
        ],
    }
    return {
        "netgen": 1,
        "account": {"id": "0123456789abcdef0123456789abcdef"},
        "cloudflare": {
            "endpoints": [
                {"name": "cf1", "address": "192.0.2.10"},
                {"name": "cf2", "address": "192.0.2.20"},
            ]
        },
        "defaults": {"tunnel_type": "ipsec"},
        "sites": [
            {"name": "guide", "lan_prefixes": ["10.10.0.0/16"], "devices": [device]},
            {"name": "remote", "lan_prefixes": ["10.20.0.0/16"], "devices": [remote]},
        ],
    }


# (guide line with netgen's names, or a line netgen does differently: the key of its reason)
GUIDES: dict[str, list[tuple[str, str | None]]] = {
    "cisco_iosxe": [
        ("crypto ikev2 proposal CF-GCM", None),
        (" encryption aes-gcm-256", None),
        (" prf sha256", None),
        (" group 20", None),
        (" match fvrf any", None),
        (" proposal CF-GCM", None),
        ("crypto ikev2 keyring CF-KEYRING", "keyring per tunnel"),
        ("  address 192.0.2.10", None),
        (" match identity remote address 192.0.2.10 255.255.255.255", None),
        (f" identity local fqdn {FQDN_A}", None),
        (" authentication remote pre-share", None),
        (" authentication local pre-share", None),
        (" lifetime 86400", None),
        (" dpd 30 10 periodic", None),
        (" no config-exchange request", None),
        ("crypto ipsec transform-set CF-GCM esp-gcm 256", None),
        (" mode tunnel", None),
        (" set transform-set CF-GCM", None),
        (" set pfs group20", None),
        (" set security-association lifetime seconds 28800", None),
        (" set security-association lifetime kilobytes disable", None),
        (" set security-association replay disable", None),
        (" set ikev2-profile CF-CF_A", None),
        (" ip address 10.252.0.1 255.255.255.254", None),
        (" ip mtu 1450", None),
        (" ip tcp adjust-mss 1360", None),
        (" tunnel source 203.0.113.10", "tunnel source interface"),
        (" tunnel mode ipsec ipv4", None),
        (" tunnel destination 192.0.2.10", None),
        (" tunnel path-mtu-discovery", None),
        (" tunnel protection ipsec profile CF-CF_A", None),
    ],
    "juniper_srx": [
        ("set interfaces st0 unit 0 family inet address 10.252.0.1/31", None),
        ("set interfaces st0 unit 0 family inet mtu 1450", None),
        (
            "set security zones security-zone untrust interfaces ge-0/0/0.0 "
            "host-inbound-traffic system-services ike",
            "zone-level host-inbound-traffic",
        ),
        (
            "set security zones security-zone cloudflare interfaces st0.0 "
            "host-inbound-traffic system-services ping",
            "zone-level host-inbound-traffic",
        ),
        ("set security ike proposal CF-GCM authentication-method pre-shared-keys", None),
        ("set security ike proposal CF-GCM dh-group group20", None),
        ("set security ike proposal CF-GCM authentication-algorithm sha-256", None),
        ("set security ike proposal CF-GCM encryption-algorithm aes-256-gcm", None),
        ("set security ike proposal CF-GCM lifetime-seconds 86400", None),
        ("set security ike policy CF-CF_A proposals CF-GCM", None),
        ("set security ike gateway CF-CF_A ike-policy CF-CF_A", None),
        ("set security ike gateway CF-CF_A address 192.0.2.10", None),
        (f'set security ike gateway CF-CF_A local-identity hostname "{FQDN_A}"', None),
        ("set security ike gateway CF-CF_A remote-identity inet 192.0.2.10", None),
        ("set security ike gateway CF-CF_A external-interface ge-0/0/0.0", None),
        ("set security ike gateway CF-CF_A local-address 203.0.113.10", None),
        ("set security ike gateway CF-CF_A version v2-only", None),
        ("set security ike gateway CF-CF_A dead-peer-detection always-send", None),
        ("set security ike gateway CF-CF_A dead-peer-detection interval 30", None),
        ("set security ike gateway CF-CF_A dead-peer-detection threshold 4", None),
        ("set security ipsec proposal CF-GCM protocol esp", None),
        ("set security ipsec proposal CF-GCM encryption-algorithm aes-256-gcm", None),
        ("set security ipsec proposal CF-GCM lifetime-seconds 28800", None),
        ("set security ipsec policy CF-GCM perfect-forward-secrecy keys group20", None),
        ("set security ipsec policy CF-GCM proposals CF-GCM", None),
        ("set security ipsec vpn CF-CF_A bind-interface st0.0", None),
        ("set security ipsec vpn CF-CF_A ike gateway CF-CF_A", None),
        ("set security ipsec vpn CF-CF_A ike ipsec-policy CF-GCM", None),
        ("set security ipsec vpn CF-CF_A ike no-anti-replay", None),
        ("set security ipsec vpn CF-CF_A establish-tunnels immediately", None),
        ("set security flow tcp-mss ipsec-vpn mss 1360", None),
        (
            "set security policies from-zone trust to-zone cloudflare policy CF-OUT "
            "match application any",
            None,
        ),
        (
            "set security policies from-zone trust to-zone cloudflare policy CF-OUT then permit",
            None,
        ),
    ],
    "vyos": [
        ("set interfaces vti vti1 address '10.252.0.1/31'", None),
        ("set interfaces vti vti1 mtu '1450'", None),
        ("set interfaces vti vti1 ip adjust-mss '1360'", None),
        ("set interfaces vti vti1 ip source-validation 'disable'", None),
        ("set vpn ipsec interface 'eth0'", None),
        ("set vpn ipsec options disable-route-autoinstall", None),
        ("set vpn ipsec ike-group CF-GCM-CF_A key-exchange 'ikev2'", None),
        ("set vpn ipsec ike-group CF-GCM-CF_A lifetime '86400'", None),
        ("set vpn ipsec ike-group CF-GCM-CF_A disable-mobike", None),
        ("set vpn ipsec ike-group CF-GCM-CF_A close-action 'start'", None),
        ("set vpn ipsec ike-group CF-GCM-CF_A dead-peer-detection action 'restart'", None),
        ("set vpn ipsec ike-group CF-GCM-CF_A dead-peer-detection interval '30'", None),
        ("set vpn ipsec ike-group CF-GCM-CF_A dead-peer-detection timeout '120'", None),
        ("set vpn ipsec ike-group CF-GCM-CF_A proposal 1 encryption 'aes256gcm128'", None),
        ("set vpn ipsec ike-group CF-GCM-CF_A proposal 1 hash 'sha256'", None),
        ("set vpn ipsec ike-group CF-GCM-CF_A proposal 1 prf 'prfsha256'", None),
        ("set vpn ipsec ike-group CF-GCM-CF_A proposal 1 dh-group '20'", None),
        ("set vpn ipsec esp-group CF-GCM lifetime '28800'", None),
        ("set vpn ipsec esp-group CF-GCM mode 'tunnel'", None),
        ("set vpn ipsec esp-group CF-GCM pfs 'dh-group20'", None),
        ("set vpn ipsec esp-group CF-GCM proposal 1 encryption 'aes256gcm128'", None),
        ("set vpn ipsec esp-group CF-GCM proposal 1 hash 'sha256'", None),
        (f"set vpn ipsec authentication psk CF_A id '{FQDN_A}'", None),
        ("set vpn ipsec authentication psk CF_A id '192.0.2.10'", None),
        ("set vpn ipsec site-to-site peer CF_A authentication mode 'pre-shared-secret'", None),
        (f"set vpn ipsec site-to-site peer CF_A authentication local-id '{FQDN_A}'", None),
        ("set vpn ipsec site-to-site peer CF_A authentication remote-id '192.0.2.10'", None),
        ("set vpn ipsec site-to-site peer CF_A connection-type 'initiate'", None),
        ("set vpn ipsec site-to-site peer CF_A ike-group 'CF-GCM-CF_A'", None),
        ("set vpn ipsec site-to-site peer CF_A ikev2-reauth 'no'", None),
        ("set vpn ipsec site-to-site peer CF_A local-address '203.0.113.10'", None),
        ("set vpn ipsec site-to-site peer CF_A remote-address '192.0.2.10'", None),
        ("set vpn ipsec site-to-site peer CF_A replay-window '0'", None),
        ("set vpn ipsec site-to-site peer CF_A vti bind 'vti1'", None),
        ("set vpn ipsec site-to-site peer CF_A vti esp-group 'CF-GCM'", None),
    ],
}


def _render(tmp_path: Path, vendor: str) -> str:
    path = write_inventory(tmp_path, guide_inventory(vendor))
    result = api.render(path, None, devices=["guide-r1"])
    (text,) = [f.content.decode() for f in result.files if f.path.startswith("sites/guide/")]
    return text


@pytest.mark.parametrize("vendor", sorted(GUIDES))
def test_every_guide_line_is_rendered_or_a_documented_difference(
    tmp_path: Path, vendor: str
) -> None:
    lines = set(_render(tmp_path, vendor).splitlines())
    missing = [line for line, why in GUIDES[vendor] if why is None and line not in lines]
    assert missing == []
    differences = [(line, why) for line, why in GUIDES[vendor] if why is not None]
    assert all(line not in lines for line, _ in differences), "a difference is gone: update"
    docs = DOCS.read_text()
    assert all(why in docs for _, why in differences)


@pytest.mark.parametrize("vendor", sorted(GUIDES))
def test_guide_render_is_readable_beside_the_guide(
    tmp_path: Path, vendor: str, snapshot_file: Any
) -> None:
    assert _render(tmp_path, vendor) == snapshot_file
