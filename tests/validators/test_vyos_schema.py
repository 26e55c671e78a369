"""Tests for the VyOS schema validator (vendor-syntax.md section 4 as the oracle)."""

from __future__ import annotations

import time

import pytest

from .vyos_schema import (
    VYOS_VERSIONS,
    Constraint,
    SchemaError,
    _check,
    load_vyos_tree,
    validate_vyos,
    vendor_data_dir,
)


@pytest.fixture(scope="module", autouse=True)
def _vyos_data() -> None:
    if not (vendor_data_dir() / "vyos").is_dir():
        pytest.skip(f"VyOS reference trees not found under {vendor_data_dir()}")


VERSIONS = pytest.mark.parametrize("version", VYOS_VERSIONS)

# vendor-syntax.md 4.1-4.4 (tunnels A and B, variants), PSKs replaced by fake ones.
GOOD = """
# 4.1 IPsec, suite A, FQDN ID
set interfaces vti vti1 address '10.252.0.1/31'
set interfaces vti vti1 description 'CF IPsec A 192.0.2.10'
set interfaces vti vti1 mtu '1450'
set interfaces vti vti1 ip adjust-mss '1360'
set interfaces vti vti1 ip source-validation 'disable'
set interfaces vti vti2 address '10.252.0.3/31'
set vpn ipsec interface 'eth0'
set vpn ipsec options disable-route-autoinstall
set vpn ipsec ike-group CF-IKE key-exchange 'ikev2'
set vpn ipsec ike-group CF-IKE lifetime '86400'
set vpn ipsec ike-group CF-IKE disable-mobike
set vpn ipsec ike-group CF-IKE close-action 'start'
set vpn ipsec ike-group CF-IKE dead-peer-detection action 'restart'
set vpn ipsec ike-group CF-IKE dead-peer-detection interval '30'
set vpn ipsec ike-group CF-IKE dead-peer-detection timeout '120'
set vpn ipsec ike-group CF-IKE proposal 1 encryption 'aes256gcm128'
set vpn ipsec ike-group CF-IKE proposal 1 hash 'sha256'
set vpn ipsec ike-group CF-IKE proposal 1 prf 'prfsha256'
set vpn ipsec ike-group CF-IKE proposal 1 dh-group '20'
set vpn ipsec ike-group CF-IKE-B proposal 1 encryption 'aes256'
set vpn ipsec ike-group CF-IKE-B proposal 1 hash 'sha256'
set vpn ipsec ike-group CF-IKE-B proposal 1 dh-group '20'
set vpn ipsec esp-group CF-ESP lifetime '28800'
set vpn ipsec esp-group CF-ESP mode 'tunnel'
set vpn ipsec esp-group CF-ESP pfs 'dh-group20'
set vpn ipsec esp-group CF-ESP proposal 1 encryption 'aes256gcm128'
set vpn ipsec esp-group CF-ESP proposal 1 hash 'sha256'
set vpn ipsec esp-group CF-ESP-B proposal 1 encryption 'aes256'
set vpn ipsec esp-group CF-ESP-B proposal 1 hash 'sha256'
set vpn ipsec authentication psk CF_A id '1f2e.0123.ipsec.cloudflare.com'
set vpn ipsec authentication psk CF_A id '192.0.2.10'
set vpn ipsec authentication psk CF_A secret 'FAKE-PSK-not-secret'
set vpn ipsec site-to-site peer CF_A authentication mode 'pre-shared-secret'
set vpn ipsec site-to-site peer CF_A authentication local-id '1f2e.0123.ipsec.cloudflare.com'
set vpn ipsec site-to-site peer CF_A authentication remote-id '192.0.2.10'
set vpn ipsec site-to-site peer CF_A connection-type 'initiate'
set vpn ipsec site-to-site peer CF_A ike-group 'CF-IKE'
set vpn ipsec site-to-site peer CF_A ikev2-reauth 'no'
set vpn ipsec site-to-site peer CF_A local-address '203.0.113.10'
set vpn ipsec site-to-site peer CF_A remote-address '192.0.2.10'
set vpn ipsec site-to-site peer CF_A replay-window '0'
set vpn ipsec site-to-site peer CF_A vti bind 'vti1'
set vpn ipsec site-to-site peer CF_A vti esp-group 'CF-ESP'
set vpn ipsec site-to-site peer CF_A force-udp-encapsulation
set vpn ipsec site-to-site peer CF_B authentication local-id 'ipsec@5a6b.0123.ipsec.cloudflare.com'
set vpn ipsec site-to-site peer CF_B ike-group 'CF-IKE-B'
set vpn ipsec site-to-site peer CF_B vti bind 'vti2'
set vpn ipsec site-to-site peer CF_B vti esp-group 'CF-ESP-B'
set vpn ipsec site-to-site peer CF_C authentication local-id 'keyid:0123_1f2e'

# 4.2 GRE
set interfaces tunnel tun1 encapsulation 'gre'
set interfaces tunnel tun1 source-address '203.0.113.10'
set interfaces tunnel tun1 remote '192.0.2.10'
set interfaces tunnel tun1 address '10.252.0.1/31'
set interfaces tunnel tun1 mtu '1476'
set interfaces tunnel tun1 parameters ip ttl '64'
set interfaces tunnel tun1 ip adjust-mss '1436'
set interfaces tunnel tun1 ip source-validation 'disable'

# 4.3 Routing
set protocols static route 192.0.2.10/32 next-hop 203.0.113.1
set protocols static route 192.0.2.20/32 next-hop 203.0.113.1
set protocols static route 10.20.0.0/16 next-hop 10.252.0.0
set protocols static route 10.20.0.0/16 next-hop 10.252.0.2 distance '10'
set protocols static route 10.20.0.0/16 interface vti2 distance '10'

# 4.4 Health checks
set firewall ipv4 input filter rule 100 action 'accept'
set firewall ipv4 input filter rule 100 protocol 'icmp'
set firewall ipv4 input filter rule 100 inbound-interface name 'vti1'
set firewall ipv4 forward filter rule 100 action 'accept'
set firewall ipv4 forward filter rule 100 protocol 'icmp'
set firewall ipv4 forward filter rule 100 inbound-interface name 'vti1'
""".splitlines()


@VERSIONS
def test_reference_config_is_valid(version: str) -> None:
    assert validate_vyos(GOOD, version) == []


# vendor-syntax.md 4.6: rejected by both trees (1.3 / early-1.4 syntax and bad values).
BAD = [
    ("set vpn ipsec ike-group CF-IKE mobike 'disable'", "unknown keyword 'mobike'"),
    ("set vpn ipsec esp-group CF-ESP compression 'disable'", "takes no value"),
    ("set vpn ipsec ike-group CF-IKE ikev2-reauth 'no'", "takes no value"),
    ("set vpn ipsec ipsec-interfaces interface 'eth0'", "unknown keyword 'ipsec-interfaces'"),
    ("set vpn ipsec logging log-level '2'", "unknown keyword 'logging'"),
    ("set vpn ipsec site-to-site peer 192.0.2.10 ike-group 'CF-IKE'", "invalid name '192.0.2.10'"),
    (
        "set vpn ipsec site-to-site peer CF_A authentication pre-shared-secret 'FAKE-PSK'",
        "unknown keyword 'pre-shared-secret'",
    ),
    ("set vpn ipsec site-to-site peer CF_A authentication id 'x'", "unknown keyword 'id'"),
    ("set vpn ipsec ike-group CF-IKE proposal 1 prf 'sha256'", "invalid value 'sha256'"),
    (
        "set vpn ipsec ike-group CF-IKE proposal 1 encryption 'aes256gcm16'",
        "invalid value 'aes256gcm16'",
    ),
    ("set vpn ipsec esp-group CF-ESP pfs '20'", "invalid value '20'"),
    ("set interfaces vti vti1 ip adjust-mss '500'", "invalid value '500'"),
    ("set interfaces tunnel tun1 local-ip '203.0.113.10'", "unknown keyword 'local-ip'"),
    ("set interfaces tunnel tun1 remote-ip '192.0.2.10'", "unknown keyword 'remote-ip'"),
    ("set interfaces tunnel tun1 multicast 'disable'", "unknown keyword 'multicast'"),
    # further value checks
    ("set vpn ipsec ike-group CF-IKE lifetime '86401'", "numeric --range 0-86400"),
    ("set vpn ipsec site-to-site peer CF_A replay-window '2041'", "invalid value '2041'"),
    ("set interfaces vti tun1 mtu '1450'", "VTI interface must be named vtiN"),
    ("set interfaces vti vti1 address '10.252.0.0/24'", "expected ip-host"),
    ("set interfaces tunnel tun1 remote '192.0.2.300'", "invalid value '192.0.2.300'"),
    ("set protocols static route 10.20.0.1/16 next-hop 10.252.0.0", "expected ipv4-prefix"),
    ("set protocols static route 10.20.0.0/16 next-hop 10.252.0.2 distance '0'", "1-255"),
    ("set vpn ipsec ike-group", "requires a name"),
    ("set vpn ipsec ike-group CF-IKE lifetime", "requires exactly one value (got none)"),
    ("set vpn ipsec ike-group CF-IKE lifetime 5 6", "requires exactly one value (got 2"),
    ("set vpn ipsec options disable-route-autoinstall 'yes'", "takes no value"),
    ("show vpn ipsec sa", "not a 'set <path>' command"),
    ("set interfaces vti vti1 description 'unterminated", "cannot split line"),
]


@VERSIONS
@pytest.mark.parametrize(("line", "expected"), BAD, ids=[b[0][4:48] for b in BAD])
def test_rejections(version: str, line: str, expected: str) -> None:
    errors = validate_vyos([*GOOD, line], version)
    assert [e.line_no for e in errors] == [len(GOOD) + 1], errors
    assert expected in errors[0].message
    assert errors[0].line == line


def test_error_names_path_value_and_alternatives() -> None:
    [error] = validate_vyos(["set vpn ipsec ike-group CF-IKE mobike 'disable'"], "1.4")
    assert error == SchemaError(1, "set vpn ipsec ike-group CF-IKE mobike 'disable'", error.message)
    assert "under 'vpn ipsec ike-group CF-IKE'" in error.message
    assert "disable-mobike" in error.message
    [error] = validate_vyos(["set vpn ipsec esp-group CF-ESP pfs '20'"], "1.5")
    assert error.message.startswith("invalid value '20' for 'vpn ipsec esp-group CF-ESP pfs'")


@VERSIONS
def test_references_must_be_defined(version: str) -> None:
    lines = [
        "set vpn ipsec site-to-site peer CF_X ike-group 'CF-NOPE'",
        "set vpn ipsec site-to-site peer CF_X vti esp-group 'CF-ESP'",
        "set vpn ipsec site-to-site peer CF_X vti bind 'vti9'",
        "set interfaces vti vti1 vrf 'RED'",
        "set firewall ipv4 forward filter rule 5 jump-target 'CF-CHAIN'",
        "set firewall ipv4 forward filter rule 6 source group address-group '!CF-NETS'",
    ]
    errors = validate_vyos(lines, version)
    assert [e.line_no for e in errors] == [1, 2, 3, 4, 5, 6]
    assert "no 'vpn ipsec ike-group CF-NOPE' is defined" in errors[0].message
    assert "no 'interfaces vti vti9' is defined" in errors[2].message
    assert "no 'vrf name RED' is defined" in errors[3].message
    defined = [
        "set vpn ipsec ike-group CF-NOPE key-exchange 'ikev2'",
        "set vpn ipsec esp-group CF-ESP mode 'tunnel'",
        "set interfaces vti vti9 mtu '1450'",
        "set vrf name RED table '100'",
        "set firewall ipv4 name CF-CHAIN default-action 'accept'",
        "set firewall group address-group CF-NETS address '10.10.0.1'",
    ]
    assert validate_vyos([*lines, *defined], version) == []


@VERSIONS
def test_completion_only_references_are_not_enforced(version: str) -> None:
    # inbound-interface name refs 'vrf name' (completion help); 'default' is not a VRF.
    lines = [
        "set firewall ipv4 input filter rule 100 inbound-interface name 'eth0'",
        "set protocols static route 10.20.0.0/16 next-hop 10.252.0.0 vrf 'default'",
    ]
    assert validate_vyos(lines, version) == []


def test_multi_and_non_multi_leaves() -> None:
    lines = [
        "set vpn ipsec authentication psk CF_A id '1f2e.0123.ipsec.cloudflare.com'",
        "set vpn ipsec authentication psk CF_A id '192.0.2.10'",
        "set interfaces vti vti1 mtu '1450'",
        "set interfaces vti vti1 mtu '1450'",
        "set interfaces vti vti1 mtu '1400'",
    ]
    [error] = validate_vyos(lines, "1.4")
    assert error.line_no == 5
    assert "not multi-valued; already '1450' on line 3" in error.message


def test_comments_blank_lines_and_quoting() -> None:
    lines = [
        "# generated by netgen",
        "",
        "   ",
        'set interfaces vti vti1 description "double quoted works too"',
        "set interfaces vti vti1 description 'CF IPsec A 192.0.2.10'",
    ]
    [error] = validate_vyos(lines, "1.5")  # two different descriptions
    assert error.line_no == 5


@pytest.mark.parametrize(
    ("validator", "args", "value", "ok"),
    [
        ("numeric", ("--range", "1-10", "--range", "20-30"), "25", True),
        ("numeric", ("--range", "1-10", "--range", "20-30"), "15", False),
        ("numeric", ("--range", "1-10"), "1.5", False),
        ("numeric", ("--float", "--range", "1-10"), "1.5", True),
        ("numeric", ("--positive",), "0", False),
        ("numeric", ("--non-negative",), "0", True),
        ("numeric", ("--non-negative",), "-1", False),
        ("numeric", ("--allow-range", "--range", "0-65535"), "100-200", True),
        ("numeric", ("--allow-range", "--range", "0-65535"), "200-100", False),
        ("numeric", ("--range", "0-65535"), "100-200", False),
        ("numeric", ("--relative", "--"), "+5", True),
        ("numeric", (), "abc", False),
        ("numeric-exclude", ("--range", "0-10"), "!5", True),
        ("numeric-exclude", ("--range", "0-10"), "5", False),
        ("ipv4-address", (), "192.0.2.1", True),
        ("ipv4-address", (), "192.0.2.01", False),
        ("ipv4-address", (), "192.0.2.1/32", False),
        ("ipv4-prefix", (), "10.20.0.0/16", True),
        ("ipv4-prefix", (), "10.20.0.1/16", False),
        ("ipv4-prefix", (), "10.20.0.0", False),
        ("ipv4-host", (), "10.252.0.1/31", True),
        ("ipv4-host", (), "10.252.0.0/31", True),
        ("ipv4-host", (), "10.252.0.0/24", False),
        ("ip-host", (), "2001:db8::1/64", True),
        ("ip-prefix", (), "2001:db8::/32", True),
        ("ipv6-prefix", (), "10.0.0.0/8", False),
        ("ipv6-address", (), "2001:db8::1", True),
        ("ip-address", (), "2001:db8::1", True),
        ("ip-address", (), "example.com", False),
        ("ipv4-range", (), "192.0.2.1-192.0.2.9", True),
        ("ipv4-range", (), "192.0.2.9-192.0.2.1", False),
        ("ipv4-address-exclude", (), "!192.0.2.1", True),
        ("fqdn", (), "1f2e.0123.ipsec.cloudflare.com", True),
        ("fqdn", (), "-bad.example", False),
        ("mac-address", (), "02:00:5e:10:00:01", True),
        ("port-multi", (), "443,8000-8080,https", True),
        ("port-multi", (), "70000", False),
        ("ip-protocol", (), "gre", True),
        ("ip-protocol", (), "256", False),
        ("vrf-name", (), "RED", True),
        ("vrf-name", (), "eth0", False),
        ("file-path", ("--lookup-path", "/sys/class/net"), "anything", True),
        ("bgp-large-community", (), "not checked", True),
    ],
)
def test_validators(validator: str, args: tuple[str, ...], value: str, ok: bool) -> None:
    assert _check(Constraint(validator=validator, args=args), value) is ok


def test_posix_classes_in_regexes() -> None:
    assert _check(Constraint(regex="[[:alnum:]][-_[:alnum:]]*"), "CF-QOS_1")
    assert not _check(Constraint(regex="[^[:space:]]{1,8}"), "a b")


def test_rendered_sections_identical_in_both_versions() -> None:
    old, new = load_vyos_tree("1.4").root, load_vyos_tree("1.5").root
    for top, sub in [("vpn", "ipsec"), ("interfaces", "vti"), ("interfaces", "tunnel")]:
        assert old.children[top].children[sub] == new.children[top].children[sub]
    assert (
        old.children["protocols"].children["static"]
        == (new.children["protocols"].children["static"])
    )


def test_unknown_version() -> None:
    with pytest.raises(ValueError, match="VyOS version"):
        load_vyos_tree("1.3")


@VERSIONS
def test_fast(version: str) -> None:
    load_vyos_tree(version)
    lines = (GOOD * 2)[:100]
    start = time.perf_counter()
    validate_vyos(lines, version)
    assert time.perf_counter() - start < 0.25
