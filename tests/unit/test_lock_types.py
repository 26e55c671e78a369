"""The lock takes each value only as the type netgen writes it.

YAML reads an unquoted true/false/yes/no/on/off as a boolean and a bool is an int: pydantic's
lax mode read ``index: true`` as 1 and ``netgen_lock: true`` as version 1, and ipaddress takes
ints, so ``cloudflare_endpoint: on`` was 0.0.0.1 (``interface_address: yes`` was refused, but
only after Python's "__int__ returned non-int" DeprecationWarning), a plain ``3405803786`` was
203.0.113.10 and ``!!binary`` bytes were an address too. Each is now NG402 at the value's
line, through both readers: :func:`load_lock` (the canonical reader, which leaves these to the
YAML reader, then YAML + schema) and :func:`parse_lock_text` (YAML + schema), and the canonical
reader alone never takes them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from netgen.core.errors import Diagnostic, UserError
from netgen.state.lock import LOCK_END, LockFile
from netgen.state.lock_read import load_lock, parse_canonical_lock, parse_lock_text

# The writer's output (tests/unit/test_lock_read_fast.py checks it takes the canonical path),
# one key a line, so a case names the line whose value it replaces.
LOCK = f"""\
# netgen lock file
netgen_lock: 1
tunnels:
  t1:
    site: s
    device: d
    wan: w
    endpoint: e
    generated: true
    interface_address: 10.252.0.8/31
    index: 3
    cloudflare:
      id: abc
      type: ipsec
      cloudflare_endpoint: 192.0.2.10
      customer_endpoint: 203.0.113.7
{LOCK_END}
"""
FILE = "netgen.lock.yaml"
HINT = "restore the lock from version control, or fix the entry"
BOOLEANS = {"true": "true", "false": "false", "yes": "true", "no": "false", "on": "true"}
TUNNEL = "tunnels.t1"

# (the line as in LOCK, the field the diagnostic names, what the field expects)
FIELDS = [
    ("netgen_lock: 1", "netgen_lock", "1"),
    ("    index: 3", f"{TUNNEL}.index", "a whole number"),
    ("    interface_address: 10.252.0.8/31", f"{TUNNEL}.interface_address", "an IPv4 interface"),
    (
        "      cloudflare_endpoint: 192.0.2.10",
        f"{TUNNEL}.cloudflare.cloudflare_endpoint",
        "an IPv4 address",
    ),
    (
        "      customer_endpoint: 203.0.113.7",
        f"{TUNNEL}.cloudflare.customer_endpoint",
        "an IPv4 address",
    ),
]
ADDRESSES = FIELDS[2:]


def with_value(line: str, value: str) -> tuple[str, int]:
    """LOCK with ``line``'s value replaced by ``value``, and that line's number."""
    lines = LOCK.splitlines()
    assert lines.count(line) == 1, f"{line!r} is not one line of LOCK"
    i = lines.index(line)
    lines[i] = line.split(": ", 1)[0] + ": " + value
    return "\n".join(lines) + "\n", i + 1


def read_from_file(tmp_path: Path) -> Callable[[str], LockFile]:
    def read(text: str) -> LockFile:
        path = tmp_path / FILE
        path.write_text(text)
        return load_lock(path)

    return read


def read_text(_tmp_path: Path) -> Callable[[str], LockFile]:
    return lambda text: parse_lock_text(text, FILE)


READERS: dict[str, Callable[[Path], Callable[[str], LockFile]]] = {
    "load_lock": read_from_file,
    "parse_lock_text": read_text,
}


def refused(tmp_path: Path, reader: str, text: str) -> Diagnostic:
    """The one diagnostic ``reader`` gives for ``text``; no warning on the way (ipaddress's
    DeprecationWarning was the sign of a bool read as an int)."""
    assert parse_canonical_lock(text) is None  # the canonical reader leaves it to YAML
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserError) as info:
            READERS[reader](tmp_path)(text)
    (diag,) = info.value.diagnostics
    assert diag.code == "NG402" and diag.hint == HINT
    assert diag.position is not None
    assert diag.position.file == (str(tmp_path / FILE) if reader == "load_lock" else FILE)
    return diag


def test_the_sample_is_read_by_both_readers_and_the_canonical_one(tmp_path: Path) -> None:
    fast = parse_canonical_lock(LOCK)
    assert fast is not None
    for reader in READERS.values():
        assert reader(tmp_path)(LOCK) == fast


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("value", BOOLEANS)
@pytest.mark.parametrize(("line", "field", "expected"), FIELDS, ids=[f for _l, f, _e in FIELDS])
def test_a_boolean_is_ng402_at_its_line(
    tmp_path: Path, reader: str, value: str, line: str, field: str, expected: str
) -> None:
    text, lineno = with_value(line, value)
    diag = refused(tmp_path, reader, text)
    assert diag.position is not None and diag.position.line == lineno
    assert diag.field == field
    assert diag.message == (
        f"lock file: invalid value for {field}: Input should be {expected}, not a boolean "
        f"(got {BOOLEANS[value]})"
    )


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    "value",
    ["3405803786", "0", "184287240", "!!binary wKgBAQ==", "!!binary CvwACA=="],
    ids=["int", "zero", "int-in-range", "binary", "binary-in-range"],
)
@pytest.mark.parametrize(
    ("line", "field", "expected"), ADDRESSES, ids=[f for _l, f, _e in ADDRESSES]
)
def test_a_number_or_bytes_for_an_address_is_ng402_at_its_line(
    tmp_path: Path, reader: str, value: str, line: str, field: str, expected: str
) -> None:
    """ipaddress reads an int (184287240 is 10.252.0.8) and four bytes (CvwACA== too) as an
    address: the lock writes addresses as text."""
    text, lineno = with_value(line, value)
    diag = refused(tmp_path, reader, text)
    assert diag.position is not None and diag.position.line == lineno
    assert diag.field == field
    what = expected.removeprefix("an ")
    got = "" if value.startswith("!!") else f" (got {value})"
    assert diag.message == f"lock file: invalid value for {field}: Input is not a valid {what}{got}"


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("    index: 3", '"3"'),
        ("    index: 3", "3.0"),
        ("    interface_address: 10.252.0.8/31", '"10.252.0.8/31"'),
        ("      cloudflare_endpoint: 192.0.2.10", "'192.0.2.10'"),
    ],
)
def test_other_spellings_of_the_same_value_stay_accepted(
    tmp_path: Path, reader: str, line: str, value: str
) -> None:
    """As in the inventory: a quoted or whole float number is that number, a quoted address
    that address (a hand edit, read by the YAML reader)."""
    text, _ = with_value(line, value)
    assert parse_canonical_lock(text) is None
    assert READERS[reader](tmp_path)(text) == parse_canonical_lock(LOCK)
