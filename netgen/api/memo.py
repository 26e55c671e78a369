"""Whole results remembered by their inputs: `validate`, and `render` when nothing changed.

Both are pure functions of the inventory's files, the lock, the command's options and netgen
itself, so their outcome is stored in the cache beside the lock (:mod:`netgen.core.cache`)
under the key of exactly those inputs (:func:`inputs_key`): the SHA-256 of every inventory
file and of the lock, byte for byte, the options, and netgen's fingerprint. An unchanged
fleet then costs reading and hashing its files instead of loading, checking, allocating and
planning every device.

What is remembered is what the command reports: the counts and every warning, in order.
Errors are never remembered (a failing run is simply run again, so its errors come out
exactly as before), nor is anything that depends on more than those files (revealed PSKs,
``--site``/``--device`` selections). A result is stored only when the inputs hashed after
the run are the ones hashed before it (an edit while netgen ran makes a miss, never a wrong
entry). For `render`, the key is taken after the lock was written, so the next run finds it,
and the output directory itself is verified file by file against its MANIFEST.json before
anything is skipped: a hand edit, a missing or an extra file sends the run down the full
path, which reports or repairs it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netgen.api.parallel import map_forked, worth_it
from netgen.core import limits
from netgen.core.cache import Cache, cache_key, open_cache
from netgen.core.errors import Diagnostic, Position, Severity, UserError, sort_diagnostics
from netgen.core.files import inventory_home
from netgen.inventory.directory import MAIN_FILE, site_files
from netgen.plan.build import build_device_plan
from netgen.plan.model import PlanInputs
from netgen.plan.sources import SourceDigester
from netgen.state.lock import lock_path_for


def inventory_files(inventory: Path) -> list[Path]:
    """Every file an inventory is read from (a directory: netgen.yaml and the site files)."""
    if inventory.is_dir():
        return [inventory / MAIN_FILE, *site_files(inventory)]
    return [inventory]


def _file_part(path: Path, limit: int) -> tuple[bytes, bytes | None]:
    """A file's identity for a key: its name, what a symlink points to, and its bytes (or
    that it is absent or unreadable, which the command itself reports); and the bytes, for
    the command to use. Read as the loaders read it, at most ``limit + 1`` bytes: a larger
    file (or ``/dev/zero``) fails the command with NG107, and failures are never remembered."""
    out = str(path).encode("utf-8", "surrogatepass") + b"\0"
    if path.is_symlink():
        out += b"link:" + os.fsencode(os.readlink(path)) + b"\0"
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        return out + f"unreadable:{exc.errno}".encode(), None
    return out + hashlib.sha256(data).digest(), data


def _stat(path: Path) -> tuple[int, ...] | None:
    """What changes whenever a file is written, replaced or touched (ctime cannot be set)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True)
class Inputs:
    """The files a command reads (the inventory's, then the lock) as they were when looked at:
    their stat to notice a change cheaply, their content parts for the key, and their bytes
    (``contents``, handed to the command once: :meth:`Memo.contents`)."""

    files: tuple[Path, ...]
    stats: tuple[tuple[int, ...] | None, ...]
    parts: tuple[bytes, ...]
    contents: dict[Path, bytes] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, inventory: Path) -> Inputs:
        files = (*inventory_files(inventory), lock_path_for(inventory))
        stats = tuple(_stat(p) for p in files)
        sizes = [limits.MAX_DOCUMENT_BYTES] * (len(files) - 1) + [limits.MAX_LOCK_BYTES]
        read = [_file_part(p, limit) for p, limit in zip(files, sizes, strict=True)]
        contents = {p: data for p, (_, data) in zip(files, read, strict=True) if data is not None}
        return cls(files, stats, tuple(part for part, _ in read), contents)

    def changed(self, inventory: Path) -> set[Path] | None:
        """The files whose stat differs now (None: the set of files itself changed)."""
        files = (*inventory_files(inventory), lock_path_for(inventory))
        if files != self.files:
            return None
        return {p for p, old in zip(files, self.stats, strict=True) if _stat(p) != old}

    def with_lock_reread(self) -> Inputs:
        lock = self.files[-1]
        return Inputs(
            self.files,
            (*self.stats[:-1], _stat(lock)),
            (*self.parts[:-1], _file_part(lock, limits.MAX_LOCK_BYTES)[0]),
        )


def inputs_key(inventory: Path, command: str, options: dict[str, Any], inputs: Inputs) -> str:
    """The key of ``command`` run with ``options`` on ``inventory`` whose files are ``inputs``."""
    return cache_key(
        command, str(inventory), json.dumps(options, sort_keys=True, default=str), *inputs.parts
    )


@dataclass(frozen=True)
class Memo:
    """One command's remembered results for one inventory (or output directory)."""

    cache: Cache
    kind: str
    name: str
    inventory: Path
    options: dict[str, Any]
    inputs: Inputs | None = None  # None: the cache is off

    @property
    def key(self) -> str:
        if self.inputs is None:
            return ""
        return inputs_key(self.inventory, self.kind, self.options, self.inputs)

    def contents(self) -> dict[Path, bytes]:
        """The bytes the key was computed from, by file, handed over once (empty after, and
        with the cache off): the command reads them instead of the disk, so what it remembers
        was computed from exactly the bytes of its key, and no file is read twice."""
        if self.inputs is None:
            return {}
        taken = dict(self.inputs.contents)
        self.inputs.contents.clear()
        return taken

    def recall(self) -> Any | None:
        return None if self.inputs is None else self.cache.get(self.kind, self.name, self.key)

    def remember(self, value: Any, *, after_write: bool = False) -> None:
        """Store ``value`` if no input changed while the command ran; a command that wrote the
        lock itself (``after_write``) stores it under the key of the new lock, if nothing
        else changed."""
        if self.inputs is None:
            return
        changed = self.inputs.changed(self.inventory)
        lock = self.inputs.files[-1]
        if changed is None or changed - ({lock} if after_write else set()):
            return
        inputs = self.inputs.with_lock_reread() if changed else self.inputs
        key = inputs_key(self.inventory, self.kind, self.options, inputs)
        self.cache.put(self.kind, self.name, key, value)


def memo_for(
    inventory: Path, kind: str, name: str, options: dict[str, Any], enabled: bool | None
) -> Memo:
    cache = open_cache(inventory_home(inventory), enabled)
    inputs = Inputs.of(inventory) if cache.root is not None else None
    return Memo(cache, kind, name, inventory, options, inputs)


# -- diagnostics as JSON -------------------------------------------------------------------


def diagnostics_to_json(diags: list[Diagnostic]) -> list[dict[str, Any]]:
    return [d.to_json() for d in diags]


def diagnostics_from_json(items: Any) -> list[Diagnostic] | None:
    """The diagnostics :func:`diagnostics_to_json` stored, or None if the entry is damaged."""
    if not isinstance(items, list):
        return None
    out: list[Diagnostic] = []
    try:
        for item in items:
            position = (
                Position(item["file"], item["line"], item["column"])
                if item["file"] is not None
                else None
            )
            out.append(
                Diagnostic(
                    code=item["code"],
                    message=item["message"],
                    severity=Severity(item["severity"]),
                    position=position,
                    hint=item["hint"],
                    field=item["field"],
                )
            )
    except (KeyError, TypeError, ValueError):
        return None
    if diagnostics_to_json(out) != items:
        return None
    return out


# -- validate: devices whose plan inputs planned without a problem before -------------------


def check_plans(inputs: PlanInputs, cache: Cache, name: str, jobs: int = 1) -> None:
    """Plan every device (raising every problem together, as :func:`netgen.api.session.
    device_plans`), except those whose source digest (:mod:`netgen.plan.sources`) is one
    that planned without a problem before: the same inputs give the same plan. Only digests
    of devices that planned cleanly are remembered, so a device with a problem is planned,
    and its problem reported, every time. Digests and plans are computed on ``jobs`` cores
    when there are enough devices (the problems are sorted, so the order they come in is
    moot)."""
    key = cache_key("planned", str(inputs.allow_placeholders))
    found = cache.get("planned", name, key) if cache.root is not None else None
    clean = set(found) if isinstance(found, list) else set()
    digest_of = SourceDigester(inputs)
    devices = sorted(inputs.inventory.devices(), key=lambda d: (d.site, d.name))

    def check(indexes: list[int]) -> tuple[list[Diagnostic], list[str]]:
        """The problems of the devices at ``indexes``, and the digests of those that planned
        (or were known to plan) cleanly."""
        problems: list[Diagnostic] = []
        fine: list[str] = []
        for i in indexes:
            digest = digest_of(devices[i])  # None: an unknown vendor (planning reports it)
            if digest is not None and digest in clean:
                fine.append(digest)
                continue
            try:
                build_device_plan(inputs, devices[i])
            except UserError as exc:
                problems.extend(exc.diagnostics)
                continue
            if digest is not None:
                fine.append(digest)
        return problems, fine

    every = list(range(len(devices)))
    results = map_forked(check, every, jobs) if worth_it(jobs, len(every)) else [check(every)]
    diags: list[Diagnostic] = []
    now: set[str] = set()
    for problems, fine in results:
        diags += problems
        now.update(fine)
    if cache.root is not None and now != clean:
        cache.put("planned", name, key, sorted(now))
    if diags:
        raise UserError(sort_diagnostics(diags))
