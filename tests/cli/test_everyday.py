"""Everyday use of the CLI: progress bar and grouped diagnostics on a real pseudo-terminal (and
never when piped), clean --help screens, finding the inventory, plan --exit-code, lint's
summary on stderr, shell completion."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.scenarios import SCENARIOS, write_inventory

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netgen", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
        timeout=300,
    )


def run_on_terminal(*args: str | Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal (stdout piped): (exit code, stdout, terminal text)."""
    master, slave = pty.openpty()
    base = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    environment = {**base, "TERM": "xterm-256color", "COLUMNS": "120", **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "netgen", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env=environment,
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(timeout=300)
    os.close(master)
    return code, out, b"".join(chunks).decode(errors="replace")


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """Twelve sites, one router each: enough devices for the progress bar and for an error
    repeated on every tunnel (NG503: identities not imported yet)."""
    inv = SCENARIOS["ipsec-dual-isp"]("cisco_iosxe", None)
    template = inv["sites"][1]
    for i in range(2, 12):
        site = yaml.safe_load(yaml.safe_dump(template))
        site["name"] = f"s{i:02d}"
        site["lan_prefixes"] = [f"10.{100 + i}.0.0/16"]
        site["devices"][0]["name"] = f"s{i:02d}-edge1"
        site["devices"][0]["wan"][0]["address"] = f"203.0.113.{100 + i}"
        inv["sites"].append(site)
    return write_inventory(tmp_path, inv, with_identities=False)


def test_progress_bar_on_a_terminal_only(fleet: Path, tmp_path: Path) -> None:
    code, _, terminal = run_on_terminal(
        "render", fleet, "-o", tmp_path / "out", "--allow-placeholders"
    )
    assert code == 0, terminal
    assert "rendering devices" in terminal and "12/12" in ANSI.sub("", terminal)
    piped = run("render", fleet, "-o", tmp_path / "out2", "--allow-placeholders")
    assert piped.returncode == 0 and "rendering devices" not in piped.stderr
    assert "\x1b[" not in piped.stderr
    code, _, quiet = run_on_terminal(
        "render", fleet, "-o", tmp_path / "out3", "--allow-placeholders", env={"NO_COLOR": "1"}
    )
    assert code == 0 and "rendering devices" not in quiet
    code, out, _ = run_on_terminal(
        "render", fleet, "-o", tmp_path / "out4", "--allow-placeholders", "--json"
    )
    assert code == 0 and '"written": true' in out


def test_repeated_diagnostics_collapse_on_a_terminal(fleet: Path, tmp_path: Path) -> None:
    args = ("render", fleet, "-o", tmp_path / "out")  # identities not imported: NG503 each
    piped = run(*args)
    assert piped.returncode == 1
    every = [line for line in piped.stderr.splitlines() if "NG503" in line]
    assert len(every) > 5  # one per tunnel without imported identities
    code, _, terminal = run_on_terminal(*args)
    text = ANSI.sub("", terminal)
    grouped = [line for line in text.splitlines() if "NG503" in line]
    assert code == 1 and len(grouped) == 1
    assert f"×{len(every)}" in grouped[0] and "--verbose" in grouped[0]
    code, _, verbose = run_on_terminal(*args, "--verbose")
    assert len([ln for ln in ANSI.sub("", verbose).splitlines() if "NG503" in ln]) == len(every)


def test_commands_end_with_a_summary_line(fleet: Path, tmp_path: Path) -> None:
    out = run("validate", fleet)
    assert out.returncode == 0 and "validated" in out.stderr.splitlines()[-1]
    run("render", fleet, "-o", tmp_path / "out", "--allow-placeholders")
    check = run("render", fleet, "-o", tmp_path / "out", "--allow-placeholders", "--check")
    assert check.returncode == 0 and re.search(r"no drift in \d+ files", check.stderr)


def test_help_has_clean_metavars_and_an_example() -> None:
    for command in (
        "validate",
        "plan",
        "render",
        "diff",
        "handoff",
        "pull",
        "apply",
        "lint",
        "import",
        "vendors",
        "init",
    ):
        out = run(command, "--help")
        assert out.returncode == 0
        text = out.stdout
        assert "<bool>" not in text and "list[str]" not in text, command
        assert "{" not in text.split("\n", 3)[1] + text.split("\n", 3)[2], command  # usage line
        if command not in ("vendors", "init"):
            assert "Example: netgen" in text, command
    assert "[INVENTORY]" in run("render", "--help").stdout
    assert "--install-completion" in run("--help").stdout


def test_inventory_from_env_or_current_directory(fleet: Path, tmp_path: Path) -> None:
    out = run("validate", env={"NETGEN_INVENTORY": str(fleet)}, cwd=tmp_path)
    assert out.returncode == 0 and f"using {fleet}" in out.stderr
    out = run("validate", cwd=fleet.parent)
    assert out.returncode == 0 and "using ./inventory.yaml" in out.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "NETGEN_INVENTORY"}
    out = subprocess.run(
        [sys.executable, "-m", "netgen", "plan"], capture_output=True, text=True, cwd=empty, env=env
    )
    assert out.returncode == 2 and "NG110" in out.stderr


def test_plan_exit_code_and_lint_summary_on_stderr(fleet: Path, tmp_path: Path) -> None:
    assert run("plan", fleet).returncode == 0
    pending = run("plan", fleet, "--exit-code")
    assert pending.returncode == 3 and "not yet at Cloudflare" in pending.stderr
    run("render", fleet, "-o", tmp_path / "out", "--allow-placeholders")
    config = next((tmp_path / "out" / "sites").rglob("*.ios"))
    lint = run("lint", config, "--vendor", "cisco_iosxe")
    assert re.search(r"\d+ error\(s\), \d+ warning\(s\) in 1 file", lint.stderr)
    assert "error(s)" not in lint.stdout


def test_init_writes_schema_modeline_and_gitignore(tmp_path: Path) -> None:
    import json

    import jsonschema

    out = run("init", tmp_path / "wan")
    assert out.returncode == 0, out.stderr
    inventory = (tmp_path / "wan" / "inventory.yaml").read_text()
    assert inventory.startswith("# yaml-language-server: $schema=./netgen.schema.json\n")
    schema = json.loads((tmp_path / "wan" / "netgen.schema.json").read_text())
    assert json.loads(run("schema").stdout) == schema
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(inventory))
    ignored = (tmp_path / "wan" / ".gitignore").read_text().splitlines()
    assert "netgen.secrets.yaml" in ignored and "out/" in ignored


def test_revealed_psks_never_land_where_git_tracks_them(fleet: Path, tmp_path: Path) -> None:
    repo = fleet.parent
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    out = run("render", fleet, "-o", repo / "out", "--reveal-secrets", "--allow-placeholders")
    assert out.returncode == 1 and "NG905" in out.stderr and "out/" in out.stderr
    assert not (repo / "out").exists()
    (repo / ".gitignore").write_text("out/\n")
    out = run("render", fleet, "-o", repo / "out", "--reveal-secrets", "--allow-placeholders")
    assert out.returncode == 0, out.stderr
