"""Fuzzing the readers of hostile text: the inventory (load + validate through ``netgen.api``,
as the CLI does), the lock (both readers) and saved Cloudflare API responses (decode, classify,
import).

Inputs are valid documents with hostile parts put in (random structures, deep nesting,
anchors and aliases, odd scalars and tags, control characters, huge numbers and strings, cut
or spliced text) and plain random text. The only exception allowed out is :class:`UserError`.
Each target runs about 200 examples, a few seconds in all.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netgen import api
from netgen.cloudflare.responses import Classified, read_response
from netgen.core.errors import UserError
from netgen.state.lock_read import load_lock, parse_canonical_lock, parse_lock_text
from tests.scenarios import SCENARIOS, import_into, write_inventory

ROOT = Path(__file__).resolve().parents[2]
RESPONSES = sorted(
    [
        *(ROOT / "tests" / "fixtures" / "responses").glob("*.json"),
        *(ROOT / "examples" / "acme" / "responses").glob("*.json"),
    ]
)
Draw = Callable[[st.SearchStrategy[Any]], Any]  # DataObject.draw
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- hostile parts ----------------------------------------------------------------------------

# YAML snippets put in place of a value (or a line): each is something a parser, a constructor,
# the schema, the rules, the allocator or the planner could choke on.
ODD_YAML = [
    "~",
    "yes",
    "off",
    "0x1F",
    "0o17",
    "1_000",
    "1:30:00",
    ".inf",
    "-.nan",
    "-0",
    "2024-13-01",
    "2024-02-30T25:61:00Z",
    "9" * 4200,
    "9" * 5000,
    "-" + "9" * 4096,
    "1e999999",
    "0.0.0.0/0",
    "10.252.0.0/32",
    "255.255.255.255",
    "8.8.8.0/31",
    "10.252.0.0/30",
    "::1",
    "!!binary aGVsbG8=",
    "!!binary ###",
    "!!timestamp 2024-99-99",
    "!!int abc",
    "!!float x",
    "!!bool maybe",
    "!!null x",
    "!!str",
    "!!seq x",
    "!!map x",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!pairs [a: 1]",
    "!!python/object:os.system {}",
    "!custom {a: 1}",
    "!<tag:yaml.org,2002:str> x",
    "&a x",
    "*a",
    "&a [*a]",
    "&a {k: *a}",
    "{<<: {a: 1}}",
    "[" * 70 + "]" * 70,
    "[" * 999 + "]" * 999,
    "[" * 1001,
    "{a: " * 70 + "b" + "}" * 70,
    '"\\x00\\x1b[2J"',
    '"\\u2028\\u2029\\x85"',
    '"\\ud800"',
    '"\\t"',
    '"' + "x" * 5000 + '"',
    "'" + "é" * 4097 + "'",
    "|\n  block\n  text",
    ">-\n  folded",
    "[a, b",
    "{a: 1",
    "'unterminated",
    "? [a]\n: b",
    "? {a: 1}\n: b",
    "--- second document",
    "...",
    "%YAML 1.1",
    "@reserved",
    "`reserved",
    "\t tab",
]
ODD_CHARS = ["\x00", "\x07", "\x1b", "\r", "\x85", "\u2028", "\ufeff", "\x7f", "\t", "é", "💥"]

odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(ODD_CHARS).map(lambda c: f"a{c}b"),
    st.sampled_from([4096, 4097, 6000]).map(lambda n: "x" * n),
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**40),
    st.floats(),
    odd_text,
    st.sampled_from(["10.252.0.0/31", "192.0.2.10", "0.0.0.0/0", "ipsec", "gre", "cf1", "isp-a"]),
)
structures = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=15,
)


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


deep_structures = st.integers(1, 150).map(_nested)  # deeper text: ODD_YAML


def _replace_at(data: Any, draw: Draw, value: Any) -> Any:
    """``data`` with one randomly chosen node (possibly the root) replaced by ``value``."""
    if not isinstance(data, dict | list) or not data or draw(st.integers(0, 4)) == 0:
        return value
    if isinstance(data, dict):
        key = draw(st.sampled_from(sorted(data, key=str)))
        return {**data, key: _replace_at(data[key], draw, value)}
    i = draw(st.integers(0, len(data) - 1))
    return [*data[:i], _replace_at(data[i], draw, value), *data[i + 1 :]]


def _mutate_lines(text: str, draw: Draw) -> str:
    """Line-level damage: a value replaced by an odd snippet, lines dropped, duplicated or
    inserted, odd characters put in, or the text cut anywhere."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.integers(0, 5))
        snippet = draw(st.sampled_from(ODD_YAML))
        if action == 0 and ":" in lines[i]:
            head = lines[i].split(":", 1)[0]
            lines[i] = f"{head}: {snippet}".replace("\n", "\n" + " " * (len(head) + 2))
        elif action == 1:
            del lines[i]
        elif action == 2:
            lines.insert(i, lines[i])
        elif action == 3:
            lines.insert(i, snippet)
        elif action == 4:
            pos = draw(st.integers(0, len(lines[i])))
            char = draw(st.sampled_from(ODD_CHARS))
            lines[i] = lines[i][:pos] + char + lines[i][pos:]
        else:
            return "\n".join(lines)[: draw(st.integers(0, len(text)))]
        if not lines:
            lines = [""]
    return "\n".join(lines)


# -- shared inputs ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="netgen-fuzz-") as name:
        yield Path(name)


@pytest.fixture(scope="module")
def inventory(workdir: Path) -> dict[str, Any]:
    inv: dict[str, Any] = SCENARIOS["mixed"]("cisco_iosxe", None)
    return inv


@pytest.fixture(scope="module")
def locked(workdir: Path, inventory: dict[str, Any]) -> tuple[Path, str]:
    """A valid inventory and the text of its lock (with Cloudflare identities)."""
    path = write_inventory(workdir / "locked", inventory)
    return path, (path.parent / "netgen.lock.yaml").read_text()


@pytest.fixture(scope="module")
def session(workdir: Path, inventory: dict[str, Any]) -> api.Session:
    return api.open_session(write_inventory(workdir / "import", inventory, with_identities=False))


def _validate(path: Path) -> None:
    try:
        api.validate(path)
    except UserError as exc:
        assert exc.diagnostics and all(d.code.startswith("NG") for d in exc.diagnostics)


# -- the inventory ----------------------------------------------------------------------------

# A DeprecationWarning here was ipaddress reading a YAML boolean as an int ("__int__ returned
# non-int"): the inventory schema (NG203) and the lock (NG402) now refuse booleans, so any such
# warning fails the test.
STRICT_WARNINGS = pytest.mark.filterwarnings("error::DeprecationWarning")


@STRICT_WARNINGS
@FUZZ
@given(data=st.data())
def test_inventory_with_a_hostile_value(
    workdir: Path, inventory: dict[str, Any], data: st.DataObject
) -> None:
    value = data.draw(st.one_of(structures, deep_structures))
    doc = _replace_at(inventory, data.draw, value)
    path = workdir / "value" / "inventory.yaml"
    path.parent.mkdir(exist_ok=True)
    unicode = data.draw(st.booleans())
    text = yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=unicode)
    path.write_text(text, encoding="utf-8")
    _validate(path)


@STRICT_WARNINGS
@FUZZ
@given(data=st.data())
def test_inventory_with_hostile_text(
    workdir: Path, inventory: dict[str, Any], data: st.DataObject
) -> None:
    text = _mutate_lines(yaml.safe_dump(inventory, sort_keys=False), data.draw)
    path = workdir / "text" / "inventory.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    _validate(path)


@STRICT_WARNINGS
@FUZZ
@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_inventory_from_random_bytes(workdir: Path, raw: bytes) -> None:
    path = workdir / "bytes" / "inventory.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(raw)
    _validate(path)


# -- the lock ---------------------------------------------------------------------------------


@STRICT_WARNINGS
@FUZZ
@given(data=st.data())
def test_lock_readers(locked: tuple[Path, str], data: st.DataObject) -> None:
    inventory, good = locked
    text = _mutate_lines(good, data.draw)
    path = inventory.parent / "netgen.lock.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        slow = parse_lock_text(text, "netgen.lock.yaml")
    except UserError:
        slow = None
    try:
        from_file = load_lock(path)
    except UserError:
        from_file = None
    fast = parse_canonical_lock(text)
    if fast is not None:  # the fast reader never accepts what the full reader refuses
        assert slow is not None and fast.model_dump() == slow.model_dump()
    assert (from_file is None) == (slow is None)
    if from_file is not None and slow is not None:
        assert from_file.model_dump() == slow.model_dump()
    _validate(inventory)  # and the lock's values go through allocation and planning
    path.write_text(good)


# -- saved API responses ----------------------------------------------------------------------


def _hostile_response(data: st.DataObject) -> bytes:
    base = data.draw(st.sampled_from(RESPONSES)).read_bytes()
    kind = data.draw(st.integers(0, 3))
    if kind == 0:  # a value anywhere replaced by a random or deep structure
        try:
            doc = json.loads(base)
        except ValueError:
            return base
        value = data.draw(st.one_of(structures, deep_structures))
        return json.dumps(_replace_at(doc, data.draw, value)).encode()
    if kind == 1:  # text damage
        text = _mutate_lines(base.decode("utf-8", "replace"), data.draw)
        return text.encode("utf-8", "surrogatepass")
    if kind == 2:  # odd JSON
        return data.draw(
            st.sampled_from(
                [
                    b"[" * 100_000 + b"]" * 100_000,
                    b'{"success": true, "result": ' + b"9" * 5000 + b"}",
                    b'{"success": true, "result": {"psk": "' + b"a" * 5000 + b'"}}',
                    b'{"success": true, "result": NaN}',
                    b'{"success": true, "result": {"ipsec_tunnels": [1e400]}}',
                    b'"\\ud800"',
                    b"\xef\xbb\xbf{}",
                    b"\xff\xfe{",
                    b"<html><title>x</title>",
                    b"",
                ]
            )
        )
    return data.draw(st.binary(max_size=200))


@FUZZ
@given(data=st.data())
def test_response_reader_and_importer(session: api.Session, data: st.DataObject) -> None:
    raw = _hostile_response(data)
    found = read_response(raw, "r.json")  # never raises: problems are diagnostics
    assert isinstance(found, Classified)
    others = [
        (p.name, p.read_bytes())
        for p in data.draw(st.lists(st.sampled_from(RESPONSES), max_size=2))
    ]
    try:
        import_into(session, [("r.json", raw), *others], adopt=data.draw(st.booleans()))
    except UserError as exc:
        assert exc.diagnostics
