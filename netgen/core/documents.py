"""Loading YAML and JSON with positions.

The inventory is composed with libyaml (``CSafeLoader``) and converted to plain Python objects by
one walk that also records where every mapping key and sequence item starts. Pydantic errors and
rule violations are mapped back to ``file:line:col`` through that :class:`PositionIndex`.

The cyclic garbage collector is paused while the node tree is built and walked: it would
otherwise spend two thirds of the load time scanning objects that cannot be garbage
(see reference/performance-notes.md).

Every document is hostile until loaded: netgen reads at most :data:`MAX_DOCUMENT_BYTES`
(NG107; the lock, which grows with the fleet, at most :data:`MAX_LOCK_BYTES`, but above
:data:`MAX_DOCUMENT_BYTES` only in netgen's canonical form, which
:mod:`netgen.state.lock_read` reads without YAML), refuses YAML anchors and aliases before
anything is composed (NG106: a kilobyte of nested aliases expands to gigabytes, and a
self-referencing alias to an endless structure), and refuses nesting deeper than
:data:`MAX_DEPTH` (NG108) and scalars longer than :data:`MAX_STRING` characters (NG109).
The same limits apply to JSON documents (:func:`limit_problem`).
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from netgen.core import limits
from netgen.core.errors import Diagnostic, Position, UserError
from netgen.core.limits import (
    DEPTH_HINT,
    LENGTH_HINT,
    MAX_DEPTH,
    MAX_STRING,
    NG_DEPTH,
    NG_LENGTH,
    _utf8,
    check_size,
    limit_problem,
    refuse_anchors,
)

try:  # libyaml is part of the PyYAML wheels; fall back to pure Python only if absent
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

PathKey = tuple[str | int, ...]


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_SCALAR_TAGS: Final = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "binary", "timestamp")
)


@dataclass
class PositionIndex:
    """Maps a path inside a loaded document to where it starts in the file."""

    file: str
    marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: PathKey) -> Position:
        """The position of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            mark = self.marks.get(p)
            if mark is not None:
                return Position(self.file, mark[0], mark[1])
            p = p[:-1]
        mark = self.marks.get(())
        if mark is not None:
            return Position(self.file, mark[0], mark[1])
        return Position(self.file, 1, 1)

    def local_path(self, path: PathKey) -> PathKey:
        """``path`` inside the file that holds it, for messages (one file: ``path`` itself)."""
        return path

    def mention(self, path: PathKey, near: PathKey) -> str:
        """Where ``path`` is, for a message about ``near``: ``line N`` when both are in the
        same file, else ``FILE:N`` (an inventory directory spreads a document over files)."""
        pos = self.position(path)
        if pos.file == self.position(near).file:
            return f"line {pos.line}"
        return f"{pos.file}:{pos.line}"


@dataclass
class LoadedDocument:
    """A parsed document, its positions and the digest of its bytes (of an inventory directory:
    of its files). ``problems``: errors found while loading that did not stop it (a site file
    of an inventory directory that cannot be read), to report with the schema's and rules'."""

    data: Any
    index: PositionIndex
    digest: str
    path: Path | None
    problems: list[Diagnostic] = field(default_factory=list)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC for a bulk load (reference counting still frees memory)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Walker:
    """Converts a composed node tree into Python objects, recording positions."""

    def __init__(self, file: str) -> None:
        self.index = PositionIndex(file)
        self.diagnostics: list[Diagnostic] = []
        self._constructor = yaml.SafeLoader("")  # only its scalar constructors are used
        constructors: dict[str, Callable[[Any, Any], Any]] = dict(
            yaml.SafeLoader.yaml_constructors  # type: ignore[arg-type]
        )
        self._scalar = {tag: constructors[tag] for tag in _SCALAR_TAGS}

    def convert(self, node: yaml.Node, path: PathKey) -> Any:
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            return self._convert_scalar(node)
        if len(path) >= MAX_DEPTH:
            self._error(node, NG_DEPTH, f"nested deeper than {MAX_DEPTH} levels", DEPTH_HINT)
            return None
        if tag not in (_MAP_TAG, _SEQ_TAG):
            self._error(node, "NG102", f"unsupported YAML tag {tag[:80]!r}", "remove the tag")
            return None
        if isinstance(node, yaml.SequenceNode):
            out_list: list[Any] = []
            marks = self.index.marks
            for i, item in enumerate(node.value):
                sub = (*path, i)
                marks[sub] = (item.start_mark.line + 1, item.start_mark.column + 1)
                out_list.append(self.convert(item, sub))
            return out_list
        if isinstance(node, yaml.MappingNode):
            return self._convert_mapping(node, path)
        raise TypeError(f"unexpected YAML node {node!r}")  # pragma: no cover

    def _convert_scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if len(node.value) > MAX_STRING:
            message = f"value of {len(node.value)} characters (at most {MAX_STRING})"
            self._error(node, NG_LENGTH, message, LENGTH_HINT)
            return None
        if tag == _STR_TAG:
            return node.value
        ctor = self._scalar.get(tag)
        if ctor is None:
            self._error(node, "NG102", f"unsupported YAML tag {tag[:80]!r}", "remove the tag")
            return node.value
        try:
            return ctor(self._constructor, node)
        except Exception:  # PyYAML's constructors raise what their conversion raises, e.g.
            # ValueError for a timestamp in month 13, KeyError for `!!bool maybe`
            kind = tag.rsplit(":", 1)[-1]
            self._error(node, "NG102", f"invalid {kind} value", "quote it to make it a string")
            return None

    def _convert_mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        marks = self.index.marks
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._error(
                    key_node,
                    "NG102",
                    "YAML merge keys (<<) are not supported",
                    "write the keys out",
                )
                continue
            key = self.convert(key_node, path)
            if isinstance(key, list | dict):
                self._error(key_node, "NG102", "a mapping key must be a scalar", None)
                continue
            sub = (*path, key)
            if key in out:
                first = marks.get(sub, (0, 0))
                self._error(
                    key_node,
                    "NG103",
                    f"duplicate key {key!r} (first defined on line {first[0]})",
                    "remove one of the two entries",
                )
                continue
            marks[sub] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.convert(value_node, sub)
        return out

    def _error(self, node: yaml.Node, code: str, message: str, hint: str | None) -> None:
        pos = Position(self.index.file, node.start_mark.line + 1, node.start_mark.column + 1)
        self.diagnostics.append(Diagnostic(code, message, position=pos, hint=hint))


def digest_bytes(data: bytes) -> str:
    """The content digest netgen uses everywhere (sha256, hex)."""
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """Read a file of at most ``limit`` bytes (by default :data:`MAX_DOCUMENT_BYTES`, looked
    up at each call) or raise NG101 (unreadable) / NG107 (larger).

    At most ``limit + 1`` bytes are read, so ``/dev/zero`` or a runaway file costs no more.
    """
    limit = limits.MAX_DOCUMENT_BYTES if limit is None else limit
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise UserError.single(
            "NG101", "file not found", file=path, hint="check the path"
        ) from None
    except IsADirectoryError:
        raise UserError.single("NG101", "is a directory, expected a file", file=path) from None
    except OSError as exc:
        raise UserError.single("NG101", f"cannot read file: {exc.strerror}", file=path) from None
    check_size(data, str(path), limit)
    return data


# An anchor or alias is `&` or `*` at the start of a token followed by a name character; a
# token never starts right after a letter or digit (there it is part of a plain scalar such
# as `AT&T`). Any other match, also in comments or quotes, is decided by the YAML parser.


class _NeedsPositionsError(Exception):
    """The fast loader met something only the positioned loader can report."""


def _needs_positions(loader: Any, node: yaml.Node) -> Any:
    raise _NeedsPositionsError


class _FastLoader(_Loader):
    """libyaml + SafeConstructor, refusing what YAML would silently accept: duplicate keys,
    merge keys (``<<``), sets and ordered maps, and scalars over :data:`MAX_STRING`. Those
    send the document to the positioned loader for a report."""

    def construct_scalar(self, node: yaml.ScalarNode | yaml.MappingNode) -> Any:
        value = super().construct_scalar(node)
        if len(value) > MAX_STRING:
            raise _NeedsPositionsError
        return value

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _NeedsPositionsError
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(node.value):
            raise _NeedsPositionsError
        return mapping


for _tag in ("set", "omap", "pairs"):
    _FastLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _needs_positions)


class LazyPositionIndex(PositionIndex):
    """Positions computed on first use, by re-reading the text with the positioned loader.

    Valid inputs rarely need a position, so the fast path never pays for them (time and about
    half the peak memory of a fleet-sized load).
    """

    def __init__(self, file: str, raw: bytes) -> None:
        super().__init__(file)
        self._raw: bytes | None = raw

    def position(self, path: PathKey) -> Position:
        if self._raw is not None:
            self.marks = _load_positioned(self._raw, self.file, "").index.marks
            self._raw = None
        return super().position(path)


def load_yaml_text(text: str | bytes, file: str, limit: int | None = None) -> LoadedDocument:
    """Parse YAML text into plain objects; positions are computed when first asked for.

    Raises UserError on syntax errors, duplicate keys, merge keys, anchors and aliases,
    and documents over the size (``limit`` bytes, by default :data:`MAX_DOCUMENT_BYTES`),
    depth and string limits, with positions.
    """
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    check_size(raw, file, limit)
    digest = digest_bytes(raw)
    raw = _utf8(raw, file)
    refuse_anchors(raw, file)
    with paused_gc():
        try:
            loader = _FastLoader(raw)
            try:
                data = loader.get_single_data()
            finally:
                loader.dispose()
            if limit_problem(data) is not None:
                raise _NeedsPositionsError
        except Exception:  # syntax, duplicates, limits, a constructor failing on a tagged
            # scalar (KeyError, ValueError ...): the positioned loader finds and reports it
            return _load_positioned(raw, file, digest)
    return LoadedDocument(data, LazyPositionIndex(file, raw), digest, None)


def _load_positioned(raw: bytes, file: str, digest: str) -> LoadedDocument:
    """Parse YAML into plain objects plus positions for every key and item."""
    with paused_gc():
        try:
            node = yaml.compose(raw, Loader=_Loader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            line = mark.line + 1 if mark else None
            col = mark.column + 1 if mark else None
            problem = exc.problem or "invalid YAML"
            raise UserError.single(
                "NG102",
                f"YAML syntax error: {problem}",
                file=file,
                line=line,
                column=col,
                hint="fix the indentation or quoting near this place",
            ) from None
        except yaml.YAMLError as exc:  # e.g. a reader error: not UTF-8, control characters
            problem = (str(exc).splitlines() or ["invalid YAML"])[0]
            raise UserError.single("NG102", f"YAML error: {problem}", file=file) from None
        walker = _Walker(file)
        data = None if node is None else walker.convert(node, ())
        if node is not None:
            walker.index.marks[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
        del node  # release the node tree before validation (memory)
    if walker.diagnostics:
        raise UserError(walker.diagnostics)
    return LoadedDocument(data, walker.index, digest, None)


def load_yaml_file(path: Path) -> LoadedDocument:
    """Load a YAML file with positions."""
    doc = load_yaml_text(read_bytes(path), str(path))
    doc.path = path
    return doc
