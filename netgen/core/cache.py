"""The cache beside the lock: ``.netgen-cache/``, results keyed by the content of their inputs.

netgen never needs it: deleting the directory, a read-only checkout, ``--no-cache`` or
``NETGEN_NO_CACHE=1`` only cost time. Every entry is a JSON document holding the **key** it
was made for: the SHA-256 of netgen's :func:`fingerprint` (its version, its own source, vendor
profiles and templates) and of every input the result was computed from. A lookup whose key
differs is a miss, so an edited input, another netgen or a changed rule set can never be
served an old result. Entries are written atomically (a reader sees a whole entry or none)
and stay bounded: one entry per named thing (a file, an output directory), overwritten when
its inputs change.

The directory holds its own ``.gitignore`` (``*``) and a ``CACHEDIR.TAG``, so git and backup
tools leave it out wherever the inventory lives. Entries are plain JSON, never pickles, and
are read only as the regular files of bounded size netgen writes: a cache directory planted in
a repository can at worst cost a miss, never run code, hang on a FIFO or fill memory.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from netgen import __version__
from netgen.core.files import read_regular_file
from netgen.core.resources import data_dir

CACHE_DIR: Final = ".netgen-cache"
# far above any entry netgen writes (the documents of a 40,000-device inventory: about 14 MB)
MAX_ENTRY_BYTES: Final = 1 << 30
NO_CACHE_ENV: Final = "NETGEN_NO_CACHE"
_GITIGNORE = "# netgen's cache: safe to delete, never commit it\n*\n"
_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# netgen's cache (https://bford.info/cachedir/); safe to delete.\n"
)
_PACKAGE = Path(__file__).resolve().parents[1]


@functools.cache
def fingerprint() -> str:
    """netgen's version and the digest of everything that decides its results: its Python
    source, vendor profiles and templates (a development checkout changes it with every edit
    of a rule, so a cache can never outlive the rules that made it)."""
    h = hashlib.sha256(f"netgen {__version__}\0".encode())
    roots = [_PACKAGE, data_dir("vendors"), data_dir("templates")]
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if path.suffix in (".pyc", ".pyo") or "__pycache__" in path.parts:
                continue
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def cache_key(*parts: str | bytes) -> str:
    """The key of a result computed from ``parts`` by this netgen (see :func:`fingerprint`)."""
    h = hashlib.sha256(fingerprint().encode())
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def cache_enabled(requested: bool | None) -> bool:
    """``requested`` (a command's ``--no-cache`` gives False), else on unless
    ``NETGEN_NO_CACHE`` is set to something other than ``0`` or empty."""
    if requested is not None:
        return requested
    return os.environ.get(NO_CACHE_ENV, "") in ("", "0")


@dataclass(frozen=True)
class Cache:
    """Entries under ``root`` (None: a disabled cache, every lookup misses)."""

    root: Path | None

    def get(self, kind: str, name: str, key: str) -> Any | None:
        """The value stored for ``name`` if it was made for ``key``, else None."""
        if self.root is None:
            return None
        data = _read_entry(self._path(kind, name))
        try:
            entry = json.loads(data) if data is not None else None
        except ValueError:
            return None
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        return entry.get("value")

    def put(self, kind: str, name: str, key: str, value: Any) -> None:
        """Store ``value`` for ``name`` (best effort: a cache that cannot be written is off)."""
        if self.root is None:
            return
        data = json.dumps({"key": key, "value": value}, separators=(",", ":")).encode()
        path = self._path(kind, name)
        try:
            self._prepare(path.parent)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return

    def _path(self, kind: str, name: str) -> Path:
        assert self.root is not None
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
        return self.root / kind / f"{digest}.json"

    def _prepare(self, directory: Path) -> None:
        assert self.root is not None
        if not (self.root / ".gitignore").is_file():
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / "CACHEDIR.TAG").write_text(_TAG)
            (self.root / ".gitignore").write_text(_GITIGNORE)
        directory.mkdir(parents=True, exist_ok=True)


def _read_entry(path: Path) -> bytes | None:
    """An entry's bytes, if it is what netgen writes: a regular file (not a symlink, FIFO or
    device) of at most :data:`MAX_ENTRY_BYTES`. Anything else is a miss, so a planted entry
    can cost neither a hang nor the memory it would take to read."""
    try:
        return read_regular_file(path, MAX_ENTRY_BYTES, follow=False)
    except (OSError, ValueError):
        return None


DISABLED: Final = Cache(None)


def open_cache(home: Path, enabled: bool | None = None) -> Cache:
    """The cache of the inventory whose lock lives in ``home``."""
    return Cache(home / CACHE_DIR) if cache_enabled(enabled) else DISABLED
