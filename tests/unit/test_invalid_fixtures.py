"""One invalid inventory per NG code: each yields its code at the expected line.

Every fixture starts with ``# expect: NGxxx:LINE``. Below them, YAML booleans: one where the
inventory expects a number, an IPv4 value or a string is NG203 at its own line, never a silent
value (pydantic's lax mode read ``true`` as the int 1, and ipaddress takes ints, so ``mtu: true``
was MTU 1 and ``address: true`` was 0.0.0.1, with Python's "__int__ returned non-int"
DeprecationWarning).
"""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netgen import api
from netgen.cli.app import app
from netgen.core.codes import CODES
from netgen.core.errors import Diagnostic, UserError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "invalid"
EXPECT = re.compile(r"^# expect: (NG\d{3}):(\d+)$")


def _cases() -> list[Path]:
    return sorted(FIXTURES.glob("*.yaml"))


@pytest.mark.parametrize("fixture", _cases(), ids=lambda p: p.stem)
def test_fixture_reports_its_code_at_its_line(fixture: Path, tmp_path: Path) -> None:
    match = EXPECT.match(fixture.read_text().splitlines()[0])
    assert match, f"{fixture.name} lacks an '# expect: NGxxx:LINE' header"
    code, line = match.group(1), int(match.group(2))
    target = tmp_path / "inventory.yaml"
    shutil.copy(fixture, target)
    with pytest.raises(UserError) as info:
        api.validate(target)
    found = [(d.code, d.position.line if d.position else None) for d in info.value.diagnostics]
    assert (code, line) in found, f"expected {code} at line {line}, got {found}"
    # on two cores the rules are checked in a forked child while the parent allocates: the
    # same diagnostics, in the same order, whatever the allocation made of the broken input
    with pytest.raises(UserError) as forked:
        api.validate(target, cache=False, jobs=2)
    assert forked.value.diagnostics == info.value.diagnostics


def test_every_inventory_error_code_has_a_fixture() -> None:
    covered = {
        EXPECT.match(p.read_text().splitlines()[0]).group(1)  # type: ignore[union-attr]
        for p in _cases()
    }
    inventory_codes = {
        c for c in CODES if c[2] in "123" or c in {"NG401", "NG405", "NG505", "NG507", "NG510"}
    }
    # NG101 (unreadable file), NG107 (a file over 64 MiB: tests/hardening), NG110 (no
    # inventory at all: tests/cli/test_everyday.py) and warnings are tested elsewhere
    missing = inventory_codes - covered - {"NG101", "NG107", "NG110", "NG380", "NG381"}
    assert not missing, f"no invalid fixture for {sorted(missing)}"


# -- YAML booleans ---------------------------------------------------------------------------------
# Valid as written (strongswan can express every setting below). Each key or list item sits on
# its own line, so a case names the line whose value it replaces.
TEMPLATE = """\
netgen: 1
cloudflare:
  endpoints:
    - name: cf1
      address: 192.0.2.10
    - name: cf2
      address: 192.0.2.20
  interface_pool:
    - 10.252.0.0/24
defaults:
  mtu: 1450
  mss: 1360
  ttl: 64
  replay_protection: true
  via_cloudflare:
    - 10.200.0.0/16
  health_check:
    enabled: true
    direction: unidirectional
    target: 172.64.240.253
  ipsec:
    dpd:
      interval: 20
      timeout: 90
    crypto:
      ike:
        encryption: aes-256-cbc
        integrity: sha256
        prf: sha384
        dh_group: 14
      esp:
        encryption: aes-128-gcm
        pfs_group: 14
      ike_lifetime: 28800
      child_lifetime: 3600
sites:
  - name: s1
    description: first site
    contact: noc@example.net
    lan_prefixes:
      - 10.10.0.0/16
    devices:
      - name: s1-r1
        vendor: strongswan
        lan_interface: eth2
        wan:
          - name: isp-a
            interface: eth0
            address: 203.0.113.10
            gateway: 203.0.113.1
            behind_nat: false
        tunnels:
          - name: s1_a_cf1
            wan: isp-a
            endpoint: cf1
            interface_address: 10.252.1.0/31
            priority: 100
            description: primary
          - name: s1_a_cf2
            wan: isp-a
            endpoint: cf2
            priority: 200
"""

S1 = "sites[0]"
DEV = f"{S1}.devices[0]"
TUN = f"{DEV}.tunnels[0]"
CRYPTO = "defaults.ipsec.crypto"

# (the line as in TEMPLATE, the field the diagnostic names)
NUMBERS = [
    ("  mtu: 1450", "defaults.mtu"),
    ("  mss: 1360", "defaults.mss"),
    ("  ttl: 64", "defaults.ttl"),
    ("      interval: 20", "defaults.ipsec.dpd.interval"),
    ("      timeout: 90", "defaults.ipsec.dpd.timeout"),
    ("        dh_group: 14", f"{CRYPTO}.ike.dh_group"),
    ("        pfs_group: 14", f"{CRYPTO}.esp.pfs_group"),
    ("      ike_lifetime: 28800", f"{CRYPTO}.ike_lifetime"),
    ("      child_lifetime: 3600", f"{CRYPTO}.child_lifetime"),
    ("            priority: 100", f"{TUN}.priority"),
]
ADDRESSES = [
    ("      address: 192.0.2.10", "cloudflare.endpoints[0].address"),
    ("            address: 203.0.113.10", f"{DEV}.wan[0].address"),
    ("            gateway: 203.0.113.1", f"{DEV}.wan[0].gateway"),
    ("    target: 172.64.240.253", "defaults.health_check.target"),
]
NETWORKS = [
    ("      - 10.10.0.0/16", f"{S1}.lan_prefixes[0]"),
    ("    - 10.200.0.0/16", "defaults.via_cloudflare[0]"),
]
INTERFACES = [
    ("    - 10.252.0.0/24", "cloudflare.interface_pool[0]"),
    ("            interface_address: 10.252.1.0/31", f"{TUN}.interface_address"),
]
STRINGS = [
    ("    - name: cf1", "cloudflare.endpoints[0].name"),
    ("  - name: s1", f"{S1}.name"),
    ("    description: first site", f"{S1}.description"),
    ("    contact: noc@example.net", f"{S1}.contact"),
    ("      - name: s1-r1", f"{DEV}.name"),
    ("        vendor: strongswan", f"{DEV}.vendor"),
    ("        lan_interface: eth2", f"{DEV}.lan_interface"),
    ("          - name: isp-a", f"{DEV}.wan[0].name"),
    ("            interface: eth0", f"{DEV}.wan[0].interface"),
    ("          - name: s1_a_cf1", f"{TUN}.name"),
    ("            endpoint: cf1", f"{TUN}.endpoint"),
    ("            description: primary", f"{TUN}.description"),
]
YAML_BOOLEAN_HINT = "YAML reads an unquoted true, false, yes, no, on or off as a boolean"


def _with_value(line: str, value: str) -> tuple[str, int]:
    """TEMPLATE with ``line``'s value replaced by ``value``, and that line's number."""
    lines = TEMPLATE.splitlines()
    assert lines.count(line) == 1, f"{line!r} is not one line of TEMPLATE"
    i = lines.index(line)
    head = line.split(": ", 1)[0] + ": " if ": " in line else line.split("- ", 1)[0] + "- "
    lines[i] = head + value
    assert lines[i] != line
    return "\n".join(lines) + "\n", i + 1


def _errors(tmp_path: Path, text: str) -> list[Diagnostic]:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no DeprecationWarning from ipaddress on the way
        with pytest.raises(UserError) as info:
            api.validate(path, cache=False)
    return info.value.diagnostics


def _where(found: list[Diagnostic]) -> list[tuple[str, int | None, str | None]]:
    """(code, line, field) of each diagnostic."""
    return [(d.code, d.position.line if d.position else None, d.field) for d in found]


def _ids(cases: list[tuple[str, str]]) -> list[str]:
    return [field for _line, field in cases]


def test_the_template_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(TEMPLATE)
    result = api.validate(path, cache=False)
    assert result.tunnels == 2
    assert not [d for d in result.diagnostics if d.severity.value == "error"]


@pytest.mark.parametrize("value", ["true", "false", "yes", "off"])
@pytest.mark.parametrize(("line", "field"), NUMBERS, ids=_ids(NUMBERS))
def test_a_boolean_for_a_number_is_ng203_at_its_line(
    tmp_path: Path, line: str, field: str, value: str
) -> None:
    text, lineno = _with_value(line, value)
    found = _errors(tmp_path, text)
    shown = "true" if value in ("true", "yes") else "false"
    ours = [d for d in found if d.field == field]
    assert len(ours) == 1, found
    d = ours[0]
    assert d.code == "NG203" and d.position is not None and d.position.line == lineno
    assert d.message == (
        f"invalid value for {field}: Input should be a whole number, not a boolean (got {shown})"
    )
    assert d.hint == f"write a whole number; {YAML_BOOLEAN_HINT}"
    # custom crypto is a union with the preset names: that branch may report too, nothing else
    assert all(d.code == "NG203" and d.field in (field, CRYPTO) for d in found), found


@pytest.mark.parametrize(
    ("line", "field", "what", "example"),
    [
        *((line, field, "address", "203.0.113.10") for line, field in ADDRESSES),
        *((line, field, "network", "10.10.0.0/16") for line, field in NETWORKS),
        *((line, field, "interface", "10.252.0.0/31") for line, field in INTERFACES),
    ],
    ids=_ids(ADDRESSES + NETWORKS + INTERFACES),
)
def test_a_boolean_for_an_ipv4_value_is_ng203_at_its_line(
    tmp_path: Path, line: str, field: str, what: str, example: str
) -> None:
    text, lineno = _with_value(line, "true")
    found = _errors(tmp_path, text)
    assert _where(found) == [("NG203", lineno, field)]
    assert found[0].message == (
        f"invalid value for {field}: Input should be an IPv4 {what}, not a boolean (got true)"
    )
    assert found[0].hint == f"write an IPv4 {what} such as {example}; {YAML_BOOLEAN_HINT}"


@pytest.mark.parametrize(("line", "field"), STRINGS, ids=_ids(STRINGS))
def test_a_boolean_for_a_string_is_ng203_at_its_line(tmp_path: Path, line: str, field: str) -> None:
    text, lineno = _with_value(line, "false")
    found = _errors(tmp_path, text)
    assert _where(found) == [("NG203", lineno, field)]
    assert found[0].message == (
        f"invalid value for {field}: Input should be a valid string (got false)"
    )
    assert found[0].hint == f"quote it if it is text; {YAML_BOOLEAN_HINT}"


@pytest.mark.parametrize(
    ("line", "field"),
    [ADDRESSES[1], NETWORKS[0], INTERFACES[0]],
    ids=_ids([ADDRESSES[1], NETWORKS[0], INTERFACES[0]]),
)
def test_a_number_for_an_ipv4_value_is_ng203(tmp_path: Path, line: str, field: str) -> None:
    # ipaddress would read 3405803786 as 203.0.113.10, 0 as 0.0.0.0 and 4 bytes as an address
    for number in ("3405803786", "0", "!!binary wKgBAQ=="):
        text, lineno = _with_value(line, number)
        found = _errors(tmp_path, text)
        assert _where(found) == [("NG203", lineno, field)]
        assert "Input is not a valid IPv4" in found[0].message
        assert found[0].hint is not None and found[0].hint.startswith("write ")


@pytest.mark.parametrize("value", ['"1450"', "1450.0"])
def test_numbers_in_other_spellings_stay_accepted(tmp_path: Path, value: str) -> None:
    """Policy (netgen.inventory.schema): only booleans are refused for numbers; a quoted or
    whole float number is that number, as before (the editor schema is stricter there)."""
    text, _ = _with_value("  mtu: 1450", value)
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    session = api.open_session(path, cache=False)
    assert {t.settings.mtu for t in session.loaded.inventory.tunnels.values()} == {1450}


def test_a_boolean_schema_version_is_ng104(tmp_path: Path) -> None:
    text, lineno = _with_value("netgen: 1", "true")
    found = _errors(tmp_path, text)
    assert [(d.code, d.position.line if d.position else None) for d in found] == [("NG104", lineno)]
    assert found[0].message == "unsupported inventory schema version true"


def test_a_boolean_platform_version_is_only_ng203(tmp_path: Path) -> None:
    text = TEMPLATE.replace(
        "        vendor: strongswan\n", "        vendor: strongswan\n        platform_version: on\n"
    )
    lineno = text.splitlines().index("        platform_version: on") + 1
    found = _errors(tmp_path, text)  # and no NG505 for a platform version "True"
    assert [(d.code, d.position.line if d.position else None) for d in found] == [("NG203", lineno)]


@pytest.mark.parametrize(
    ("line", "field"), [ADDRESSES[1], NUMBERS[0]], ids=_ids([ADDRESSES[1], NUMBERS[0]])
)
def test_the_cli_reports_it_like_any_schema_error(tmp_path: Path, line: str, field: str) -> None:
    text, lineno = _with_value(line, "true")
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["validate", str(path), "--no-cache"])
    assert result.exit_code == 1, result.output
    assert re.search(
        rf"^{re.escape(str(path))}:{lineno}:\d+: error NG203: invalid value for "
        rf"{re.escape(field)}: .*not a boolean \(got true\) \(hint: write ",
        result.output,
        re.M,
    ), result.output
    assert "Traceback" not in result.output
