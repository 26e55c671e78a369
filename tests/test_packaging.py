"""The wheel carries templates/ and vendors/, and netgen finds them from the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import netgen

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_templates_and_vendors(tmp_path: Path) -> None:
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = tmp_path.glob("netgen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert wheel.name.startswith(f"netgen-{netgen.__version__}-")
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    lines = zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
    assert f"Version: {netgen.__version__}" in lines
    for vendor in sorted(p.stem for p in (ROOT / "vendors").glob("*.yaml")):
        assert f"netgen/_data/vendors/{vendor}.yaml" in names
        assert any(n.startswith(f"netgen/_data/templates/{vendor}/") for n in names)
    assert "netgen/_data/templates/common/macros.j2" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]);"
            "from netgen.core.resources import data_dir;"
            "from netgen.vendors.registry import load_registry;"
            "print(data_dir('templates')); print(','.join(load_registry().ids()))",
            str(site),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    templates_dir, ids = probe.stdout.splitlines()
    assert Path(templates_dir).is_relative_to(site)
    assert "cisco_iosxe" in ids.split(",")
