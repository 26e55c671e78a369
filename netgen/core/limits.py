"""What netgen reads at most from any document (inventory, lock, secrets store, API response,
vendor profile): its size (the lock, which grows with the fleet, has its own), nesting depth
and value length, and no YAML anchors or aliases (an alias bomb expands before anything could
be counted). Each limit is a clean NG error."""

from __future__ import annotations

import codecs
import re
from typing import Any, Final

import yaml

from netgen.core.errors import Diagnostic, Position, UserError

try:  # libyaml is part of the PyYAML wheels; fall back to pure Python only if absent
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_ANCHOR_START: Final = re.compile(rb"[&*][-\w]")

# Every document but the lock: a 40,000-device fleet inventory is about 15 MB
# (benchmarks/fleet.py): 64 MiB leaves room while bounding what a file can cost.
MAX_DOCUMENT_BYTES: Final = 64 * 1024 * 1024


# The lock is netgen's own file but still hostile input (hand edits, git), and it grows with
# the fleet: 548 bytes a tunnel with the Cloudflare identities `netgen import` records (the
# 40,000-device benchmark fleet, 160,000 tunnels: 88 MB, over 64 MiB), 781 with every fact
# netgen records (type, both endpoints, three timestamps). netgen caps no count of sites,
# devices or tunnels; the nearest real ceiling is a one-file inventory's 64 MiB, about 177,000
# devices at the benchmark's 378 bytes a device. 512 MiB holds 687,000 tunnels of 781 bytes,
# 171,000 devices of four tunnels: 4.3x the 40,000-device fleet, about that ceiling. Reading
# is linear (measured at 20,000 to 160,000 tunnels): about 4.7 KiB of memory a tunnel on the
# canonical path, 3 GiB for a lock at the limit. Only netgen's own canonical form is read that
# large: the YAML path (a hand-edited lock) costs 15 KiB a tunnel, and up to 280 bytes an input
# byte for a dense hostile document, so it reads a lock only up to MAX_DOCUMENT_BYTES, as every
# other document (NG107 above it; netgen.state.lock_read).
MAX_LOCK_BYTES: Final = 512 * 1024 * 1024


# Inventories nest about 8 levels, locks 5, API responses 6; the parsers and every consumer
# recurse, so a limit far below Python's recursion limit keeps hostile nesting a clean error.
MAX_DEPTH: Final = 64


# Names, addresses, identities and PSKs are short; 4096 also stays below Python's
# 4300-digit limit for int(), so an over-long number is this error rather than a crash.
MAX_STRING: Final = 4096


NG_ALIAS: Final = "NG106"


NG_SIZE: Final = "NG107"


NG_DEPTH: Final = "NG108"


NG_LENGTH: Final = "NG109"


DEPTH_HINT: Final = f"netgen reads at most {MAX_DEPTH} levels of nesting: flatten the structure"


LENGTH_HINT: Final = (
    f"netgen reads values of at most {MAX_STRING} characters: check the value is the right one"
)


SIZE_HINT: Final = (
    "check that this is the right file (a 40,000-device inventory is about 15 MB, "
    "its lock about 88 MB)"
)


def check_size(raw: bytes, file: str, limit: int | None = None) -> None:
    """NG107 when a document is larger than ``limit`` bytes (by default
    :data:`MAX_DOCUMENT_BYTES`, looked up at each call)."""
    limit = MAX_DOCUMENT_BYTES if limit is None else limit
    if len(raw) > limit:
        raise UserError.single(
            NG_SIZE,
            f"file is larger than {size_text(limit)}, the most netgen reads",
            file=file,
            hint=SIZE_HINT,
        )


def size_text(limit: int) -> str:
    """``limit`` for a message: in MiB when it is a whole number of them."""
    mib, rest = divmod(limit, 1024 * 1024)
    return f"{mib} MiB" if mib and not rest else f"{limit:,} bytes"


def limit_problem(data: Any) -> tuple[str, tuple[str | int, ...]] | None:
    """The first place where ``data`` nests deeper than :data:`MAX_DEPTH` (NG108) or holds a
    string longer than :data:`MAX_STRING` (NG109), as ``(code, path)``; None when within.

    Iterative, so it is safe on any depth the parser produced.
    """
    if type(data) is str:
        return (NG_LENGTH, ()) if len(data) > MAX_STRING else None
    stack: list[tuple[Any, tuple[str | int, ...]]] = (
        [(data, ())] if type(data) in (dict, list) else []
    )
    while stack:
        obj, path = stack.pop()
        if len(path) >= MAX_DEPTH:
            return NG_DEPTH, path
        items: Any = obj.items() if type(obj) is dict else enumerate(obj)
        for key, value in items:
            if type(key) is str and len(key) > MAX_STRING:
                return NG_LENGTH, path
            kind = type(value)
            if kind is str:
                if len(value) > MAX_STRING:
                    return NG_LENGTH, (*path, key)
            elif kind is dict or kind is list:
                stack.append((value, (*path, key)))
    return None


def _may_have_anchors(raw: bytes) -> bool:
    if b"&" not in raw and b"*" not in raw:
        return False
    for match in _ANCHOR_START.finditer(raw):
        before = raw[match.start() - 1 : match.start()]
        if not (before.isalnum() and before.isascii()):
            return True
    return False


def refuse_anchors(raw: bytes, file: str) -> None:
    """NG106 for every YAML anchor (or alias without one), before anything is composed."""
    if not _may_have_anchors(raw):
        return
    diags: list[Diagnostic] = []
    defined: set[str] = set()
    hint = (
        "write the values out in full: netgen refuses anchors and aliases, since a few lines "
        "of them can expand into gigabytes"
    )
    try:
        for event in yaml.parse(raw, Loader=_Loader):
            anchor = getattr(event, "anchor", None)
            if anchor is None or (isinstance(event, yaml.AliasEvent) and anchor in defined):
                continue
            defined.add(anchor)
            what = "alias *" if isinstance(event, yaml.AliasEvent) else "anchor &"
            mark = event.start_mark
            pos = Position(file, mark.line + 1, mark.column + 1) if mark else Position(file)
            message = f"YAML {what}{anchor[:40]} is not supported"
            diags.append(Diagnostic(NG_ALIAS, message, position=pos, hint=hint))
    except yaml.YAMLError:
        pass  # the loader reports the syntax error itself
    if diags:
        raise UserError(diags)


def _utf8(raw: bytes, file: str) -> bytes:
    """libyaml also reads UTF-16 with a byte order mark: turn it into UTF-8 so that every
    byte-level check (anchors) sees the text as the parser will."""
    if not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw
    try:
        return raw.decode("utf-16").encode("utf-8")
    except UnicodeError:
        raise UserError.single(
            "NG102", "invalid UTF-16 text", file=file, hint="save the file as UTF-8"
        ) from None
