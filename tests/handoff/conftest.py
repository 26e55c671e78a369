"""Shared set-up for the handoff browser tests: the example packets built through the CLI, and
headless Chromium / poppler, skipped with a reason when this machine lacks them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from netgen.handoff.pdf import browser_command, find_browser

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme"
# a fixed build date, so the packets (and the page shown in docs/handoff-example.png) do not
# change with the day the tests run
SOURCE_DATE_EPOCH = "1796000000"
TIMEOUT = 120


def run_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`netgen ARGS` in a subprocess, as a user would run it (tests/cli/test_redaction.py)."""
    env = {**os.environ, "NO_COLOR": "1", "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    return subprocess.run(
        [sys.executable, "-m", "netgen", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )


@dataclass(frozen=True)
class Chromium:
    """Headless Chromium with netgen's isolated command line (netgen/handoff/pdf.py)."""

    path: str

    def run(self, *args: str, url: str) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory(prefix="netgen-test-chromium-") as profile:
            command = [*browser_command(self.path, Path(profile)), *args, url]
            return subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT, check=False
            )

    def dump_dom(self, page: Path) -> str:
        run = self.run("--dump-dom", url=page.resolve().as_uri())
        assert run.returncode == 0, run.stderr[-2000:]
        assert "<html" in run.stdout, run.stderr[-2000:]
        return run.stdout

    def screenshot(self, page: Path, png: Path, width: int, height: int) -> bytes:
        run = self.run(
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            f"--screenshot={png}",
            url=page.resolve().as_uri(),
        )
        assert run.returncode == 0 and png.is_file(), run.stderr[-2000:]
        return png.read_bytes()


@dataclass(frozen=True)
class Example:
    """examples/acme imported and handed off (with --pdf) in a scratch directory."""

    root: Path
    packets: Path
    # site -> (name, Cloudflare side, customer side /31) of each of its tunnels, from
    # `netgen plan --json`
    rows: dict[str, list[tuple[str, str, str]]]
    addresses: dict[str, str]  # site -> its postal address, from the inventory

    @property
    def tunnels(self) -> dict[str, list[str]]:
        return {site: [row[0] for row in rows] for site, rows in self.rows.items()}

    def page(self, site: str) -> Path:
        return self.packets / site / "index.html"

    def pdf(self, site: str) -> Path:
        return self.packets / site / f"{site}.pdf"


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    browser = find_browser()
    if browser is None:
        pytest.skip("no Chromium found (netgen.handoff.pdf.find_browser); apt-get install chromium")
    return Chromium(browser)


@pytest.fixture(scope="session")
def poppler_utils() -> None:
    missing = [tool for tool in ("pdftotext", "pdfinfo") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} missing; apt-get install poppler-utils")


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory, chromium: Chromium) -> Example:
    root = tmp_path_factory.mktemp("handoff-browser") / "acme"
    # what a fresh checkout holds: no rendered output, secrets store or lock-file lock
    shutil.copytree(
        EXAMPLE,
        root,
        ignore=shutil.ignore_patterns("out", "packets", "netgen.secrets.yaml", ".*.lock"),
    )
    responses = sorted((root / "responses").glob("*.json"))
    imported = run_cli("import", "inventory.yaml", *responses, cwd=root)
    assert imported.returncode == 0, imported.stderr
    handoff = run_cli(
        "handoff", "inventory.yaml", "-o", "packets", "--pdf", "--include-secrets", cwd=root
    )
    assert handoff.returncode == 0, handoff.stderr
    plan = run_cli("plan", "inventory.yaml", "--json", cwd=root)
    assert plan.returncode == 0, plan.stderr
    rows: dict[str, list[tuple[str, str, str]]] = {}
    for t in json.loads(plan.stdout)["tunnels"]:
        prefix = t["interface_address"].split("/")[1]
        row = (t["name"], t["cloudflare_address"], f"{t['customer_address']}/{prefix}")
        rows.setdefault(t["site"], []).append(row)
    inventory = yaml.safe_load((root / "inventory.yaml").read_text())
    addresses = {site["name"]: site["address"] for site in inventory["sites"]}
    return Example(root, root / "packets", rows, addresses)
