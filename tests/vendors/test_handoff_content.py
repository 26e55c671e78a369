"""The `handoff:` section of every vendor profile: what `netgen handoff` prints for the field
technician (how to apply, pre-checks, verification with expected output, troubleshooting).

Checked for every vendor the registry finds: the section exists, its verification checks are
exactly the profile's `verification` commands, strings use only the placeholders the packet
fills in per tunnel, every string formats, and the troubleshooting table covers the failures a
technician meets with Cloudflare tunnels.
"""

from __future__ import annotations

import re
import string

import pytest

from netgen.vendors.registry import HandoffProfile, load_registry

REGISTRY = load_registry()
VENDORS = REGISTRY.ids()

# The values netgen/handoff fills in per tunnel (HandoffCheck's docstring)
PLACEHOLDERS = frozenset(
    {
        "tunnel",
        "interface",
        "endpoint_address",
        "cloudflare_address",
        "customer_address",
        "wan_interface",
        "wan_address",
        "wan_gateway",
        "wan_own_address",
    }
)
SAMPLE = {
    "tunnel": "nyc01_1a_cf1",
    "interface": "Tunnel100",
    "endpoint_address": "192.0.2.10",
    "cloudflare_address": "10.252.0.0",
    "customer_address": "10.252.0.1",
    "wan_interface": "GigabitEthernet1",
    "wan_address": "203.0.113.10",
    "wan_gateway": "203.0.113.1",
    "wan_own_address": "203.0.113.10",
}
# every troubleshooting table names these (whole words, case-insensitive, across its symptoms)
TOPICS = ("phase 1", "phase 2", "identity", "nat", "replay", "mtu", "health check")


def handoff(vendor: str) -> HandoffProfile:
    section = REGISTRY.vendors[vendor].handoff
    assert section is not None, f"vendors/{vendor}.yaml has no handoff: section"
    return section


def fields(text: str) -> set[str]:
    """The replacement fields of a str.format string ('' for a positional `{}`)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def all_strings(section: HandoffProfile) -> list[str]:
    out = [section.apply]
    for check in (*section.prechecks, *section.verification):
        out += [check.command, check.expect]
    for row in section.troubleshooting:
        out += [row.symptom, row.cause, row.check]
    return out


@pytest.mark.parametrize("vendor", VENDORS)
def test_handoff_section_is_complete(vendor: str) -> None:
    section = handoff(vendor)
    assert section.apply.strip()
    assert 3 <= len(section.prechecks) <= 6
    assert section.verification
    for text in all_strings(section):
        assert text.strip(), f"{vendor}: empty handoff string"


@pytest.mark.parametrize("vendor", VENDORS)
def test_verification_checks_are_the_profile_commands(vendor: str) -> None:
    profile = REGISTRY.vendors[vendor]
    commands = [check.command for check in handoff(vendor).verification]
    unknown = [c for c in commands if c not in profile.verification]
    missing = [c for c in profile.verification if c not in commands]
    assert not unknown, f"{vendor}: handoff verification commands not in `verification`: {unknown}"
    assert not missing, f"{vendor}: `verification` commands without a handoff check: {missing}"


@pytest.mark.parametrize("vendor", VENDORS)
def test_only_known_placeholders(vendor: str) -> None:
    for text in all_strings(handoff(vendor)):
        unknown = fields(text) - PLACEHOLDERS
        assert not unknown, f"{vendor}: unknown placeholders {sorted(unknown)} in {text!r}"


@pytest.mark.parametrize("vendor", VENDORS)
def test_every_string_formats(vendor: str) -> None:
    for text in all_strings(handoff(vendor)):
        formatted = text.format(**SAMPLE)
        assert "{" not in formatted and "}" not in formatted, formatted


@pytest.mark.parametrize("vendor", VENDORS)
def test_apply_and_troubleshooting_have_no_placeholders(vendor: str) -> None:
    """The packet prints these once per vendor, as they are (netgen/handoff/packet.py)."""
    section = handoff(vendor)
    texts = [section.apply]
    for row in section.troubleshooting:
        texts += [row.symptom, row.cause, row.check]
    for text in texts:
        assert not fields(text), f"{vendor}: placeholder in a string printed as is: {text!r}"


@pytest.mark.parametrize("vendor", VENDORS)
def test_troubleshooting_covers_the_usual_failures(vendor: str) -> None:
    rows = handoff(vendor).troubleshooting
    assert len(rows) >= 6
    symptoms = " ".join(row.symptom for row in rows).lower()
    missing = [t for t in TOPICS if not re.search(rf"\b{re.escape(t)}\b", symptoms)]
    assert not missing, f"{vendor}: no troubleshooting symptom mentions {missing}"
