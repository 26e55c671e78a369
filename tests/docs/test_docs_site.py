"""The documentation site: the committed CLI reference is what scripts/cli_reference.py
generates from the Typer app now (a new option or command without `make docs` fails here),
every page is in the nav, and, with MkDocs Material installed (extra netgen[docs]), the
site builds with --strict and a broken link or anchor fails that build."""

from __future__ import annotations

import difflib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CLI_PAGE = DOCS / "reference" / "cli.md"
SCRIPT = ROOT / "scripts" / "cli_reference.py"
CONFIG = ROOT / "mkdocs.yml"

needs_mkdocs = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="MkDocs Material is not installed (pip install -e '.[docs]', or make docs)",
)


def generated() -> str:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "-o", "-"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_cli_reference_is_generated_from_the_app() -> None:
    fresh = generated()
    committed = CLI_PAGE.read_text(encoding="utf-8") if CLI_PAGE.exists() else ""
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            fresh.splitlines(keepends=True),
            "docs/reference/cli.md (committed)",
            "generated now",
        )
    )
    assert committed == fresh, (
        "docs/reference/cli.md is stale: run `make docs` "
        f"(or python scripts/cli_reference.py)\n{diff[:4000]}"
    )


def test_cli_reference_covers_every_command() -> None:
    from typer.main import get_command

    from netgen.cli.app import app

    page = CLI_PAGE.read_text(encoding="utf-8")
    root: Any = get_command(app)
    for name, command in root.commands.items():
        assert f"## netgen {name}\n" in page
        for sub in getattr(command, "commands", {}):
            assert f"## netgen {name} {sub}\n" in page


def nav_pages(nav: Any) -> list[str]:
    """Every page file named in a MkDocs nav (nested lists of {title: page-or-list})."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [p for item in nav for p in nav_pages(item)]
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in nav_pages(value)]
    return []


def test_every_page_is_in_the_nav() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    listed = nav_pages(config["nav"])
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert sorted(set(listed)) == pages
    assert len(listed) == len(set(listed)), "a page is listed twice"
    assert config["strict"] is True


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(config),
            "--site-dir",
            str(site),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )


@needs_mkdocs
def test_site_builds_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    proc = mkdocs_build(CONFIG, site)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (site / "index.html").is_file()
    assert (site / "reference" / "cli" / "index.html").is_file()
    assert (site / "quickstart" / "index.html").is_file()


@needs_mkdocs
def test_strict_build_fails_on_a_broken_link_or_anchor(tmp_path: Path) -> None:
    """The configuration really is strict: a copy of the docs with a link to a missing page
    and one to a missing anchor does not build."""
    shutil.copy2(CONFIG, tmp_path / "mkdocs.yml")
    shutil.copytree(DOCS, tmp_path / "docs")
    index = tmp_path / "docs" / "index.md"
    index.write_text(
        index.read_text(encoding="utf-8")
        + "\n[gone](no-such-page.md) and [nowhere](quickstart.md#no-such-anchor)\n",
        encoding="utf-8",
    )
    proc = mkdocs_build(tmp_path / "mkdocs.yml", tmp_path / "site")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "no-such-page.md" in output
    assert "no-such-anchor" in output
