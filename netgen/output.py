"""Writing results: atomic files, atomic output directories, MANIFEST.json, drift checks.

Only this module writes to disk. An output directory is replaced as a whole: everything is
written to a sibling temporary directory first and swapped in with renames, so a failed run
leaves the previous output untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from netgen.errors import UserError
from netgen.render import RenderedFile

MANIFEST = "MANIFEST.json"


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` via a temporary file and rename (mode set before rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def json_bytes(data: Any) -> bytes:
    """Stable JSON: sorted keys, two-space indent, LF, final newline."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def json_lines_array(items: list[Any]) -> bytes:
    """A JSON array with one object per line: stable, diff-friendly, and written by the C
    encoder (an indented dump of a fleet's payloads takes seconds)."""
    if not items:
        return b"[]\n"
    dump = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(", ", ": ")).encode
    return ("[\n" + ",\n".join("  " + dump(item) for item in items) + "\n]\n").encode()


def manifest_file(files: list[RenderedFile], header: dict[str, Any]) -> RenderedFile:
    """MANIFEST.json listing every file with its sha256 (and whether it holds secrets)."""
    entries = [_entry(f) for f in sorted(files, key=lambda f: f.path)]
    return RenderedFile(MANIFEST, json_bytes({**header, "files": entries}))


def _mode(f: RenderedFile) -> int:
    if f.secret:
        return 0o700 if f.executable else 0o600
    return 0o755 if f.executable else 0o644


def write_tree(
    out_dir: Path,
    files: Iterable[RenderedFile],
    *,
    manifest_header: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Replace ``out_dir`` with exactly ``files``; atomic as a whole.

    ``files`` may be a generator: each file is written as it comes and only its digest is
    kept. With ``manifest_header``, MANIFEST.json is built from what was written. If the
    iterable raises (e.g. the errors of a render), the staging directory is removed and the
    previous output stays untouched. Returns the MANIFEST entries of everything written.
    """
    out_dir = out_dir.resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError.single("NG901", "output path exists and is not a directory", file=out_dir)
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MANIFEST).is_file():
        raise UserError.single(
            "NG901",
            "output directory is not empty and was not written by netgen",
            file=out_dir,
            hint="choose an empty or new directory; netgen replaces it whole",
        )
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    except OSError as exc:
        raise UserError.single(
            "NG901", f"cannot create output directory: {exc.strerror}", file=out_dir
        ) from None
    try:
        entries = _write_files(staging, files)
        if manifest_header is not None:
            manifest = RenderedFile(
                MANIFEST,
                json_bytes({**manifest_header, "files": sorted(entries, key=lambda e: e["path"])}),
            )
            entries += _write_files(staging, [manifest])
        os.chmod(staging, 0o755)
        _swap(staging, out_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError.single(
            "NG901", f"cannot write output: {exc.strerror}", file=out_dir
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(entries, key=lambda e: e["path"])


def _write_files(root: Path, files: Iterable[RenderedFile]) -> list[dict[str, Any]]:
    made: set[Path] = set()
    entries: list[dict[str, Any]] = []
    for f in files:
        target = root / f.path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _mode(f))
        with os.fdopen(fd, "wb") as fh:
            fh.write(f.content)
        entries.append(_entry(f))
    return entries


def _entry(f: RenderedFile) -> dict[str, Any]:
    return {
        "path": f.path,
        "sha256": hashlib.sha256(f.content).hexdigest(),
        "size": len(f.content),
        "secret": f.secret,
    }


def _swap(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    old.rmdir()
    os.rename(out_dir, old)
    try:
        os.rename(staging, out_dir)
    except OSError:
        os.rename(old, out_dir)  # put the previous output back
        raise
    shutil.rmtree(old, ignore_errors=True)


def read_tree(out_dir: Path) -> dict[str, bytes]:
    """Every regular file under ``out_dir`` by relative path."""
    if not out_dir.is_dir():
        return {}
    out: dict[str, bytes] = {}
    for p in sorted(out_dir.rglob("*")):
        if p.is_file():
            out[p.relative_to(out_dir).as_posix()] = p.read_bytes()
    return out


def diff_tree(out_dir: Path, files: Iterable[RenderedFile]) -> list[tuple[str, str]]:
    """(path, "changed" | "missing" | "extra") for every difference, sorted."""
    existing = read_tree(out_dir)
    wanted = {f.path: f.content for f in files}
    out: list[tuple[str, str]] = []
    for path in sorted(set(existing) | set(wanted)):
        if path not in existing:
            out.append((path, "missing"))
        elif path not in wanted:
            out.append((path, "extra"))
        elif existing[path] != wanted[path]:
            out.append((path, "changed"))
    return out
