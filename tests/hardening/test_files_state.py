"""Files and state under attack: stored PSKs checked at load, symlinks, foreign files in the
output directory, permissions kept, one writer at a time, and write errors as NG901."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from netgen import api
from netgen.core.errors import UserError
from netgen.core.files import WRITER_LOCK_NAME, Notify, writer_lock
from netgen.render.output_dir import recover_output
from netgen.state import secret_commands as cmds
from netgen.state import secrets as sec
from netgen.state.lock import LockFile, dump_lock
from netgen.state.lock_read import load_lock
from tests.scenarios import SCENARIOS, write_inventory

ROOT = Path(__file__).resolve().parents[2]
PSK = "FAKE-PSK-hardening-0123456789"
SECRET_TEXT = "FAKE-SECRET-FILE-CONTENT"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def codes(exc: pytest.ExceptionInfo[UserError]) -> list[str]:
    return [d.code for d in exc.value.diagnostics]


def text_of(exc: pytest.ExceptionInfo[UserError]) -> str:
    return "\n".join(d.format() for d in exc.value.diagnostics)


def run(*args: str | Path, stdin: str = "", env: dict[str, str] | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "netgen", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        check=False,
    )


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    """hq: a strongSwan router (swanctl.conf + executable network.sh); branch: IOS-XE."""
    return write_inventory(tmp_path / "inv", SCENARIOS["mixed"]("strongswan", None))


def store_text(psk: str) -> str:
    return (
        f"netgen_secrets: 1\nsalt: {'ab' * 16}\ntunnels:\n"
        f"  hq_a_cf1:\n    psk: {json.dumps(psk)}\n    source: manual\n"
        '    updated: "2024-08-01T00:00:00Z"\n'
    )


# -- 1. stored PSKs are checked at load ------------------------------------------------------------


@pytest.mark.parametrize(
    "psk", [PSK + "\nset security ike gateway x", PSK + "\r\nend", "with space 0123456"]
)
def test_stored_psk_breaking_the_rule_is_refused_at_load(tmp_path: Path, psk: str) -> None:
    path = tmp_path / sec.STORE_NAME
    path.write_text(store_text(psk))
    with pytest.raises(UserError) as exc:
        sec.load_store(path)
    (diag,) = exc.value.diagnostics
    assert diag.code == "NG704"
    assert diag.position is not None and diag.position.file == str(path)
    assert diag.position.line == 5  # the `psk:` line
    assert "hq_a_cf1" in diag.message
    assert PSK not in text_of(exc) and psk not in text_of(exc)


def test_reveal_secrets_refuses_a_hand_edited_psk(inventory: Path, tmp_path: Path) -> None:
    (inventory.parent / sec.STORE_NAME).write_text(store_text(PSK + "\nconfigure exclusive"))
    with pytest.raises(UserError) as exc:
        api.render(inventory, tmp_path / "out", reveal_secrets=True)
    assert codes(exc) == ["NG704"]
    assert not (tmp_path / "out").exists()
    out = run("render", inventory, "-o", "-", "--device", "hq-edge1", "--reveal-secrets")
    assert out.returncode == 1 and "NG704" in out.stderr and PSK not in out.stderr + out.stdout


def test_secrets_set_replaces_a_broken_stored_psk(inventory: Path) -> None:
    store = inventory.parent / sec.STORE_NAME
    store.write_text(store_text(PSK + "\nbad"))
    api.secrets_set(inventory, "hq_a_cf1", PSK)
    assert sec.load_store(store).tunnels["hq_a_cf1"].psk.reveal() == PSK


# -- 2. symlinks -----------------------------------------------------------------------------------


def test_dangling_output_symlink_is_refused(inventory: Path, tmp_path: Path) -> None:
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "elsewhere" / "deep")
    with pytest.raises(UserError) as exc:
        api.render(inventory, link)
    assert codes(exc) == ["NG901"] and "symlink" in text_of(exc)
    assert not (tmp_path / "elsewhere").exists()
    assert link.is_symlink()


def test_output_symlink_to_a_directory_is_followed_and_kept(
    inventory: Path, tmp_path: Path
) -> None:
    (tmp_path / "real").mkdir()
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "real")
    api.render(inventory, link)
    assert link.is_symlink() and (tmp_path / "real" / "MANIFEST.json").is_file()
    api.render(inventory, link)
    assert link.is_symlink() and (link / "MANIFEST.json").is_file()


def planted(inventory: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A rendered output with hq's config replaced by a symlink to the 0600 secrets store."""
    store = inventory.parent / sec.STORE_NAME
    store.write_text(store_text(SECRET_TEXT))
    store.chmod(0o600)
    out = tmp_path / "out"
    api.render(inventory, out)
    victim = out / "sites" / "hq" / "hq-edge1.swanctl.conf"
    victim.unlink()
    victim.symlink_to(store)
    return out, victim


def test_symlink_in_output_is_refused_not_copied(inventory: Path, tmp_path: Path) -> None:
    out, victim = planted(inventory, tmp_path)
    with pytest.raises(UserError) as exc:
        api.render(inventory, out, sites=["branch"])
    assert codes(exc) == ["NG901"]
    assert "sites/hq/hq-edge1.swanctl.conf (symlink)" in text_of(exc)
    assert victim.is_symlink()


def test_forced_render_never_copies_a_symlink_target(inventory: Path, tmp_path: Path) -> None:
    out, _ = planted(inventory, tmp_path)
    api.render(inventory, out, sites=["branch"], force=True)
    for path in out.rglob("*"):
        assert not path.is_symlink()
        if path.is_file():
            assert SECRET_TEXT.encode() not in path.read_bytes()
    manifest = json.loads((out / "MANIFEST.json").read_text())
    assert "sites/hq/hq-edge1.swanctl.conf" not in {e["path"] for e in manifest["files"]}


def test_check_reports_a_symlink_as_drift_without_following_it(
    inventory: Path, tmp_path: Path
) -> None:
    out, _ = planted(inventory, tmp_path)
    result = api.render(inventory, out, check=True)
    assert ("sites/hq/hq-edge1.swanctl.conf", "changed") in result.drift


def test_symlinked_secrets_store_is_written_through(inventory: Path, tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    real = vault / "secrets.yaml"
    sec.save_store(real, sec.new_store())
    link = inventory.parent / sec.STORE_NAME
    link.symlink_to(real)
    api.secrets_set(inventory, "hq_a_cf1", PSK)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert mode(real) == 0o600
    assert sec.load_store(real).tunnels["hq_a_cf1"].psk.reveal() == PSK
    assert sorted(p.name for p in vault.iterdir()) == ["secrets.yaml"]  # no temp left


@pytest.mark.parametrize("target", ["missing.yaml", "a-directory"])
def test_secrets_store_symlink_to_no_regular_file_is_refused(
    inventory: Path, tmp_path: Path, target: str
) -> None:
    (tmp_path / "a-directory").mkdir()
    link = inventory.parent / sec.STORE_NAME
    link.symlink_to(tmp_path / target)
    with pytest.raises(UserError) as exc:
        api.secrets_set(inventory, "hq_a_cf1", PSK)
    assert codes(exc) == ["NG904"]
    with pytest.raises(UserError) as exc:
        sec.load_store(link)
    assert codes(exc) == ["NG904"]
    assert link.is_symlink() and not (tmp_path / "missing.yaml").exists()


def test_symlinked_lock_is_written_through(tmp_path: Path) -> None:
    inv = SCENARIOS["mixed"]("cisco_iosxe", None)
    path = write_inventory(tmp_path / "inv", inv, with_identities=False)
    real = tmp_path / "locks" / "netgen.lock.yaml"
    real.parent.mkdir()
    real.write_text(dump_lock(LockFile()))
    link = path.parent / "netgen.lock.yaml"
    link.symlink_to(real)
    result = api.plan(path, write_lock=True)
    assert result.lock_written and link.is_symlink()
    assert set(load_lock(real).tunnels) == set(api.open_session(path).lock.tunnels)
    assert sorted(p.name for p in real.parent.iterdir()) == ["netgen.lock.yaml"]


def test_dangling_lock_symlink_is_refused(tmp_path: Path) -> None:
    path = write_inventory(tmp_path / "inv", SCENARIOS["mixed"]("cisco_iosxe", None))
    link = path.parent / "netgen.lock.yaml"
    link.unlink()
    link.symlink_to(tmp_path / "gone.yaml")
    for call in (
        lambda: api.plan(path, write_lock=True),
        lambda: api.render(path, tmp_path / "out", allow_placeholders=True),
    ):
        with pytest.raises(UserError) as exc:
            call()
        assert codes(exc) == ["NG904"]
    assert link.is_symlink() and not (tmp_path / "gone.yaml").exists()
    assert not (tmp_path / "out").exists()


# -- 3. foreign files and permissions --------------------------------------------------------------


def test_foreign_files_are_refused_unless_forced(inventory: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.render(inventory, out)
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "NOTES.md").write_text("mine")
    (out / "sites" / "hq" / "extra.txt").write_text("mine too")
    for sites in ([], ["hq"]):
        with pytest.raises(UserError) as exc:
            api.render(inventory, out, sites=sites)
        assert codes(exc) == ["NG901"]
        message = text_of(exc)
        assert ".git/" in message and "NOTES.md" in message and "sites/hq/extra.txt" in message
        assert "--force" in message
        assert (out / "NOTES.md").read_text() == "mine" and (out / ".git" / "HEAD").is_file()
    api.render(inventory, out, force=True)
    assert not (out / "NOTES.md").exists() and not (out / ".git").exists()
    api.render(inventory, out)  # netgen's own output is never foreign


def test_broken_manifest_is_refused_unless_forced(inventory: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.render(inventory, out)
    (out / "MANIFEST.json").write_text("{not json")
    with pytest.raises(UserError) as exc:
        api.render(inventory, out)
    assert codes(exc) == ["NG901"] and "--force" in text_of(exc)
    api.render(inventory, out, force=True)
    assert json.loads((out / "MANIFEST.json").read_text())["files"]


def test_cli_force_flag(inventory: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.render(inventory, out)
    (out / "NOTES.md").write_text("mine")
    refused = run("render", inventory, "-o", out)
    assert refused.returncode == 1 and "NG901" in refused.stderr and "NOTES.md" in refused.stderr
    forced = run("render", inventory, "-o", out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert not (out / "NOTES.md").exists()


def test_site_render_keeps_modes_of_other_devices_files(inventory: Path, tmp_path: Path) -> None:
    (inventory.parent / sec.STORE_NAME).write_text(store_text(PSK))
    out = tmp_path / "out"
    api.render(inventory, out, reveal_secrets=True)
    hq = out / "sites" / "hq"
    before = {p.name: mode(p) for p in hq.iterdir()}
    assert before["hq-edge1.network.sh"] & 0o100
    assert before["hq-edge1.swanctl.conf"] == 0o600  # holds the PSK
    api.render(inventory, out, sites=["branch"])
    assert {p.name: mode(p) for p in hq.iterdir()} == before
    manifest = json.loads((out / "MANIFEST.json").read_text())
    secret = {e["path"]: e["secret"] for e in manifest["files"]}
    assert secret["sites/hq/hq-edge1.swanctl.conf"] is True


# -- 4. one writer at a time -----------------------------------------------------------------------


@pytest.fixture
def held(inventory: Path) -> Iterator[Callable[[], None]]:
    """The inventory's writer lock, held by this test process until released."""
    fd = os.open(inventory.parent / WRITER_LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    open_fds = [fd]

    def release() -> None:
        while open_fds:
            os.close(open_fds.pop())

    try:
        yield release
    finally:
        release()


def test_second_writer_times_out_clearly(inventory: Path, held: Callable[[], None]) -> None:
    out = run(
        "secrets", "set", inventory, "hq_a_cf1", stdin=PSK, env={"NETGEN_LOCK_TIMEOUT": "0.2"}
    )
    assert out.returncode == 1
    lines = out.stderr.splitlines()
    waiting = [line for line in lines if line.startswith("waiting for another netgen command")]
    assert len(waiting) == 1 and f"(pid {os.getpid()})" in waiting[0]
    assert any("NG903" in line for line in lines)
    assert "Traceback" not in out.stderr
    assert not (inventory.parent / sec.STORE_NAME).exists()


def test_second_writer_waits_then_proceeds(inventory: Path, held: Callable[[], None]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "netgen", "secrets", "set", str(inventory), "hq_a_cf1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.write(PSK)
    proc.stdin.close()
    first = proc.stderr.readline()  # blocks until the child says it waits
    assert first.startswith("waiting for another netgen command")
    assert not (inventory.parent / sec.STORE_NAME).exists()
    held()  # the child may go on now
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, rest
    assert sec.load_store(inventory.parent / sec.STORE_NAME).tunnels["hq_a_cf1"].psk.reveal() == PSK


def test_check_takes_no_writer_lock(
    inventory: Path, tmp_path: Path, held: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETGEN_LOCK_TIMEOUT", "0")
    with pytest.raises(UserError) as exc:
        api.render(inventory, tmp_path / "out")
    assert codes(exc) == ["NG903"]
    assert api.render(inventory, tmp_path / "out", check=True).drift  # all missing, no wait


def test_bad_timeout_setting_is_a_user_error(inventory: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("NETGEN_LOCK_TIMEOUT", "soon")
    with pytest.raises(UserError) as exc:
        api.secrets_set(inventory, "hq_a_cf1", PSK)
    assert codes(exc) == ["NG903"]


def test_writer_lock_times_out_in_process(tmp_path: Path) -> None:
    heard: list[str] = []
    with (
        writer_lock(tmp_path),
        pytest.raises(UserError) as exc,
        writer_lock(tmp_path, timeout=0.1, notify=heard.append),
    ):
        pass
    assert codes(exc) == ["NG903"] and len(heard) == 1


def test_concurrent_secrets_set_lose_nothing(tmp_path: Path) -> None:
    inv = SCENARIOS["ipsec-dual-isp"]("cisco_iosxe", None)
    inv["sites"][1]["devices"][0]["wan"].append(
        {"name": "isp-b", "interface": "GigabitEthernet2", "address": "198.51.100.60"}
    )
    path = write_inventory(tmp_path / "inv", inv)
    names = sorted(api.open_session(path).loaded.inventory.tunnels)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "netgen", "secrets", "set", str(path), name],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for name in names
    ]
    for name, proc in zip(names, procs, strict=True):
        _, err = proc.communicate(f"{PSK}-{name}".encode(), timeout=120)
        assert proc.returncode == 0, err
    stored = sec.load_store(path.parent / sec.STORE_NAME).tunnels
    assert {n: e.psk.reveal() for n, e in stored.items()} == {n: f"{PSK}-{n}" for n in names}


def bare_acme(tmp_path: Path) -> tuple[Path, LockFile]:
    """The example, its lock stripped of the API facts that importing its responses adds."""
    work = tmp_path / "acme"
    shutil.copytree(ROOT / "examples" / "acme", work)
    lock_path = work / "netgen.lock.yaml"
    lock = load_lock(lock_path)
    bare = {n: t.model_copy(update={"cloudflare": None}) for n, t in lock.tunnels.items()}
    lock_path.write_text(dump_lock(LockFile(tunnels=bare)))
    return work, lock


def test_concurrent_import_and_generate_lose_nothing(tmp_path: Path) -> None:
    work, lock = bare_acme(tmp_path)
    lock_path = work / "netgen.lock.yaml"
    responses = sorted(str(p) for p in (work / "responses").glob("*.json"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmds = [
        ["import", str(work / "inventory.yaml"), *responses],
        ["secrets", "generate", str(work / "inventory.yaml")],
    ]
    procs = [
        subprocess.Popen([sys.executable, "-m", "netgen", *c], env=env, stdout=subprocess.DEVNULL)
        for c in cmds
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert load_lock(lock_path) == lock  # every imported fact is there
    stored = sec.load_store(work / sec.STORE_NAME).tunnels
    imported = {p.stem.removeprefix("psk_generate_") for p in work.glob("responses/psk_*")}
    assert len(imported) == 8 and imported <= set(stored)
    assert all(stored[n].source == "cloudflare" for n in imported)


@dataclass
class Interleaved:
    """A command run in a thread in the middle of another one."""

    threads: list[threading.Thread] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def join(self) -> list[BaseException]:
        for thread in self.threads:
            thread.join()
        return self.errors


def interleave(
    monkeypatch: pytest.MonkeyPatch, name: str, other: Callable[[Notify], object]
) -> Interleaved:
    """Start ``other`` in a thread the first time ``netgen.state.secret_commands.<name>`` is
    called, i.e. in the middle of a read-modify-write, and go on once ``other`` has finished or
    waits for the writer lock. Without the lock, ``other``'s write lands in between and is lost."""
    real = getattr(cmds, name)
    run = Interleaved()

    def hooked(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(cmds, name, real)
        event = threading.Event()

        def body() -> None:
            try:
                other(lambda _message: event.set())
            except BaseException as exc:
                run.errors.append(exc)
            finally:
                event.set()

        thread = threading.Thread(target=body)
        run.threads.append(thread)
        thread.start()
        event.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(cmds, name, hooked)
    return run


def test_secrets_set_in_the_middle_of_another_loses_nothing(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = interleave(
        monkeypatch,
        "set_secret",
        lambda notify: api.secrets_set(inventory, "hq_a_cf2", PSK + "-2", notify=notify),
    )
    api.secrets_set(inventory, "hq_a_cf1", PSK + "-1")
    assert other.join() == []
    stored = sec.load_store(inventory.parent / sec.STORE_NAME).tunnels
    assert {n: e.psk.reveal() for n, e in stored.items()} == {
        "hq_a_cf1": PSK + "-1",
        "hq_a_cf2": PSK + "-2",
    }


def test_generate_in_the_middle_of_an_import_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work, lock = bare_acme(tmp_path)
    inventory = work / "inventory.yaml"
    sources = [(p.name, p.read_bytes()) for p in sorted((work / "responses").glob("*.json"))]
    other = interleave(
        monkeypatch,
        "apply_imported",
        lambda notify: api.secrets_generate(inventory, ["nyc01_1a_cf1"], notify=notify),
    )
    api.import_responses(inventory, sources)
    assert other.join() == []
    assert load_lock(work / "netgen.lock.yaml") == lock
    stored = sec.load_store(work / sec.STORE_NAME).tunnels
    assert len(stored) == 8
    # the generate waited for the import and replaced its PSK (the later command wins)
    assert {n for n, e in stored.items() if e.source != "cloudflare"} == {"nyc01_1a_cf1"}


# -- 5. write errors and leftovers -----------------------------------------------------------------


def enospc(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)


def test_disk_full_writing_the_lock_keeps_old_output_and_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inv = SCENARIOS["mixed"]("cisco_iosxe", None)
    path = write_inventory(tmp_path / "inv", inv)
    out = tmp_path / "out"
    api.render(path, out)
    tree = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    lock_before = (path.parent / "netgen.lock.yaml").read_bytes()
    inv["sites"][1]["devices"][0]["wan"].append(
        {"name": "isp-b", "interface": "GigabitEthernet2", "address": "198.51.100.60"}
    )
    path.write_text(json.dumps(inv))
    enospc(monkeypatch)
    with pytest.raises(UserError) as exc:
        api.render(path, out, allow_placeholders=True)
    assert codes(exc) == ["NG901"] and "No space left" in text_of(exc)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == tree
    assert (path.parent / "netgen.lock.yaml").read_bytes() == lock_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inv", "out"]  # no staging left
    assert not [p for p in path.parent.iterdir() if ".tmp-" in p.name]


def test_disk_full_writing_secrets_is_ng901(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enospc(monkeypatch)
    with pytest.raises(UserError) as exc:
        api.secrets_set(inventory, "hq_a_cf1", PSK)
    assert codes(exc) == ["NG901"]
    assert not [p for p in inventory.parent.iterdir() if "secrets" in p.name]


def test_cli_disk_full_exits_1_not_70(inventory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from netgen.cli.app import app

    (inventory.parent / "netgen.lock.yaml").unlink()
    enospc(monkeypatch)
    runner = CliRunner()
    result = runner.invoke(app, ["plan", str(inventory), "--write-lock"])
    assert result.exit_code == 1 and "NG901" in result.output
    result = runner.invoke(app, ["secrets", "set", str(inventory), "hq_a_cf1"], input=PSK)
    assert result.exit_code == 1 and "NG901" in result.output
    assert not (inventory.parent / "netgen.lock.yaml").exists()


def dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(proc.stdout)


@pytest.mark.parametrize("complete", [True, False])
def test_interrupted_swap_is_finished_or_rolled_back(
    inventory: Path, tmp_path: Path, complete: bool
) -> None:
    out = tmp_path / "out"
    api.render(inventory, out)
    pid = dead_pid()
    old = tmp_path / f".out.old-{pid}-abcd"
    new = tmp_path / f".out.new-{pid}-abcd"
    out.rename(old)
    if complete:
        api.render(inventory, tmp_path / "staged")
        (tmp_path / "staged").rename(new)
    (tmp_path / f".out.new-{pid}-ef01").mkdir()  # a staging dir of a killed run
    messages = recover_output(out)
    assert (out / "MANIFEST.json").is_file()
    assert ("finished it" if complete else "restored the old output") in messages[0]
    assert "removed" in messages[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inv", "out"]


def test_leftovers_of_live_processes_are_kept(inventory: Path, tmp_path: Path) -> None:
    busy = tmp_path / f".out.new-{os.getpid()}-abcd"
    busy.mkdir()
    heard: list[str] = []
    api.render(inventory, tmp_path / "out", notify=heard.append)
    assert busy.is_dir() and heard == []


def test_a_dangling_lock_symlink_is_refused_by_readers_too(inventory: Path) -> None:
    """validate and plain plan read a dangling lock symlink as an empty lock (every tunnel new)."""
    lock = inventory.parent / "netgen.lock.yaml"
    lock.unlink()
    lock.symlink_to(inventory.parent / "missing.lock.yaml")
    for call in (lambda: api.validate(inventory), lambda: api.plan(inventory)):
        with pytest.raises(UserError) as info:
            call()
        assert [d.code for d in info.value.diagnostics] == ["NG904"]
