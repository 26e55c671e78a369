"""Tests for the Junos schema validator (vendor-syntax.md section 2 as the oracle)."""

from __future__ import annotations

import time

import pytest

from .junos_schema import load_junos_tree, validate_junos
from .vyos_schema import vendor_data_dir


@pytest.fixture(scope="module", autouse=True)
def _junos_data() -> None:
    if not (vendor_data_dir() / "junos").is_dir():
        pytest.skip(f"Junos reference tree not found under {vendor_data_dir()}")


# vendor-syntax.md 2.1-2.4 (tunnel A + shared objects, variants, GRE, routing), fake PSKs.
GOOD = """
set interfaces st0 unit 0 family inet address 10.252.0.1/31
set interfaces st0 unit 0 family inet mtu 1450
set security zones security-zone untrust interfaces ge-0/0/0.0 host-inbound-traffic system-services ike
set security zones security-zone cloudflare interfaces st0.0 host-inbound-traffic system-services ping
set security ike proposal CF-IKE-GCM authentication-method pre-shared-keys
set security ike proposal CF-IKE-GCM dh-group group20
set security ike proposal CF-IKE-GCM authentication-algorithm sha-256
set security ike proposal CF-IKE-GCM encryption-algorithm aes-256-gcm
set security ike proposal CF-IKE-GCM lifetime-seconds 86400
set security ike policy CF-A-POL proposals CF-IKE-GCM
set security ike policy CF-A-POL pre-shared-key ascii-text "FAKE-PSK-not-secret"
set security ike gateway CF-A-GW ike-policy CF-A-POL
set security ike gateway CF-A-GW address 192.0.2.10
set security ike gateway CF-A-GW local-identity hostname 1f2e.0123.ipsec.cloudflare.com
set security ike gateway CF-A-GW remote-identity inet 192.0.2.10
set security ike gateway CF-A-GW external-interface ge-0/0/0.0
set security ike gateway CF-A-GW local-address 203.0.113.10
set security ike gateway CF-A-GW version v2-only
set security ike gateway CF-A-GW dead-peer-detection always-send
set security ike gateway CF-A-GW dead-peer-detection interval 30
set security ike gateway CF-A-GW dead-peer-detection threshold 4
set security ipsec proposal CF-ESP-GCM protocol esp
set security ipsec proposal CF-ESP-GCM encryption-algorithm aes-256-gcm
set security ipsec proposal CF-ESP-GCM lifetime-seconds 28800
set security ipsec policy CF-IPSEC-POL perfect-forward-secrecy keys group20
set security ipsec policy CF-IPSEC-POL proposals CF-ESP-GCM
set security ipsec vpn CF-A bind-interface st0.0
set security ipsec vpn CF-A ike gateway CF-A-GW
set security ipsec vpn CF-A ike ipsec-policy CF-IPSEC-POL
set security ipsec vpn CF-A ike no-anti-replay
set security ipsec vpn CF-A establish-tunnels immediately
set security flow tcp-mss ipsec-vpn mss 1360
set security policies from-zone trust to-zone cloudflare policy T-TO-CF match source-address any
set security policies from-zone trust to-zone cloudflare policy T-TO-CF match destination-address any
set security policies from-zone trust to-zone cloudflare policy T-TO-CF match application any
set security policies from-zone trust to-zone cloudflare policy T-TO-CF then permit
set security policies from-zone cloudflare to-zone trust policy CF-TO-T match source-address any
set security policies from-zone cloudflare to-zone trust policy CF-TO-T match destination-address any
set security policies from-zone cloudflare to-zone trust policy CF-TO-T match application any
set security policies from-zone cloudflare to-zone trust policy CF-TO-T then permit
# 2.2 variants
set security ike proposal CF-IKE-CBC authentication-method pre-shared-keys
set security ike proposal CF-IKE-CBC dh-group group20
set security ike proposal CF-IKE-CBC authentication-algorithm sha-256
set security ike proposal CF-IKE-CBC encryption-algorithm aes-256-cbc
set security ike proposal CF-IKE-CBC lifetime-seconds 86400
set security ipsec proposal CF-ESP-CBC protocol esp
set security ipsec proposal CF-ESP-CBC authentication-algorithm hmac-sha-256-128
set security ipsec proposal CF-ESP-CBC encryption-algorithm aes-256-cbc
set security ipsec proposal CF-ESP-CBC lifetime-seconds 28800
set security ike gateway CF-B-GW local-identity user-at-hostname ipsec@5a6b.0123.ipsec.cloudflare.com
set security ike gateway CF-C-GW local-identity key-id 0123_1f2e
set security ike gateway CF-A-GW nat-keepalive 20
# 2.3 GRE
set interfaces gr-0/0/0 unit 0 tunnel source 203.0.113.10
set interfaces gr-0/0/0 unit 0 tunnel destination 192.0.2.10
set interfaces gr-0/0/0 unit 0 tunnel ttl 64
set interfaces gr-0/0/0 unit 0 family inet address 10.252.0.1/31
set interfaces gr-0/0/0 unit 0 family inet mtu 1476
set security zones security-zone cloudflare interfaces gr-0/0/0.0 host-inbound-traffic system-services ping
set security policies from-zone trust to-zone cloudflare policy T-TO-CF then permit tcp-options initial-tcp-mss 1436
set security policies from-zone trust to-zone cloudflare policy T-TO-CF then permit tcp-options reverse-tcp-mss 1436
# 2.4 health checks and routing
set security policies from-zone cloudflare to-zone cloudflare policy CF-HC match source-address any
set security policies from-zone cloudflare to-zone cloudflare policy CF-HC match destination-address any
set security policies from-zone cloudflare to-zone cloudflare policy CF-HC match application any
set security policies from-zone cloudflare to-zone cloudflare policy CF-HC then permit
set routing-options static route 192.0.2.10/32 next-hop 203.0.113.1
set routing-options static route 192.0.2.20/32 next-hop 203.0.113.1
set routing-options static route 10.20.0.0/16 next-hop 10.252.0.0
set routing-options static route 10.20.0.0/16 next-hop 10.252.0.2
set routing-options static route 10.20.0.0/16 qualified-next-hop 10.252.0.2 preference 10
set policy-options policy-statement CF-ECMP then load-balance per-packet
set routing-options forwarding-table export CF-ECMP
""".splitlines()  # noqa: E501


def test_reference_config_is_valid() -> None:
    assert validate_junos(GOOD) == []


def test_reference_config_satisfies_must_references() -> None:
    # The snippet uses the pre-existing zone 'trust'; everything else it defines itself.
    assert validate_junos([*GOOD, "set security zones security-zone trust"], check_must=True) == []


BAD = [
    ("set security ike proposal CF-IKE-GCM dh-group group22", "invalid value 'group22'"),
    ("set security ike proposal CF-IKE-GCM lifetime-seconds 10", "uint32 in 180..86400"),
    ("set security ike proposal CF-IKE-GCM lifetime-seconds 86401", "uint32 in 180..86400"),
    ("set security ipsec proposal CF-ESP-GCM lifetime-seconds soon", "invalid value 'soon'"),
    (
        "set security ike proposal CF-IKE-GCM encryption-algoritm aes-256-gcm",
        "did you mean: encryption-algorithm",
    ),
    ("set security ike proposal CF-IKE-GCM encryption-algorithm aes256gcm", "one of 3des-cbc"),
    # vendor-syntax.md 2.5
    ("set security ike gateway CF-A-GW force-nat-t", "unknown keyword 'force-nat-t'"),
    ("set security ike proposal CF-IKE-GCM prf-algorithm sha-256", "unknown keyword"),
    ("set security ike gateway CF-A-GW dead-peer-detection threshold 6", "1..5"),
    ("set security ike gateway CF-A-GW dead-peer-detection interval 61", "2..60"),
    ("set security ipsec vpn CF-A ike anti-replay-window-size 0", "64..8192"),
    ("set security ike gateway CF-A-GW mode main", "unknown keyword 'mode'"),
    # names, lengths, posix patterns, list keys
    (
        "set security ike proposal CF-IKE-NAME-THAT-IS-LONGER-THAN-32-CHARS dh-group group20",
        "1..32",
    ),
    ("set security zones security-zone bad/zone tcp-rst", "invalid value 'bad/zone'"),
    (
        'set security zones security-zone cloudflare description "a <b> c"',
        "invalid value 'a <b> c'",
    ),
    (
        "set security zones security-zone cloudflare host-inbound-traffic system-services pingg",
        "invalid value 'pingg'",
    ),
    (
        "set security policies from-zone trust cloudflare policy P then permit",
        "requires 'to-zone <value>' next",
    ),
    ("set security policies from-zone trust to-zone cloudflare policy P then permitt", "permit?"),
    ("set routing-options static route 10.20.0.0/16 next-hopp 10.252.0.2", "did you mean"),
    ("set interfaces st0 unit 0 family inet mtu big", "invalid value 'big'"),
    ("set interfaces gr-0/0/0 unit 0 tunnel ttl 0", "1..255"),
    ("set security flow tcp-mss ipsec-vpn mss 1", "64..65535"),
    ("set system host-name srx", "the schema covers: firewall, interfaces"),
    ("set routing-instances CF-VR routing-options static route 0/0 nxt 1", "unknown keyword"),
    ("set routing-instances CF-VR instance-typ virtual-router", "did you mean: instance-type"),
    ("delete security ike", "not a 'set <path>' command"),
    ('set security ike proposal CF-IKE-GCM description "unterminated', "cannot split line"),
]


@pytest.mark.parametrize(("line", "expected"), BAD, ids=[b[0][4:50] for b in BAD])
def test_rejections(line: str, expected: str) -> None:
    errors = validate_junos([*GOOD, line])
    assert [e.line_no for e in errors] == [len(GOOD) + 1], errors
    assert expected in errors[0].message
    assert errors[0].line == line


def test_error_names_path_and_value() -> None:
    [error] = validate_junos(["set security ike proposal P dh-group group22"])
    assert error.message.startswith(
        "invalid value 'group22' for 'security ike proposal P dh-group': expected one of"
    )
    assert "group20" in error.message


def test_cli_forms() -> None:
    lines = [
        'set interfaces st0 unit 1 description "CF IPsec B 192.0.2.20"',
        "set security ike gateway CF-B-GW address [ 192.0.2.20 192.0.2.21 ]",
        "set security ike gateway CF-B-GW dead-peer-detection interval 10 threshold 3",
        "set routing-options static route 10.20.0.0/16 preference 7",
        "set routing-instances CF-VR",
        "set routing-instances CF-VR instance-type virtual-router",
        "set routing-instances CF-VR interface st0.1",
        "set routing-instances CF-VR routing-options static route 0.0.0.0/0 next-hop 10.252.0.2",
        "set security policies from-zone trust to-zone cloudflare policy P2 match application any",
    ]
    assert validate_junos(lines) == []


def test_must_references_are_opt_in() -> None:
    lines = [
        "set security ike gateway CF-X-GW ike-policy CF-NOPE",
        "set security ike policy CF-X-POL proposals [ CF-IKE-GCM CF-MISSING ]",
        "set security ipsec vpn CF-X ike gateway CF-Y-GW",
        "set security ipsec vpn CF-X ike ipsec-policy CF-IPSEC-POL",
        "set security policies from-zone untrust to-zone dmz policy P then permit",
    ]
    base = [*GOOD, "set security zones security-zone trust"]
    assert validate_junos([*base, *lines]) == []
    errors = validate_junos([*base, *lines], check_must=True)
    by_line = {e.line_no - len(base): e.message for e in errors}
    assert sorted(by_line) == [1, 2, 3, 5], errors
    assert "needs 'security ike policy CF-NOPE'" in by_line[1]
    assert "needs 'security ike proposal CF-MISSING'" in by_line[2]
    assert "needs 'security ike gateway CF-Y-GW'" in by_line[3]
    assert "needs 'security zones security-zone dmz'" in by_line[5]


def test_fast() -> None:
    load_junos_tree()
    lines = (GOOD * 2)[:100]
    start = time.perf_counter()
    validate_junos(lines, check_must=True)
    assert time.perf_counter() - start < 0.25
