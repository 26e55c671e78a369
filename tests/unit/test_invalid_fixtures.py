"""One invalid inventory per NG code: each yields its code at the expected line.

Every fixture starts with ``# expect: NGxxx:LINE``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from netgen import api
from netgen.core.codes import CODES
from netgen.core.errors import UserError

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
