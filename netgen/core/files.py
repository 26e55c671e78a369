"""State beside the inventory: one writer at a time, files replaced atomically, crash leftovers.

Every command that reads, changes and writes back the lock or the secrets store (``render``,
``import``, ``plan --write-lock``, ``secrets set|generate``) holds an exclusive ``flock`` on
``.netgen.lock.yaml.lock`` beside the inventory for the whole read-modify-write, so two such
commands never lose each other's changes: the second waits (saying so once on stderr through
the caller's ``notify``) and gives up with NG903 after a timeout.

Temporary files and directories carry the pid of the process that made them
(``.<name>.<kind>-<pid>-<token>``), so a later run can tell the leftovers of a killed process
(pid no longer alive) from the work of a running one, and removes only the former.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets as _random
import signal
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from netgen.core.errors import UserError

Notify = Callable[[str], None]

WRITER_LOCK_NAME: Final = ".netgen.lock.yaml.lock"
TIMEOUT_ENV: Final = "NETGEN_LOCK_TIMEOUT"
DEFAULT_TIMEOUT: Final = 120.0
POLL_SECONDS: Final = 0.05
# Test hook: kill -9 the process at the named point (tests/hardening/test_crash.py).
CRASH_ENV: Final = "NETGEN_TEST_CRASH_AT"


def inventory_home(inventory: Path) -> Path:
    """The directory the lock, the secrets store, the writer lock and git questions belong
    to: beside an inventory file, inside an inventory directory (netgen.yaml + sites/)."""
    return inventory if inventory.is_dir() else inventory.parent


def crash_point(name: str) -> None:
    """Die like ``kill -9`` here when ``NETGEN_TEST_CRASH_AT`` names this point (tests only)."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


# -- the writer lock ---------------------------------------------------------------------------


def writer_lock_path(directory: Path) -> Path:
    return directory / WRITER_LOCK_NAME


@contextlib.contextmanager
def writer_lock(
    directory: Path, *, notify: Notify | None = None, timeout: float | None = None
) -> Iterator[None]:
    """Hold the exclusive writer lock of the inventory directory ``directory``.

    Waits up to ``timeout`` seconds (default: ``$NETGEN_LOCK_TIMEOUT`` or 120) for another
    holder, telling ``notify`` once; raises NG903 when the wait times out. Not re-entrant.
    """
    path = writer_lock_path(directory)
    limit = _timeout(timeout)
    fd = _open_lock_file(path)
    try:
        _acquire(fd, path, limit, notify)
        with contextlib.suppress(OSError):  # who holds it, for a waiter's message
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _timeout(timeout: float | None) -> float:
    if timeout is not None:
        return timeout
    text = os.environ.get(TIMEOUT_ENV)
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses nan
        raise UserError.single(
            "NG903",
            f"{TIMEOUT_ENV}={text!r} is not a number of seconds",
            hint=f"set {TIMEOUT_ENV} to how long to wait for another netgen command, e.g. 300",
        )
    return value


def _open_lock_file(path: Path) -> int:
    """The lock file, created if missing; read-only when it belongs to another user of a
    shared directory (flock works on any descriptor)."""
    flags = os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    try:
        try:
            return os.open(path, flags | os.O_RDWR, 0o644)
        except PermissionError:
            return os.open(path, flags | os.O_RDONLY, 0o644)
    except OSError as exc:
        raise UserError.single(
            "NG901",
            f"cannot open the writer lock file: {exc.strerror}",
            file=path,
            hint="netgen needs a regular file it can write here (not a symlink)",
        ) from None


def _acquire(fd: int, path: Path, limit: float, notify: Notify | None) -> None:
    if _try_lock(fd):
        return
    holder = _holder(fd)
    if notify is not None:
        notify(
            f"waiting for another netgen command{holder} to finish with {path.parent} "
            f"(up to {limit:g} s)"
        )
    deadline = time.monotonic() + limit
    while not _try_lock(fd):
        if time.monotonic() >= deadline:
            raise UserError.single(
                "NG903",
                f"another netgen command{holder} still holds the writer lock after {limit:g} s",
                file=path,
                hint=f"let it finish and run again, or set {TIMEOUT_ENV} to wait longer (seconds)",
            )
        time.sleep(POLL_SECONDS)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(fd: int) -> str:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return f" (pid {text})" if text.isdigit() else ""


# -- pid-tagged temporaries ----------------------------------------------------------------------


@dataclass(frozen=True)
class Leftover:
    """A temporary file or directory named by :func:`tagged_name`."""

    path: Path
    kind: str
    pid: int
    token: str


def tagged_name(base: str, kind: str, token: str | None = None) -> str:
    """``.<base>.<kind>-<pid>-<token>``: a temporary name that records its owner."""
    return f".{base}.{kind}-{os.getpid()}-{token or _random.token_hex(4)}"


def leftovers(directory: Path, base: str, kinds: tuple[str, ...]) -> list[Leftover]:
    """Temporaries of ``base`` in ``directory`` whose process is gone, sorted by name."""
    pattern = re.compile(
        rf"\.{re.escape(base)}\.({'|'.join(map(re.escape, kinds))})-(\d+)-([0-9a-f]+)"
    )
    found: list[Leftover] = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    for name in names:
        m = pattern.fullmatch(name)
        if m and not pid_alive(int(m.group(2))):
            found.append(Leftover(directory / name, m.group(1), int(m.group(2)), m.group(3)))
    return found


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (a pid reused by another process counts)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- state files: the lock and the secrets store -------------------------------------------------


def state_target(path: Path, what: str) -> Path:
    """The regular file behind ``path``: itself, or a symlink's target (then written through).

    A symlink that dangles, loops or resolves to something other than a regular file is
    refused (NG904), and so is a state path that is not a regular file. A missing path is fine.
    """
    if not path.is_symlink():
        if path.exists() and not path.is_file():
            raise UserError.single(
                "NG904", f"{what} is not a regular file", file=path, hint="move it away"
            )
        return path
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        target = None
    if target is None or not target.is_file():
        raise UserError.single(
            "NG904",
            f"{what} is a symlink that does not lead to a regular file",
            file=path,
            hint=f"point the link at the real file ({os.readlink(path)} is missing or not a file)",
        )
    return target


def remove_leftover_temps(target: Path) -> int:
    """Remove the temporaries that killed processes left beside ``target``; how many."""
    removed = 0
    for old in leftovers(target.parent, target.name, ("tmp",)):
        with contextlib.suppress(FileNotFoundError):
            old.path.unlink()
            removed += 1
    return removed


def replace_file(path: Path, data: bytes, *, mode: int, what: str) -> None:
    """Replace ``path``'s content atomically (temporary file created ``mode``, fsync, rename).

    A symlink stays a symlink: its target is replaced. Temporaries left by killed processes
    are removed first. Any OSError (disk full, read-only ...) is NG901 and leaves ``path`` as
    it was.
    """
    target = state_target(path, what)
    directory = target.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        remove_leftover_temps(target)
        tmp = directory / tagged_name(target.name, "tmp")
        _write_new(tmp, data, mode)
        try:
            crash_point("state:tmp-written")
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        fsync_dir(directory)
    except OSError as exc:
        raise UserError.single(
            "NG901",
            f"cannot write {what}: {exc.strerror or exc}",
            file=path,
            hint="free space or fix permissions and run again; the old file is unchanged",
        ) from None


def _write_new(tmp: Path, data: bytes, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)  # whatever the umask
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (best effort where directories cannot be synced)."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


class FileTooLargeError(ValueError):
    """:func:`read_regular_file`: the file holds more than the limit."""


def read_regular_file(path: Path, limit: int, *, follow: bool = True) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes. It is
    opened without blocking (and, unless ``follow``, without following a symlink), and a
    FIFO, device or directory is refused before anything is read; a file larger than
    ``limit`` by its size is refused unread, one that grew while read after ``limit + 1``
    bytes (so ``/dev/zero`` or a wrong path costs nothing). Raises ValueError
    (:class:`FileTooLargeError` for the size) saying what the file is, never what it holds;
    OSError passes."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    fd = os.open(path, flags if follow else flags | os.O_NOFOLLOW)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            mode = st.st_mode
            kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else ""
            raise ValueError(f"{kind or 'a device'}, not a regular file")
        data = b""
        if st.st_size <= limit:
            while len(data) <= limit and (chunk := os.read(fd, limit + 1 - len(data))):
                data += chunk
    finally:
        os.close(fd)
    if st.st_size > limit or len(data) > limit:
        raise FileTooLargeError(f"larger than {limit} bytes")
    return data
