"""Every vendor × scenario output, byte for byte (snapshots only say "unchanged")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.scenarios import render_scenario
from tests.vendors.conftest import vendor_cases


@pytest.mark.parametrize(("vendor", "version", "scenario"), vendor_cases())
def test_rendered_config_unchanged(
    tmp_path: Path, snapshot_file: Any, vendor: str, version: str, scenario: str
) -> None:
    files = render_scenario(tmp_path, scenario, vendor, version)
    text = "".join(f"# ==> {path} <==\n{content}" for path, content in sorted(files.items()))
    assert text == snapshot_file
