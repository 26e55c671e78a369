"""Check Junos (SRX, 23.4R2) ``set`` commands against Juniper's published YANG.

The compiled tree (``junos/junos-es-23.4R2-reftree.json.gz``, Apache-2.0) stays in
``../shared/vendor-data`` beside the repository. It covers ``security``, ``interfaces``,
``routing-options``, ``firewall`` and ``policy-options``; each node is
``{"k": container|list|leaf|leaf-list, "ch": {...}, "key": [...], "nokw": true,
"type": {"base", "enum", "range", "length", "pattern", "posix", "union"}, "must": [...]}``.

Checked: keywords (unknown ones reported with close alternatives), list keys, leaf and
leaf-list values (enumerations, integer/decimal ranges, string lengths, YANG patterns,
``junos:posix-pattern`` with a leading ``!`` meaning "must not match", unions), ``empty``
leaves taking no value, ``nokw`` leaves given without their keyword, ``[ a b ]`` leaf-list
values, several sibling statements on one line, and the CLI names that differ from YANG:
``interfaces <ifname>`` (list ``interface``), ``security policies from-zone X to-zone Y``
(list ``policy``, keys ``from-zone-name``/``to-zone-name``) and ``routing-instances <name>``
(not in the tree: its ``routing-options`` are checked against the global tree, a few
other statements are accepted unchecked).

``junos:must`` (only with ``check_must=True``): the plain reference form
``"<path> $$"`` (with ``||`` alternatives and relative ``..`` steps) is checked, e.g. an IKE
gateway's ``ike-policy`` must name a defined ``security ike policy``. Expressions with
``!``, ``&&``, ``any``, ``$$-IFL`` or ``${var}``, and targets outside the compiled tree, are
ignored. Not checked: value semantics that Junos types only as ``string`` (IP addresses,
interface names) and limits enforced only on the device (e.g. ``family inet mtu``).
"""

from __future__ import annotations

import difflib
import functools
import gzip
import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .vyos_schema import SchemaError, vendor_data_dir

__all__ = ["JunosNode", "JunosType", "SchemaError", "load_junos_tree", "validate_junos"]

TREE_FILE = "junos-es-23.4R2-reftree.json.gz"
_INT_BOUNDS = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint8": (0, 2**8 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
}
# CLI spellings that differ from YANG: keyword omitted, or keyword renamed.
_OMITTED: dict[tuple[str, ...], str] = {("interfaces",): "interface"}
_ALIASES: dict[tuple[str, ...], dict[str, str]] = {
    ("security", "policies"): {"from-zone": "policy"}
}
_ROUTING_INSTANCE_UNCHECKED = frozenset(
    (
        "description",
        "instance-type",
        "interface",
        "protocols",
        "route-distinguisher",
        "vrf-table-label",
        "vrf-target",
    )
)
_ROUTING_INSTANCE_KEYWORDS = sorted((*_ROUTING_INSTANCE_UNCHECKED, "routing-options"))


@dataclass(frozen=True, slots=True)
class JunosType:
    """A leaf type: base name plus restrictions (an empty restriction allows anything)."""

    base: str
    enum: frozenset[str] = frozenset()
    ranges: tuple[tuple[float, float], ...] = ()
    lengths: tuple[tuple[int, int], ...] = ()
    patterns: tuple[str, ...] = ()
    posix: tuple[str, ...] = ()
    union: tuple[JunosType, ...] = ()


@dataclass(slots=True)
class JunosNode:
    """A schema node: container, list (with keys), leaf or leaf-list."""

    kind: str
    children: dict[str, JunosNode] = field(default_factory=dict)
    keys: tuple[str, ...] = ()
    nokw: bool = False
    type: JunosType | None = None
    must: tuple[str, ...] = ()


def _bounds(spec: str, lo: float, hi: float) -> tuple[tuple[float, float], ...]:
    out = []
    for part in spec.split("|"):
        ends = [e.strip() for e in part.split("..")]
        nums = [lo if e == "min" else hi if e == "max" else float(e) for e in ends]
        out.append((nums[0], nums[-1]))
    return tuple(out)


def _type(raw: dict[str, Any]) -> JunosType:
    lo, hi = _INT_BOUNDS.get(raw["base"], (float("-inf"), float("inf")))
    return JunosType(
        base=raw["base"],
        enum=frozenset(raw.get("enum", ())),
        ranges=_bounds(raw["range"], lo, hi) if "range" in raw else ((lo, hi),),
        lengths=tuple(
            (int(a), int(b)) for a, b in _bounds(raw.get("length", "0 .. max"), 0, 2**31)
        ),
        patterns=tuple(raw.get("pattern", ())),
        posix=tuple(raw.get("posix", ())),
        union=tuple(_type(u) for u in raw.get("union", ())),
    )


def _build(raw: dict[str, Any], types: dict[str, JunosType]) -> JunosNode:
    typ = None
    if "type" in raw:  # few distinct types: share them (and load 4x faster)
        key = repr(raw["type"])
        typ = types.get(key) or types.setdefault(key, _type(raw["type"]))
    return JunosNode(
        kind=raw["k"],
        children={k: _build(v, types) for k, v in raw.get("ch", {}).items()},
        keys=tuple(raw.get("key", ())),
        nokw=bool(raw.get("nokw")),
        type=typ,
        must=tuple(raw.get("must", ())),
    )


@functools.lru_cache(maxsize=1)
def load_junos_tree() -> JunosNode:
    """Load (once) the Junos SRX 23.4R2 tree; its root is a container.

    Raises:
        FileNotFoundError: the vendor data is not there.
    """
    with gzip.open(vendor_data_dir() / "junos" / TREE_FILE, "rt", encoding="utf-8") as fh:
        return _build(json.load(fh), {})


_POSIX = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "xdigit": "0-9a-fA-F",
    "space": r"\s",
    "lower": "a-z",
    "upper": "A-Z",
}


@functools.cache
def _posix(pattern: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\[:(\w+):\]", lambda m: _POSIX[m.group(1)], pattern))


@functools.cache
def _yang(pattern: str) -> re.Pattern[str]:
    # XSD regexes have no anchors: '$' and '^' are literals there.
    return re.compile(pattern.replace("$", r"\$").replace("^", r"\^"))


def _type_ok(typ: JunosType, value: str) -> bool:
    if typ.base == "union":
        return any(_type_ok(t, value) for t in typ.union)
    if typ.base == "enumeration":
        return value in typ.enum
    if typ.base in _INT_BOUNDS or typ.base == "decimal64":
        number = r"[+-]?\d+(\.\d+)?" if typ.base == "decimal64" else r"[+-]?\d+"
        if not re.fullmatch(number, value):
            return False
        num = float(value)
        return any(lo <= num <= hi for lo, hi in typ.ranges)
    if typ.base == "string":
        if not any(lo <= len(value) <= hi for lo, hi in typ.lengths):
            return False
        if not all(_yang(p).fullmatch(value) for p in typ.patterns):
            return False
        for pat in typ.posix:
            negate = pat.startswith("!")
            if bool(_posix(pat.removeprefix("!")).search(value)) == negate:
                return False
    return True


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _describe(typ: JunosType) -> str:
    if typ.base == "union":
        return " or ".join(_describe(t) for t in typ.union if t.patterns != ("<.*>|$.*",))
    if typ.base == "enumeration":
        return "one of " + ", ".join(sorted(typ.enum))
    if typ.base == "string":
        parts = [f"length {a}..{b}" for a, b in typ.lengths if (a, b) != (0, 2**31)]
        parts += [f"pattern {p}" for p in (*typ.patterns, *typ.posix)]
        return "string " + ", ".join(parts) if parts else "string"
    spans = ", ".join(f"{_num(lo)}..{_num(hi)}" for lo, hi in typ.ranges)
    return f"{typ.base} in {spans}"


_Level = tuple[JunosNode, tuple[str, ...]]  # schema node, CLI words that selected it
_MUST_REF = re.compile(r'"((?:\.\. )*)((?:[\w-]+ )*)\$\$"')


def _flat(levels: list[_Level]) -> tuple[str, ...]:
    return tuple(word for _, words in levels for word in words)


@dataclass
class _Checker:
    root: JunosNode
    check_must: bool
    errors: list[SchemaError] = field(default_factory=list)
    defined: set[tuple[str, ...]] = field(default_factory=set)
    pending: list[tuple[int, str, list[_Level], JunosNode, str]] = field(default_factory=list)

    def line(self, no: int, line: str) -> None:
        lex = shlex.shlex(line, posix=True)
        lex.quotes, lex.whitespace_split, lex.commenters = '"', True, ""
        try:
            words = list(lex)
        except ValueError as exc:
            self.errors.append(SchemaError(no, line, f"cannot split line: {exc}"))
            return
        message = "not a 'set <path>' command" if words[0] != "set" or len(words) < 2 else None
        if words[:2] == ["set", "routing-instances"] and len(words) > 2:
            if len(words) == 3 or words[3] in _ROUTING_INSTANCE_UNCHECKED:
                return
            if words[3] != "routing-options":
                close = difflib.get_close_matches(words[3], _ROUTING_INSTANCE_KEYWORDS)
                hint = f"; did you mean: {', '.join(close)}?" if close else ""
                message = f"unknown keyword '{words[3]}' under 'routing-instances'{hint}"
            words = words[2:]  # the instance's routing-options, as the global ones
        message = message or self.walk(no, line, words[1:])
        if message:
            self.errors.append(SchemaError(no, line, message))

    def walk(self, no: int, line: str, words: list[str]) -> str | None:
        node, path, i = self.root, list[_Level](), 0
        filled: set[str] = set()  # keyword-less leaves already given at this level
        while i < len(words):
            word, scope = words[i], _flat(path)
            where = " ".join(scope) or "top level"
            name = _ALIASES.get(scope, {}).get(word, word)
            child = node.children.get(name)
            if child is not None and (child.nokw or name in node.keys):
                child = None
            words_used: tuple[str, ...] = (word,)
            if child is None and scope in _OMITTED:  # 'interfaces st0': the word is a key
                child, words_used, i = node.children[_OMITTED[scope]], (), i - 1
            if child is None:
                free = [
                    k
                    for k, c in node.children.items()
                    if c.nokw and c.kind == "leaf" and k not in node.keys and k not in filled
                ]
                if not free:
                    options = [k for k, c in node.children.items() if not c.nokw]
                    close = difflib.get_close_matches(word, options, n=4, cutoff=0.6)
                    hint = f"; did you mean: {', '.join(close)}?" if close else ""
                    if not path:
                        hint += f" (the schema covers: {', '.join(options)})"
                    return f"unknown keyword '{word}' under '{where}'{hint}"
                filled.add(free[0])
                error = self.value(node.children[free[0]], word, f"{where} {free[0]}")
                if error:
                    return error
                i += 1
                continue
            i += 1
            shown = " ".join((*scope, *words_used))
            if child.kind == "list":
                for n, key in enumerate(child.keys):
                    key_node = child.children[key]
                    keyword = key.removesuffix("-name")
                    if n and not key_node.nokw:  # a later key given as 'keyword value'
                        if words[i : i + 1] not in ([key], [keyword]):
                            return f"'{shown}' requires '{keyword} <value>' next"
                        words_used, i = (*words_used, words[i]), i + 1
                    elif n and (i >= len(words) or words[i] in child.children):
                        break  # a later keyword-less key: optional here (best effort)
                    if i >= len(words):
                        return f"'{shown}' requires a value for '{keyword}'"
                    error = self.value(key_node, words[i], f"{shown} {keyword}")
                    if error:
                        return error
                    here = [*path, (child, words_used), (key_node, ())]
                    self.must(no, line, here, key_node, words[i])
                    words_used, i = (*words_used, words[i]), i + 1
                path.append((child, words_used))
                node, filled = child, set()
            elif child.kind == "container":
                path.append((child, words_used))
                node, filled = child, set()
            elif child.type is None or child.type.base != "empty":
                values = words[i : i + 1]
                if child.kind == "leaf-list" and values == ["["]:
                    end = words.index("]", i) if "]" in words[i:] else len(words)
                    values, i = words[i + 1 : end], end
                if not values:
                    return f"'{shown}' requires a value"
                for value in values:
                    error = self.value(child, value, shown)
                    if error:
                        return error
                    # for junos:must '..' steps a leaf-list value is a level of its own
                    here = [*path, (child, (word,))]
                    if child.kind == "leaf-list":
                        here.append((child, ()))
                    self.must(no, line, here, child, value)
                    self.defined.add((*scope, word, value))
                i += 1
        self.defined.update(_flat(path[: n + 1]) for n in range(len(path)))
        return None

    def value(self, node: JunosNode, value: str, shown: str) -> str | None:
        if node.type is None or _type_ok(node.type, value):
            return None
        return f"invalid value '{value}' for '{shown}': expected {_describe(node.type)}"

    def must(self, no: int, line: str, levels: list[_Level], node: JunosNode, value: str) -> None:
        if self.check_must and node.must:
            self.pending.append((no, line, levels, node, value))

    def check_musts(self) -> None:
        for no, line, levels, node, value in self.pending:
            for expr in node.must:
                alternatives = _resolve(self.root, expr, levels, value)
                if alternatives and not any(alt in self.defined for alt in alternatives):
                    wanted = " or ".join(f"'{' '.join(alt)}'" for alt in alternatives)
                    msg = f"'{' '.join(_flat(levels))} {value}' needs {wanted} (junos:must)"
                    self.errors.append(SchemaError(no, line, msg))


def _resolve(root: JunosNode, expr: str, levels: list[_Level], value: str) -> list[tuple[str, ...]]:
    """Return the config paths a plain ``"<path> $$"`` must expression requires (any one).

    ``..`` steps climb from the leaf (each list entry is one step); alternatives whose
    target is not a list/leaf-list of the compiled tree are dropped; an expression with
    any other operator yields no requirement.
    """
    if any(bad in expr for bad in ("!", "&&", "any ", "$$-", "$$=", "${", "<")):
        return []
    found: list[tuple[str, ...]] = []
    for part in expr.replace("(", "").replace(")", "").split("||"):
        match = _MUST_REF.fullmatch(part.strip())
        if not match:
            return []
        ups, words = match.group(1).count(".."), match.group(2).split()
        if ups > len(levels):
            continue
        base = levels[: len(levels) - ups] if ups else []  # no '..': an absolute path
        node: JunosNode | None = base[-1][0] if base else root
        for word in words:
            node = node.children.get(word) if node is not None else None
        if node is not None and node.kind in ("list", "leaf-list"):
            found.append((*_flat(base), *words, value))
    return found


def validate_junos(lines: Iterable[str], *, check_must: bool = False) -> list[SchemaError]:
    """Validate Junos ``set`` commands against the SRX 23.4R2 tree.

    Args:
        lines: ``set ...`` commands; blank lines and ``#`` comments are skipped; values may be
            double-quoted.
        check_must: also check simple ``junos:must`` references (see module docstring).
            Off by default, since a config snippet legitimately refers to objects it does
            not define (zones, WAN interfaces).

    Returns:
        One SchemaError per rejected line (first problem on the line), in line order.
    """
    checker = _Checker(load_junos_tree(), check_must)
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            checker.line(no, line)
    checker.check_musts()
    return sorted(checker.errors, key=lambda e: e.line_no)
