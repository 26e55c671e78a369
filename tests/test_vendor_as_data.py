"""A vendor is `vendors/<id>.yaml` + `templates/<id>/`, nothing else.

The test copies netgen (unchanged) and one vendor's profile and templates under a new id into
tmp_path, and proves that `vendors`, `validate`, `render`, `lint` and the suite's
vendor-parametrized tests take the new vendor with zero Python edits; and that a vendor whose
profile has no lint section still renders while `lint --vendor` refuses it with exit 2.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.scenarios import SCENARIOS, write_inventory

ROOT = Path(__file__).resolve().parents[1]
NEW = "acme_os"


def _copy_project(dest: Path, source_vendor: str) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "out")
    for part in ("netgen", "vendors", "templates", "tests", "pyproject.toml"):
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=ignore)
        else:
            shutil.copy2(src, dest / part)
    profile = (dest / "vendors" / f"{source_vendor}.yaml").read_text()
    profile = re.sub(r"(?m)^id: .*$", f"id: {NEW}", profile)
    profile = re.sub(r"(?m)^display_name: .*$", "display_name: ACME OS", profile)
    (dest / "vendors" / f"{NEW}.yaml").write_text(profile)
    shutil.copytree(dest / "templates" / source_vendor, dest / "templates" / NEW)
    return dest


def _run(project: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_a_copied_vendor_works_everywhere_without_python_edits(tmp_path: Path) -> None:
    project = _copy_project(tmp_path / "project", "vyos")
    python_before = {p: p.read_bytes() for p in (project / "netgen").rglob("*.py")}

    listed = _run(project, "-m", "netgen", "vendors", "--json")
    assert listed.returncode == 0, listed.stderr
    assert NEW in listed.stdout

    # written without opening it here: this process's registry does not know the new vendor
    scenario = SCENARIOS["ipsec-dual-isp"](NEW, None)
    inventory = write_inventory(tmp_path / "site", scenario, with_identities=False)
    assert _run(project, "-m", "netgen", "validate", inventory).returncode == 0
    out = tmp_path / "out"
    rendered = _run(project, "-m", "netgen", "render", inventory, "-o", out, "--allow-placeholders")
    assert rendered.returncode == 0, rendered.stderr
    config = out / "sites" / "hq" / "hq-edge1.vyos"
    assert config.is_file() and "set vpn ipsec" in config.read_text()

    linted = _run(
        project, "-m", "netgen", "lint", config, "--vendor", NEW, "--inventory", inventory
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr

    suite = _run(
        project,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/lint/test_lint_rendered.py",
        "tests/vendors/test_snapshots.py",
        "--snapshot-update",
        "-k",
        NEW,
    )
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert re.search(r"\d+ passed", suite.stdout), suite.stdout[-2000:]

    python_after = {p: p.read_bytes() for p in (project / "netgen").rglob("*.py")}
    assert python_after == python_before


@pytest.mark.slow
def test_a_vendor_without_lint_section_renders_and_lint_exits_2(tmp_path: Path) -> None:
    project = _copy_project(tmp_path / "project", "vyos")
    path = project / "vendors" / f"{NEW}.yaml"
    profile = yaml.safe_load(path.read_text())
    profile.pop("lint")
    path.write_text(yaml.safe_dump(profile, sort_keys=False))

    scenario = SCENARIOS["ipsec-dual-isp"](NEW, None)
    inventory = write_inventory(tmp_path / "site", scenario, with_identities=False)
    out = tmp_path / "out"
    args = ("-m", "netgen", "render", inventory, "-o", out, "--allow-placeholders")
    assert _run(project, *args).returncode == 0
    config = out / "sites" / "hq" / "hq-edge1.vyos"
    linted = _run(project, "-m", "netgen", "lint", config, "--vendor", NEW)
    assert linted.returncode == 2
    assert "NG509" in linted.stderr and "does not cover ACME OS" in linted.stderr
    assert "Traceback" not in linted.stderr
