"""Redaction guarantee: a known PSK and API token never leak.

With a PSK in the secrets store and an API token in the environment, run every command
(validate, plan, import, secrets, render with and without --reveal-secrets, --json, errors,
--debug tracebacks) and scan stdout, stderr and every file written for the PSK, its base64
and hex forms, and the token. The only place the PSK may appear is a file the user asked for
with --reveal-secrets, and that file must be 0600 and marked secret in MANIFEST.json.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netgen.cli.app import app
from tests.scenarios import SCENARIOS, write_inventory

PSK = "FAKEpskRedactionProbe0123456789abcdefXYZ"
TOKEN = "FAKE-api-token-redaction-probe-9876543210"
FORMS = [PSK, base64.b64encode(PSK.encode()).decode(), PSK.encode().hex(), TOKEN]


def leaks(text: str | bytes) -> list[str]:
    data = text.decode(errors="replace") if isinstance(text, bytes) else text
    return [f for f in FORMS if f in data]


def run(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": TOKEN, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "netgen", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = write_inventory(tmp_path, SCENARIOS["mixed"]("cisco_iosxe", None))
    out = run("secrets", "set", path, "hq_a_cf1", stdin=PSK + "\n")
    assert out.returncode == 0, out.stderr
    assert not leaks(out.stdout + out.stderr)
    return path


def test_no_command_prints_the_psk_or_token(workspace: Path, tmp_path: Path) -> None:
    inv = workspace
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"success": false, "errors": [{"code": 1000, "message": "x"}], '
        '"messages": [], "result": null}'
    )
    commands: list[tuple[str | Path, ...]] = [
        ("validate", inv),
        ("validate", inv, "--json"),
        ("plan", inv),
        ("plan", inv, "--json"),
        ("secrets", "list", inv),
        ("secrets", "list", inv, "--json"),
        ("import", inv, bad),
        ("import", inv, bad, "--json"),
        ("render", inv, "-o", tmp_path / "plain"),
        ("render", inv, "-o", tmp_path / "plain", "--check", "--json"),
        ("render", inv, "-o", tmp_path / "revealed", "--reveal-secrets", "--json"),
        ("render", inv, "-o", tmp_path / "revealed", "--reveal-secrets", "--check"),
        ("render", inv, "-o", "-", "--device", "hq-edge1"),
        ("render", inv, "-o", "-", "--device", "hq-edge1", "--json"),
        ("validate", tmp_path / "missing.yaml", "--debug"),
    ]
    for args in commands:
        out = run(*args)
        assert out.returncode in (0, 1, 3), (args, out.stderr)
        assert not leaks(out.stdout), (args, "stdout")
        assert not leaks(out.stderr), (args, "stderr")


def test_files_hold_the_psk_only_where_revealed(workspace: Path, tmp_path: Path) -> None:
    assert run("render", workspace, "-o", tmp_path / "plain").returncode == 0
    assert run("render", workspace, "-o", tmp_path / "revealed", "--reveal-secrets").returncode == 0
    manifest = json.loads((tmp_path / "revealed" / "MANIFEST.json").read_text())
    secret_files = {e["path"] for e in manifest["files"] if e["secret"]}
    assert secret_files == {"sites/hq/hq-edge1.ios"}
    revealed = tmp_path / "revealed" / "sites" / "hq" / "hq-edge1.ios"
    assert PSK in revealed.read_text()
    assert stat.S_IMODE(revealed.stat().st_mode) == 0o600
    store = workspace.parent / "netgen.secrets.yaml"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    allowed = {revealed, store}
    for path in tmp_path.rglob("*"):
        if path.is_file() and path not in allowed:
            assert not leaks(path.read_bytes()), path


def test_debug_traceback_of_an_internal_error_does_not_leak(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import netgen.api.render_run

    def explode(*args: object, **kwargs: object) -> None:
        psk = PSK  # a secret in a local variable of the failing frame
        raise RuntimeError(f"boom ({len(psk)})")

    monkeypatch.setattr(netgen.api.render_run, "render_with_digest", explode)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    result = CliRunner().invoke(
        app,
        [
            "render",
            str(workspace),
            "-o",
            "-",
            "--device",
            "hq-edge1",
            "--reveal-secrets",
            "--debug",
        ],
    )
    assert result.exit_code == 70
    assert "RuntimeError" in result.output and "Traceback" in result.output
    assert not leaks(result.output)


PSK2 = "FAKEsecondPskRotatedProbe9876543210zyxw"


def test_diff_never_shows_a_psk_even_when_it_rotates(workspace: Path, tmp_path: Path) -> None:
    """diff between revisions (store committed on both sides), between two revealed output
    directories, and against a running config holding the PSK: no form of either PSK."""
    repo = workspace.parent
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / ".gitignore").write_text("old/\nnew/\ntickets/\n")  # revealed renders (NG905)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    assert run("render", workspace, "-o", tmp_path / "old", "--reveal-secrets").returncode == 0
    assert run("secrets", "set", workspace, "hq_a_cf1", stdin=PSK2 + "\n").returncode == 0
    assert run("render", workspace, "-o", tmp_path / "new", "--reveal-secrets").returncode == 0
    running = tmp_path / "old" / "sites" / "hq" / "hq-edge1.ios"
    outputs = []
    for args in [
        ("diff", workspace),
        ("diff", workspace, "--json", "-o", tmp_path / "tickets"),
        ("diff", tmp_path / "old", tmp_path / "new", "--json"),
        ("diff", tmp_path / "old", tmp_path / "new"),
        ("diff", workspace, "--running", f"hq-edge1={running}", "--json"),
    ]:
        out = run(*args)
        assert out.returncode == 0, (args, out.stderr)
        outputs.append(out.stdout + out.stderr)
    for text in outputs:
        assert not leaks(text) and PSK2 not in text and PSK2.encode().hex() not in text
    assert "fingerprint" in outputs[0]  # the rotation shows, as a fingerprint change
    assert "<redacted:changed>" in outputs[3]
    for path in (tmp_path / "tickets").iterdir():
        assert not leaks(path.read_bytes()) and PSK2 not in path.read_text()
