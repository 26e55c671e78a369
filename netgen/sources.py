"""Loading YAML and JSON with positions.

The inventory is composed with libyaml (``CSafeLoader``) and converted to plain Python objects by
one walk that also records where every mapping key and sequence item starts. Pydantic errors and
rule violations are mapped back to ``file:line:col`` through that :class:`PositionIndex`.

The cyclic garbage collector is paused while the node tree is built and walked: it would
otherwise spend two thirds of the load time scanning objects that cannot be garbage
(see reference/performance-notes.md).
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netgen.errors import Diagnostic, Position, UserError

try:  # libyaml is part of the PyYAML wheels; fall back to pure Python only if absent
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

PathKey = tuple[str | int, ...]

_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


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


@dataclass
class LoadedDocument:
    """A parsed document, its positions and the digest of its bytes."""

    data: Any
    index: PositionIndex
    digest: str
    path: Path | None


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
        self._scalar: dict[str, Callable[[Any, Any], Any]] = dict(
            yaml.SafeLoader.yaml_constructors  # type: ignore[arg-type]
        )

    def convert(self, node: yaml.Node, path: PathKey) -> Any:
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag == _STR_TAG:
                return node.value
            ctor = self._scalar.get(tag)
            if ctor is None:
                self._error(node, "NG102", f"unsupported YAML tag {tag!r}", "remove the tag")
                return node.value
            return ctor(self._constructor, node)
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


def read_bytes(path: Path) -> bytes:
    """Read a file or raise NG101."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UserError.single(
            "NG101", "file not found", file=path, hint="check the path"
        ) from None
    except IsADirectoryError:
        raise UserError.single("NG101", "is a directory, expected a file", file=path) from None
    except OSError as exc:
        raise UserError.single("NG101", f"cannot read file: {exc.strerror}", file=path) from None


class _NeedsPositionsError(Exception):
    """The fast loader met something only the positioned loader can report."""


class _FastLoader(_Loader):
    """libyaml + SafeConstructor, refusing what YAML would silently accept: duplicate keys
    and merge keys (``<<``). Those send the document to the positioned loader for a report."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _NeedsPositionsError
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(node.value):
            raise _NeedsPositionsError
        return mapping


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
            self.marks = _load_positioned(self._raw, self.file).index.marks
            self._raw = None
        return super().position(path)


def load_yaml_text(text: str | bytes, file: str) -> LoadedDocument:
    """Parse YAML text into plain objects; positions are computed when first asked for.

    Raises UserError on syntax errors, duplicate keys and merge keys, with positions.
    """
    raw = text.encode() if isinstance(text, str) else text
    with paused_gc():
        try:
            loader = _FastLoader(raw)
            try:
                data = loader.get_single_data()
            finally:
                loader.dispose()
        except (_NeedsPositionsError, yaml.YAMLError):
            return _load_positioned(raw, file)
    return LoadedDocument(data, LazyPositionIndex(file, raw), digest_bytes(raw), None)


def _load_positioned(raw: bytes, file: str) -> LoadedDocument:
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
        except yaml.YAMLError as exc:
            raise UserError.single("NG102", f"YAML error: {exc}", file=file) from None
        walker = _Walker(file)
        data = None if node is None else walker.convert(node, ())
        if node is not None:
            walker.index.marks[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
        del node  # release the node tree before validation (memory)
    if walker.diagnostics:
        raise UserError(walker.diagnostics)
    return LoadedDocument(data, walker.index, digest_bytes(raw), None)


def load_yaml_file(path: Path) -> LoadedDocument:
    """Load a YAML file with positions."""
    doc = load_yaml_text(read_bytes(path), str(path))
    doc.path = path
    return doc
