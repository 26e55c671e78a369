"""Parsed YAML documents kept in the cache beside the lock, by the SHA-256 of their bytes.

Parsing is most of what loading an inventory costs, and a fleet's inventory changes a file
(or a site) at a time. :class:`DocumentCache` loads files as :func:`netgen.core.documents.
load_yaml_file` does, but a file whose bytes have the digest of its cached parse gets that
parse back (one JSON read for the whole inventory) instead of going through YAML again. Only
plain data is kept (mappings with string keys, lists, strings, ints, finite floats, booleans,
null): a document holding anything else (a timestamp, binary, a non-string key) is parsed
every time. A file that fails to load is never cached, so its errors are reported afresh.

The entry's key is netgen's fingerprint (:func:`netgen.core.cache.cache_key`): another
netgen, with other limits or another YAML reading, starts from nothing. Positions are not
cached: as for every valid document, they are computed from the bytes on first use.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from netgen.core.cache import Cache, cache_key
from netgen.core.documents import (
    LazyPositionIndex,
    LoadedDocument,
    digest_bytes,
    load_yaml_text,
    read_bytes,
)
from netgen.core.limits import _utf8, check_size

_KIND = "documents"


def plain(value: Any) -> bool:
    """``value`` survives a JSON round trip unchanged (types included)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is list:
        return all(plain(v) for v in value)
    if kind is dict:
        return all(type(k) is str and plain(v) for k, v in value.items())
    return False


class DocumentCache:
    """The parses of one inventory's files (see the module docstring); :meth:`save` once
    loading is done."""

    def __init__(self, cache: Cache, name: str, known: dict[Path, bytes] | None = None) -> None:
        self._cache = cache
        self._known = known if known is not None else {}
        self._name = name
        self._key = cache_key(_KIND) if cache.root is not None else ""
        found = cache.get(_KIND, name, self._key) if cache.root is not None else None
        self._old: dict[str, Any] = found if isinstance(found, dict) else {}
        self._new: dict[str, list[Any]] = {}

    def load(self, path: Path) -> LoadedDocument:
        """The file's document: the cached parse if its bytes are unchanged, else parsed. Bytes
        the command already read (``known``: what its result is remembered under) are used
        instead of reading the file again, under the same size limit."""
        raw = self._known.pop(path, None)
        if raw is None:
            raw = read_bytes(path)
        else:
            check_size(raw, str(path))
        digest = digest_bytes(raw)
        file = str(path)
        hit = self._old.get(file)
        if isinstance(hit, list) and len(hit) == 2 and hit[0] == digest:
            self._new[file] = hit
            return LoadedDocument(hit[1], LazyPositionIndex(file, _utf8(raw, file)), digest, path)
        doc = load_yaml_text(raw, file)
        doc.path = path
        if plain(doc.data):
            self._new[file] = [digest, doc.data]
        return doc

    def save(self) -> None:
        """Keep the parses of the files loaded this time (entries of files no longer read are
        dropped, so the entry never outgrows the inventory)."""
        if self._cache.root is not None and self._new != self._old:
            self._cache.put(_KIND, self._name, self._key, self._new)
