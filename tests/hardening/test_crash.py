"""Crash consistency: `render -o`, `import` and `plan --write-lock` killed with SIGKILL.

Each command runs as a subprocess on the example fleet (examples/acme) and is killed either at
a named point (``NETGEN_TEST_CRASH_AT``: the windows between staging, the lock write, the
journal's commit and the in-place update of the output; the two renames of a forced swap;
between the secrets and the lock writes) or after a random delay (seeded). Afterwards the
output directory, the lock and the secrets store must be an old or a new state that belong
together, or a state the next command repairs and reports; after the next command the new
state is complete and nothing of the killed run is left behind.

Valid states: the lock may be ahead of the output (as after `plan --write-lock`) and the
secrets store ahead of the lock (new PSKs for tunnels the lock does not know yet), never the
other way round.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from netgen import api
from netgen.core.files import CRASH_ENV
from netgen.state import secrets as sec
from netgen.state.lock import LockFile, dump_lock
from netgen.state.lock_read import load_lock

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "examples" / "acme"
LATE_SITE = "lon01"  # in the new inventory only: rendering it allocates (the lock changes)
SEEDS = (1, 2, 3)


def tree(out: Path) -> dict[str, bytes]:
    """Every entry under ``out``; a symlink or a special file fails the test."""
    files: dict[str, bytes] = {}
    for p in sorted(out.rglob("*")):
        assert not p.is_symlink(), p
        if p.is_file():
            files[p.relative_to(out).as_posix()] = p.read_bytes()
        else:
            assert p.is_dir(), p
    return files


def kill_run(args: list[str], cwd: Path, *, crash_at: str | None, delay: float | None) -> int:
    """Run netgen ARGS; it dies at ``crash_at`` or is killed -9 after ``delay`` seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if crash_at:
        env[CRASH_ENV] = crash_at
    proc = subprocess.Popen(
        [sys.executable, "-m", "netgen", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return proc.wait(timeout=delay if delay is not None else 120)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        return proc.wait()


def leftovers(work: Path) -> list[str]:
    """Temporaries a killed run may leave: staging dirs and temp files (``.name.kind-pid-x``)."""
    kinds = (".new-", ".old-", ".patch-")
    return sorted(p.name for p in work.iterdir() if any(k in p.name for k in kinds)) + [
        p.name for p in work.iterdir() if ".tmp-" in p.name
    ]


def store_facts(path: Path) -> dict[str, tuple[str, str, str]] | None:
    """The store by content (its salt is random per store), or None when there is none."""
    if not path.exists():
        return None
    assert (path.stat().st_mode & 0o077) == 0
    store = sec.load_store(path)
    return {n: (e.psk.reveal(), e.source, e.updated) for n, e in store.tunnels.items()}


@dataclass(frozen=True)
class States:
    """Old and new bytes of one scenario."""

    old_lock: bytes
    new_lock: bytes
    old_out: dict[str, bytes]
    new_out: dict[str, bytes]


def without_late_site(lock: LockFile) -> LockFile:
    return LockFile(tunnels={n: t for n, t in lock.tunnels.items() if t.site != LATE_SITE})


def make_work(base: Path) -> Path:
    """The example with ``LATE_SITE`` left out of the lock, rendered into ``out`` (old state),
    then the inventory that includes it (the new state is one `render` away)."""
    work = base / "acme"
    shutil.copytree(ACME, work, ignore=shutil.ignore_patterns("out", "netgen.secrets.yaml"))
    inventory = work / "inventory.yaml"
    full = inventory.read_text()
    data: dict[str, Any] = yaml.safe_load(full)
    data["sites"] = [s for s in data["sites"] if s["name"] != LATE_SITE]
    lock_path = work / "netgen.lock.yaml"
    lock_path.write_text(dump_lock(without_late_site(load_lock(lock_path))))
    inventory.write_text(yaml.safe_dump(data, sort_keys=False))
    api.render(inventory, work / "out", allow_placeholders=True)
    inventory.write_text(full)
    return work


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> States:
    work = make_work(tmp_path_factory.mktemp("reference"))
    old_lock, old_out = (work / "netgen.lock.yaml").read_bytes(), tree(work / "out")
    api.render(work / "inventory.yaml", work / "out", allow_placeholders=True)
    new_lock, new_out = (work / "netgen.lock.yaml").read_bytes(), tree(work / "out")
    assert old_lock != new_lock and old_out != new_out
    return States(old_lock, new_lock, old_out, new_out)


RENDER = ["render", "inventory.yaml", "-o", "out", "--allow-placeholders"]
# netgen's previous output is updated in place, under a journal
UPDATE_POINTS = [
    "output:staged",  # changed files staged, lock not written yet
    "state:tmp-written",  # the new lock in its temporary file, not renamed
    "output:before-swap",  # lock written, journal not committed
    "output:mid-patch",  # journal committed, one staged file in place: a mixed tree
    "output:patched",  # every file in place, staging not removed yet
]
# a directory holding a file netgen did not write is replaced whole with --force (a swap)
REPLACE_POINTS = [
    "output:staged",
    "output:before-swap",
    "output:mid-swap",  # old output moved aside, new not in place: no `out/` at all
    "output:swapped",  # new output in place, old not removed yet
]
FOREIGN = "NOTES.txt"


@pytest.mark.parametrize(
    ("crash_at", "seed"), [(p, None) for p in UPDATE_POINTS] + [(None, s) for s in SEEDS]
)
def test_killed_render(
    tmp_path: Path, states: States, crash_at: str | None, seed: int | None
) -> None:
    work = make_work(tmp_path)
    delay = random.Random(seed).uniform(0.3, 1.0) if seed is not None else None
    code = kill_run(RENDER, work, crash_at=crash_at, delay=delay)
    if crash_at:
        assert code == -signal.SIGKILL

    lock = (work / "netgen.lock.yaml").read_bytes()
    assert lock in (states.old_lock, states.new_lock)
    out = work / "out"
    committed = [p for p in work.glob(".out.patch-*") if (p / "JOURNAL.json").is_file()]
    if committed:  # killed while applying the journal: only the next run can finish it
        assert lock == states.new_lock  # the journal is committed after the lock is written
        assert crash_at in (None, "output:mid-patch", "output:patched")
    else:
        got = tree(out)
        assert got in (states.old_out, states.new_out)
        if got == states.new_out:
            assert lock == states.new_lock  # new output never without its lock
    if crash_at == "output:mid-patch":
        assert tree(out) not in (states.old_out, states.new_out)  # really a mixed tree

    # the next command (even a --check) finishes the update and says so
    heard: list[str] = []
    check = api.render(
        work / "inventory.yaml", out, check=True, allow_placeholders=True, notify=heard.append
    )
    if committed:
        assert any("interrupted while updating it; finished the update" in m for m in heard)
        assert check.drift == []
        assert tree(out) == states.new_out
    assert not [n for n in leftovers(work) if n.startswith((".out.patch-", ".out.new-"))]

    api.render(work / "inventory.yaml", out, allow_placeholders=True)
    assert tree(out) == states.new_out
    assert (work / "netgen.lock.yaml").read_bytes() == states.new_lock
    assert leftovers(work) == []


@pytest.mark.parametrize("crash_at", REPLACE_POINTS)
def test_killed_forced_replace(tmp_path: Path, states: States, crash_at: str) -> None:
    work = make_work(tmp_path)
    out = work / "out"
    (out / FOREIGN).write_text("a technician's notes\n")
    old_out = {**states.old_out, FOREIGN: b"a technician's notes\n"}
    code = kill_run([*RENDER, "--force"], work, crash_at=crash_at, delay=None)
    assert code == -signal.SIGKILL

    lock = (work / "netgen.lock.yaml").read_bytes()
    assert lock in (states.old_lock, states.new_lock)
    interrupted = not out.exists()
    if interrupted:  # killed between the two renames: only the next run can repair it
        assert [n for n in leftovers(work) if n.startswith(".out.old-")]
        assert lock == states.new_lock
    else:
        got = tree(out)
        assert got in (old_out, states.new_out)
        if got == states.new_out:
            assert lock == states.new_lock
    assert interrupted == (crash_at == "output:mid-swap")

    heard: list[str] = []
    api.render(
        work / "inventory.yaml", out, check=True, allow_placeholders=True, notify=heard.append
    )
    if interrupted:
        assert any("interrupted mid-swap; finished it" in m for m in heard)
    assert not [n for n in leftovers(work) if n.startswith((".out.new-", ".out.old-"))]

    api.render(work / "inventory.yaml", out, allow_placeholders=True, force=True)
    assert tree(out) == states.new_out
    assert (work / "netgen.lock.yaml").read_bytes() == states.new_lock
    assert leftovers(work) == []


def bare_lock_work(base: Path) -> Path:
    """The example with its lock stripped of the API facts its responses carry; no store."""
    work = base / "acme"
    shutil.copytree(ACME, work, ignore=shutil.ignore_patterns("out", "netgen.secrets.yaml"))
    lock_path = work / "netgen.lock.yaml"
    lock = load_lock(lock_path)
    bare = {n: t.model_copy(update={"cloudflare": None}) for n, t in lock.tunnels.items()}
    lock_path.write_text(dump_lock(LockFile(tunnels=bare)))
    return work


IMPORT_POINTS = [
    "state:tmp-written",  # the new store in its temporary file, not renamed
    "import:secrets-written",  # store written, lock not yet
]


def import_args(work: Path) -> list[str]:
    return [
        "import",
        "inventory.yaml",
        *sorted(f"responses/{p.name}" for p in (work / "responses").iterdir()),
    ]


@dataclass(frozen=True)
class Imported:
    """Lock and store content after a complete import."""

    lock: bytes
    store: dict[str, tuple[str, str, str]] | None


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    reference = bare_lock_work(tmp_path_factory.mktemp("imported"))
    api.import_responses(reference / "inventory.yaml", _sources(reference))
    return Imported(
        (reference / "netgen.lock.yaml").read_bytes(), store_facts(reference / sec.STORE_NAME)
    )


@pytest.mark.parametrize(
    ("crash_at", "seed"), [(p, None) for p in IMPORT_POINTS] + [(None, s) for s in SEEDS[:2]]
)
def test_killed_import(
    tmp_path: Path, imported: Imported, crash_at: str | None, seed: int | None
) -> None:
    work = bare_lock_work(tmp_path)
    old_lock = (work / "netgen.lock.yaml").read_bytes()
    delay = random.Random(seed).uniform(0.3, 0.9) if seed is not None else None
    code = kill_run(import_args(work), work, crash_at=crash_at, delay=delay)
    if crash_at:
        assert code == -signal.SIGKILL

    lock = (work / "netgen.lock.yaml").read_bytes()
    store = store_facts(work / sec.STORE_NAME)
    assert lock in (old_lock, imported.lock)
    assert store in (None, imported.store)
    if lock == imported.lock:
        assert store == imported.store  # the lock never refers to PSKs the store lacks

    api.import_responses(work / "inventory.yaml", _sources(work))
    assert (work / "netgen.lock.yaml").read_bytes() == imported.lock
    assert store_facts(work / sec.STORE_NAME) == imported.store
    assert leftovers(work) == []


def _sources(work: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted((work / "responses").iterdir())]


@pytest.mark.parametrize(
    ("crash_at", "seed"), [("state:tmp-written", None)] + [(None, s) for s in SEEDS[:2]]
)
def test_killed_plan_write_lock(
    tmp_path: Path, states: States, crash_at: str | None, seed: int | None
) -> None:
    work = make_work(tmp_path)
    delay = random.Random(seed).uniform(0.3, 0.9) if seed is not None else None
    code = kill_run(
        ["plan", "inventory.yaml", "--write-lock"], work, crash_at=crash_at, delay=delay
    )
    if crash_at:
        assert code == -signal.SIGKILL
    assert (work / "netgen.lock.yaml").read_bytes() in (states.old_lock, states.new_lock)
    assert tree(work / "out") == states.old_out

    api.plan(work / "inventory.yaml", write_lock=True)
    assert (work / "netgen.lock.yaml").read_bytes() == states.new_lock
    assert leftovers(work) == []
