"""The library surface of netgen.lint: results, JSON, vendors, inventory matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from netgen.lint import (
    PARSERS,
    Finding,
    Severity,
    Source,
    TunnelExpectation,
    lint,
    lint_sources,
    lint_text,
)
from netgen.lint.engine import NotLintableError
from netgen.vendors.registry import load_registry

REGISTRY = load_registry()
V = REGISTRY.vendors
LINTABLE = [v for v in REGISTRY.ids() if V[v].lint is not None]

IOS = """\
crypto ikev2 proposal P
 encryption aes-gcm-256
 prf sha256
 group 20
crypto ikev2 policy POL
 proposal P
crypto ikev2 keyring KR
 peer cf
  address 192.0.2.10
  pre-shared-key x
crypto ikev2 profile IKE
 match identity remote address 192.0.2.10 255.255.255.255
 identity local fqdn a.example.ipsec.cloudflare.com
 authentication remote pre-share
 authentication local pre-share
 keyring local KR
 dpd 30 10 periodic
crypto ipsec transform-set TS esp-gcm 256
crypto ipsec profile IPS
 set transform-set TS
 set pfs group20
 set security-association replay disable
 set ikev2-profile IKE
interface Tunnel100
 ip address 10.252.0.1 255.255.255.254
 ip mtu 1450
 ip tcp adjust-mss 1360
 tunnel source GigabitEthernet1
 tunnel mode ipsec ipv4
 tunnel destination 192.0.2.10
 tunnel protection ipsec profile IPS
"""

EXPECT = TunnelExpectation(
    name="t1",
    endpoint_address="192.0.2.10",
    customer_address="10.252.0.1",
    cloudflare_address="10.252.0.0",
    prefixlen=31,
    local_id="a.example.ipsec.cloudflare.com",
    tunnel_type="ipsec",
)


def test_registry_covers_the_four_vendors() -> None:
    assert LINTABLE == ["cisco_iosxe", "juniper_srx", "strongswan", "vyos"]
    assert {p.syntax for v in LINTABLE if (p := V[v].lint) is not None} == set(PARSERS)


def test_vendor_without_lint_section_is_refused() -> None:
    bare = V["vyos"].model_copy(update={"lint": None, "id": "bare"})
    with pytest.raises(NotLintableError, match="does not cover"):
        lint_text("", bare, "x.cfg")


def test_every_fix_in_a_vendor_profile_names_a_rule() -> None:
    from netgen.lint import RULES

    for vid in LINTABLE:
        lint_profile = V[vid].lint
        assert lint_profile is not None
        assert set(lint_profile.fixes) <= set(RULES), vid


def test_hand_written_config_is_clean_with_and_without_inventory() -> None:
    assert lint_text(IOS, V["cisco_iosxe"], "r1.cfg") == []
    assert lint_text(IOS, V["cisco_iosxe"], "r1.cfg", [EXPECT]) == []


def test_inventory_mismatches_are_reported() -> None:
    other = TunnelExpectation(
        name="t1",
        endpoint_address="192.0.2.20",
        customer_address="10.252.0.0",
        cloudflare_address="10.252.0.1",
        prefixlen=31,
        local_id="b.example.ipsec.cloudflare.com",
        tunnel_type="ipsec",
        replay_protection=True,
    )
    missing = TunnelExpectation("t2", "192.0.2.20", "10.252.0.3", "10.252.0.2", 31, None, "gre")
    found = {(f.rule, f.line) for f in lint_text(IOS, V["cisco_iosxe"], "r1.cfg", [other, missing])}
    assert found == {("CF013", 25), ("CF016", 13), ("CF017", 30), ("CF019", 1)}
    gre = TunnelExpectation("t1", "192.0.2.10", "10.252.0.1", "10.252.0.0", 31, None, "gre")
    found = {(f.rule, f.line) for f in lint_text(IOS, V["cisco_iosxe"], "r1.cfg", [gre])}
    assert found == {("CF018", 29)}


def test_result_json_and_exit_code() -> None:
    broken = IOS.replace(" set pfs group20\n", "")
    result = lint([Source("r1.cfg", broken)], V["cisco_iosxe"])
    assert not result.ok and result.exit_code == 1
    doc = result.to_json()
    assert doc["counts"] == {"error": 1, "warning": 0, "info": 0}
    assert doc["findings"][0] == {
        "rule": "CF006",
        "severity": "error",
        "message": "crypto ipsec profile IPS has no `set pfs`: no PFS",
        "file": "r1.cfg",
        "line": 19,
        "hint": "add `set pfs group20` to the crypto ipsec profile",
    }
    assert result.errors[0].format().startswith("r1.cfg:19: error CF006: ")


def test_no_tunnel_is_an_error() -> None:
    """A wrong --vendor (or not a router config at all) never passes silently."""
    found = lint_text(IOS, V["juniper_srx"], "r1.cfg")
    assert [(f.rule, f.severity, f.line) for f in found] == [("CF022", Severity.ERROR, 1)]


def test_findings_are_frozen() -> None:
    f = Finding("CF001", Severity.ERROR, "m", "f", 1)
    with pytest.raises(AttributeError):
        f.line = 2  # type: ignore[misc]


HANDWRITTEN = Path(__file__).parent / "handwritten"


@pytest.mark.parametrize("vendor", LINTABLE)
def test_hand_written_reference_configs_lint_clean(vendor: str) -> None:
    """Configs in the shape of Cloudflare's guides (reference/vendor-syntax.md), not netgen's."""
    sources = [Source(p.name, p.read_text()) for p in sorted(HANDWRITTEN.glob(f"{vendor}.*"))]
    assert sources
    lint_profile = V[vendor].lint
    assert lint_profile is not None
    assert PARSERS[lint_profile.syntax](sources).tunnels
    assert [f.format() for f in lint_sources(sources, V[vendor])] == []
