"""docs/quickstart.md, walked through: its fenced `sh` blocks run in order, as written, in a
temporary directory, and each command exits as the page implies (every step there succeeds:
exit 0). The outputs the page shows or lists are checked against what the commands did.

Substituted, because a test cannot or must not do them (and nothing else is):

- `git clone <this repo> netgen && cd netgen`: a directory with the files of the clone the
  walk-through uses (Makefile, pyproject.toml, examples/acme as git has it: no out/, no
  secrets file).
- what `make demo` installs: `.venv` is laid out as if installed already (the install stamp
  newer than pyproject.toml, `.venv/bin/netgen` running `python -m netgen` of the
  interpreter running these tests), so the real `make demo` runs the Makefile's demo recipe
  unchanged and installs nothing. `.venv/bin/python` fails loudly if make tries to install.
- `netgen` on PATH is the same shim (what `pipx install .`, `uv tool install .` or
  `source .venv/bin/activate` gives a reader; those steps, if the page has them, do nothing).
- `$EDITOR`: EDITOR=true; the starter inventory validates as written.

Offline: only netgen commands that read and write local files are allowed (a step the
walk-through does not know, such as `netgen pull` or `apply`, fails this test until it is
taught here, against the fake Cloudflare in tests/cloudflare_fake); proxies point at a
closed local port and no Cloudflare token is passed on; no daemon is started.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "docs" / "quickstart.md"
FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)

# netgen subcommands that only touch local files (pull and apply talk to Cloudflare).
OFFLINE = {"init", "validate", "plan", "render", "vendors", "import", "secrets", "lint", "diff"}
# A step the page describes as failing would be listed here with its exit code.
EXPECTED_EXIT: dict[str, int] = {}
TIMEOUT = 180


@dataclass
class Step:
    command: str
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return (
            f"$ {self.command}\n(exit {self.returncode})\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )


@dataclass
class Walk:
    clone: Path
    steps: list[Step]
    error: str | None  # why the walk stopped early (the page names a step it cannot run)


def blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def commands(body: str) -> list[str]:
    """The commands of an `sh` block: continuation lines joined, comment-only lines dropped."""
    out: list[str] = []
    pending = ""
    for line in body.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        line = pending + line
        pending = ""
        if line.strip() and not line.strip().startswith("#"):
            out.append(line.strip())
    return out


def netgen_words(command: str) -> list[str] | None:
    """The words after `netgen` (or `.venv/bin/netgen`), or None for another program."""
    words = shlex.split(command, comments=True)
    if words and words[0] in ("netgen", ".venv/bin/netgen"):
        return words[1:]
    return None


def bare(command: str) -> str:
    """A command without its trailing comment."""
    return command.split("#", 1)[0].strip()


def shim(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def netgen_shim(path: Path) -> None:
    shim(path, f'exec {shlex.quote(sys.executable)} -m netgen "$@"')


def clone(base: Path) -> Path:
    """What `git clone <this repo> netgen` gives the walk-through (files it uses)."""
    target = base / "netgen"
    target.mkdir()
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(ROOT / name, target / name)
    ignored = shutil.ignore_patterns("out", "netgen.secrets.yaml", ".netgen.lock.yaml.lock")
    shutil.copytree(ROOT / "examples" / "acme", target / "examples" / "acme", ignore=ignored)
    return target


def installed_venv(clone_dir: Path) -> None:
    """.venv as `make demo`'s install step leaves it, without installing anything."""
    venv = clone_dir / ".venv"
    shim(
        venv / "bin" / "python",
        'echo "quickstart walk-through: make tried to (re)install netgen" >&2; exit 99',
    )
    netgen_shim(venv / "bin" / "netgen")
    stamp = venv / ".installed"
    stamp.touch()
    pyproject = clone_dir / "pyproject.toml"
    os.utime(pyproject, (stamp.stat().st_mtime - 60, stamp.stat().st_mtime - 60))


def environment(bin_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # make reads VENV/PYTHON from the environment; a parent make's flags do not apply;
        # no Cloudflare credentials, no inventory default.
        if k not in ("VENV", "PYTHON", "BIN", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
        and not k.startswith(("CLOUDFLARE_", "NETGEN_"))
    }
    closed = "http://127.0.0.1:9"
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        EDITOR="true",  # the `$EDITOR plan/inventory.yaml` step: no edit needed
        HTTP_PROXY=closed,
        HTTPS_PROXY=closed,
        ALL_PROXY=closed,
        NO_PROXY="",
        COLUMNS="200",
    )
    return env


def run(command: str, cwd: Path, env: dict[str, str]) -> Step:
    proc = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return Step(command, proc.returncode, proc.stdout, proc.stderr)


def walk(base: Path) -> Walk:
    bin_dir = base / "bin"
    netgen_shim(bin_dir / "netgen")
    env = environment(bin_dir)
    cwd = base
    steps: list[Step] = []

    def git_clone() -> Step:
        nonlocal cwd
        cwd = clone(base)
        return Step("git clone <this repo> netgen && cd netgen", 0, "", "")

    def make_demo() -> Step:
        installed_venv(cwd)
        return run("make demo", cwd, env)

    def on_path(command: str) -> Callable[[], Step]:
        # `netgen` on PATH is the shim already: what activating .venv or a pipx/uv tool
        # install gives the reader (each step runs in its own shell anyway)
        return lambda: Step(command, 0, "", "")

    special: dict[str, Callable[[], Step]] = {
        "git clone <this repo> netgen && cd netgen": git_clone,
        "make demo": make_demo,
        **{
            c: on_path(c)
            for c in (
                "source .venv/bin/activate",
                ". .venv/bin/activate",
                "pipx install .",
                "uv tool install .",
            )
        },
    }
    for lang, body in blocks(QUICKSTART.read_text(encoding="utf-8")):
        if lang != "sh":
            continue
        for command in commands(body):
            if bare(command) in special:
                step = special[bare(command)]()
            else:
                words = netgen_words(command)
                if words is None and not command.startswith("$EDITOR "):
                    return Walk(cwd, steps, f"a step the walk-through cannot run: {command}")
                if words is not None and (not words or words[0] not in OFFLINE):
                    return Walk(cwd, steps, f"a step that needs Cloudflare: {command}")
                step = run(command, cwd, env)
            steps.append(step)
            if step.returncode != EXPECTED_EXIT.get(bare(command), 0):
                return Walk(cwd, steps, None)
    return Walk(cwd, steps, None)


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Walk:
    return walk(tmp_path_factory.mktemp("quickstart"))


def find(walked: Walk, prefix: str) -> Step:
    """The step whose netgen command starts with `prefix` (`netgen` or `.venv/bin/netgen`)."""
    for step in walked.steps:
        if step.command.removeprefix(".venv/bin/").startswith(prefix):
            return step
    raise AssertionError(f"docs/quickstart.md has no step `{prefix}...` (or it did not run)")


# --- the walk ---------------------------------------------------------------------------


def test_every_step_runs_and_exits_as_documented(walked: Walk) -> None:
    assert walked.error is None, walked.error
    assert walked.steps, "docs/quickstart.md has no sh blocks"
    last = walked.steps[-1]
    expected = EXPECTED_EXIT.get(bare(last.command), 0)
    assert last.returncode == expected, last.describe()


def test_the_walk_runs_every_command_of_the_page(walked: Walk) -> None:
    """None silently skipped: the walk ran the page's `sh` commands, all of them, in order."""
    page = [
        bare(c)
        for lang, body in blocks(QUICKSTART.read_text())
        if lang == "sh"
        for c in commands(body)
    ]
    assert [bare(s.command) for s in walked.steps] == page, walked.error
    assert "make demo" in page


def test_make_demo_renders_the_example(walked: Walk) -> None:
    """The page: `make demo` "renders examples/acme into examples/acme/out"."""
    demo = next((s for s in walked.steps if bare(s.command) == "make demo"), None)
    assert demo, walked.error
    assert demo.returncode == 0, demo.describe()
    out = walked.clone / "examples" / "acme" / "out"
    assert (out / "MANIFEST.json").is_file()
    assert list((out / "sites").glob("*/*")), "no device configs under examples/acme/out/sites"
    assert (walked.clone / "examples" / "acme" / "netgen.secrets.yaml").is_file()


def test_validate_prints_the_documented_ok_line(walked: Walk) -> None:
    text = QUICKSTART.read_text()
    shown = re.search(r"`validate` prints `([^`]*)\(\.\.\.\)`", text)
    assert shown, "the page no longer says what `validate` prints"
    step = find(walked, "netgen validate plan/inventory.yaml")
    assert step.stdout.startswith(shown.group(1) + "("), step.describe()


def test_plan_json_is_one_json_document(walked: Walk) -> None:
    step = find(walked, "netgen plan plan/inventory.yaml --json")
    document = json.loads(step.stdout)
    assert isinstance(document, dict)


def test_write_lock_writes_the_lock(walked: Walk) -> None:
    find(walked, "netgen plan plan/inventory.yaml --write-lock")
    assert (walked.clone / "plan" / "netgen.lock.yaml").is_file()


def test_render_writes_the_listed_outputs(walked: Walk) -> None:
    """The "Outputs" block lists what `render -o plan/out` writes: each exists."""
    find(walked, "netgen render plan/inventory.yaml -o plan/out")
    listed = [
        line.split()[0]
        for lang, body in blocks(QUICKSTART.read_text())
        if lang == ""
        for line in body.splitlines()
        if line.startswith("plan/out/")
    ]
    assert listed, "the page lists no outputs under plan/out/"
    for entry in listed:
        pattern = re.sub(r"<[^>]+>", "*", entry)
        assert list(walked.clone.glob(pattern)), f"the page lists {entry}; render wrote none"


def test_configs_carry_the_documented_psk_placeholder(walked: Walk) -> None:
    text = QUICKSTART.read_text()
    shown = re.search(r"\(`(<redacted:psk:)TUNNEL>`\)", text)
    assert shown, "the page no longer shows the PSK placeholder"
    configs = list((walked.clone / "plan" / "out" / "sites").glob("*/*"))
    assert configs
    assert any(shown.group(1) in p.read_text() for p in configs)


# --- the example error ------------------------------------------------------------------

EXAMPLE_ERROR = re.compile(
    r"^(?P<file>[^:\s]+):(?P<line>\d+):(?P<col>\d+): error (?P<code>NG\d+): WAN address "
    r"(?P<addr>\S+) of (?P<device>[^/\s]+)/(?P<wan>\S+) is private",
)


@pytest.fixture(scope="module")
def example_error(walked: Walk, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Step]:
    """The page's example error, and `validate` on the starter with that WAN address put in
    (the page's own scenario: the starter inventory, one WAN address made private)."""
    block = next(
        (
            body
            for lang, body in blocks(QUICKSTART.read_text())
            if lang == "" and "error NG" in body
        ),
        None,
    )
    assert block, "the page no longer shows an example error"
    shown = block.splitlines()[0]
    match = EXAMPLE_ERROR.match(shown)
    assert match, f"update the reproduction in this test for the page's new example: {shown}"
    starter = walked.clone / match["file"]
    assert starter.is_file(), walked.error
    lines = starter.read_text().splitlines(keepends=True)
    edited = [
        re.sub(r"address: [0-9.]+", f"address: {match['addr']}", line)
        if re.search(rf"name: {re.escape(match['wan'])}\b", line)
        else line
        for line in lines
    ]
    assert edited != lines, f"the starter has no WAN link {match['wan']} with an address"
    base = tmp_path_factory.mktemp("example-error")
    (base / match["file"]).parent.mkdir(parents=True)
    (base / match["file"]).write_text("".join(edited))
    env = environment(walked.clone.parent / "bin")
    return block, run(f"netgen validate {match['file']}", base, env)


def test_example_error_is_what_validate_prints(example_error: tuple[str, Step]) -> None:
    block, step = example_error
    assert step.returncode == 1, step.describe()
    printed = step.stderr.splitlines()
    shown = block.splitlines()
    location = re.compile(r"^[^:\s]+:\d+:\d+: ")
    assert location.sub("", shown[0]) in [location.sub("", line) for line in printed], (
        step.describe()
    )
    for line in shown[1:]:
        assert line in printed, step.describe()


def test_example_error_location_matches_the_starter(example_error: tuple[str, Step]) -> None:
    block, step = example_error
    assert block.splitlines()[0] in step.stderr.splitlines(), step.describe()
