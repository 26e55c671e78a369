"""Reading ``netgen.lock.yaml``: :func:`load_lock` is the one entry point.

A fleet's lock holds tens of thousands of tunnels, seconds for YAML and pydantic. netgen writes
one shape (:func:`netgen.state.lock.dump_lock`): the reader matches it, one compiled pattern
per tunnel, and builds the models without validation. Anything else (hand edits, unknown or
reordered keys, odd scalars or characters) goes to the YAML + schema path, which reports
positions. Both apply the same checks (interface_address_problem's rule, MAX_INDEX, the size,
key and string limits, YAML's typing of plain scalars, the end marker): the fast path never
accepts a lock the full path refuses, and returns what it returns (``==``, ``model_dump()``).
PyYAML costs up to about 280 bytes of memory an input byte (a dense flow list), so the YAML
path reads a lock only up to MAX_DOCUMENT_BYTES (64 MiB), as every other document; the
canonical reader, linear and bounded, up to MAX_LOCK_BYTES (512 MiB). A larger lock that is
not canonical (a hand edit) is NG107.
"""

from __future__ import annotations

import gc
import json
import re
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from yaml.resolver import Resolver

from netgen.cloudflare.facts import INTERFACE_RANGES
from netgen.core import limits
from netgen.core.documents import load_yaml_text, paused_gc, read_bytes
from netgen.core.errors import UserError
from netgen.core.files import state_target
from netgen.core.limits import MAX_LOCK_BYTES, MAX_STRING, NG_SIZE, check_size, size_text
from netgen.state.lock import (
    LARGE_LOCK_HINT,
    LARGE_LOCK_MESSAGE,
    LOCK_END,
    MAX_INDEX,
    CloudflareFacts,
    LockFile,
    LockTunnel,
    RemoteIdentities,
    check_complete,
    parse_lock,
    string_scalar,
)
from netgen.state.lock_objects import Shared, interface, model

# -- the canonical shape --------------------------------------------------------------------

_MAX_KEY = 1024  # libyaml and PyYAML refuse a longer implicit key ("could not find ':'")
# YAML reads a plain scalar as a string unless an implicit type (bool, int, null ...) registered
# for its first character matches; _plain proves that in the pattern, _Scalars for the rest.
_TYPES = Resolver.yaml_implicit_resolvers
assert None not in _TYPES  # no wildcard resolvers
_P = "A-Za-z0-9._/@-"  # the writer's plain characters (netgen.state.lock.string_scalar)
_NEVER_TYPED = "/@GHJKMPQVWXghjkmpqvwz"  # in no type's pattern (the tests derive the set)


def _typed(first: str, end: str) -> str:
    """The implicit types registered for ``first``, as one pattern ending with ``end``."""
    patterns = []
    for _tag, rx in _TYPES.get(first, ()):
        assert rx.pattern.startswith("^") and rx.pattern.endswith("$")
        patterns.append(f"(?{'x' if rx.flags & re.X else ''}:{rx.pattern[1:-1]})")
    return f"(?:{'|'.join(patterns)}){end}" if patterns else ""


def _plain(limit: int, end: str) -> str:
    """Plain scalars YAML reads as strings, in the writer's characters: (1) the first letter
    has no implicit types; (2) a digit first, a letter, no "." or "-" (every float and
    timestamp has one) and not 0x/0b (an int has letters only after those); (3) a 0, then
    digits or "_" with an 8 or 9 (not octal, and a decimal int has no leading 0); (4) a
    character no type has; (5) a first letter whose types (bool, null) do not match."""
    more = f"{{0,{limit - 1}}}"
    by_types: dict[str, str] = {}
    for first in string.ascii_letters:
        typed = _typed(first, end)
        by_types[typed] = by_types.get(typed, "") + first
    shapes = [
        f"[{by_types.pop('')}][{_P}]{more}",
        f"(?!0[xb])(?=[0-9_]*+[A-Za-z])[0-9][0-9A-Za-z_]{more}",
        f"0(?=[0-7_]*+[89])[0-9_]{{1,{limit - 1}}}",
        f"(?=[^\\n{_NEVER_TYPED}]*+[{_NEVER_TYPED}])[A-Za-z0-9][{_P}]{more}",
    ]
    shapes += (f"(?=[{f}])(?!{typed})[A-Za-z][{_P}]{more}" for typed, f in by_types.items())
    return "|".join(shapes)


def _strict(limit: int = MAX_STRING, end: str = r"\n") -> str:
    """A scalar the pattern proves YAML reads as this very string (_plain), and its end."""
    return f"({_plain(limit, end)}){end}"


def _loose(limit: int = MAX_STRING, end: str = r"\n") -> str:
    """Any scalar, and its end: :class:`_Scalars` checks the raw text."""
    return f"([^\\n]*){end}"


def _block(scalar: Callable[..., str]) -> re.Pattern[str]:
    """One tunnel block, keys in the writer's order, a group per value (see _tunnel). The
    address: decimal octets, a /31 or /30 (no YAML 1.1 type contains "/"). Optional parts are
    `(?:...|)`, not `(?:...)?`: inside a repeat, re saves every group at each branch."""
    octet = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
    return re.compile(
        "  "
        + scalar(_MAX_KEY, r":\n")
        + "".join(f"    {key}: {scalar()}" for key in ("site", "device", "wan", "endpoint"))
        + rf"    generated: (true|false)\n    interface_address: {octet}\.{octet}\.{octet}\."
        + rf"{octet}/(3[01])\n    index: (0|[1-9][0-9]{{0,3}})\n(?:(    cloudflare:\n)"
        + rf"(?:      id: {scalar()}|)(?:      type: (gre|ipsec)\n|)(?:(      remote_identities:\n)"
        + "".join(f"(?:        {key}: {scalar()}|)" for key in _IDENTITY_KEYS)
        + r"|)"
        + "".join(f"(?:      {key}: {scalar()}|)" for key in _LATER_FACTS)
        + r"|)(?=  [^ \n]|\Z)"  # the next tunnel or the end: a block is matched whole
    )


_IDENTITY_KEYS = ("fqdn_id", "user_id", "hex_id")
_LATER_FACTS: tuple[str, ...] = ("cloudflare_endpoint", "customer_endpoint", "created_on")
_LATER_FACTS += ("modified_on", "psk_generated_on")  # the writer's order (the tests pin it)
# The common case: every value a string the pattern proves. Otherwise the loose pattern, with
# the same groups, and _Scalars for the values at _SCALARS (name, site ... endpoint, id, ...).
_BLOCK, _LOOSE_BLOCK = _block(_strict), _block(_loose)
_SCALARS = (0, 1, 2, 3, 4, 13, 16, 17, 18, 19, 20, 21, 22, 23)
_PREAMBLE = re.compile(r"(?:#[^\n]*\n|\n)*")  # the header: comment and blank lines
_HEAD = "netgen_lock: 1\ntunnels:\n"
_EMPTY = "netgen_lock: 1\ntunnels: {}\n"
_END = f"\n{LOCK_END}\n"
# The writer's characters; YAML reads CR, NEL, U+2028/9 as line breaks, even in a comment.
_CANONICAL_BYTES = bytes(range(0x20, 0x7F)) + b"\n"
_LOCK_SET = frozenset({"netgen_lock", "tunnels"})
_TUNNEL_SET = frozenset(LockTunnel.model_fields) - {"cloudflare"}
_TUNNEL_CF_SET = frozenset(LockTunnel.model_fields)
_OCTETS = {str(n): n for n in range(256)}
_RANGES = tuple((int(r.network_address), int(r.netmask)) for r in INTERFACE_RANGES)


class _NotCanonicalError(Exception):
    pass


def parse_canonical_lock(text: str) -> LockFile | None:
    """The lock in ``text`` if it is in netgen's canonical shape, else None."""
    if len(text) > MAX_LOCK_BYTES or not text.endswith(_END):  # NG107, NG402
        return None
    if not _canonical_characters(text):
        return None
    try:
        with _building():
            return _parse(text)
    except (_NotCanonicalError, ValueError, KeyError, TypeError):
        return None


@contextmanager
def _building() -> Iterator[None]:
    """No cyclic GC while the lock is built, then its objects go to the oldest generation
    (gc.freeze + gc.unfreeze), all of them reachable: the young collections would scan half a
    million objects one by one, a quarter of the read. Not if the application froze objects
    itself: unfreeze would thaw them."""
    with paused_gc():
        yield
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()


def _canonical_characters(text: str) -> bool:
    return text.isascii() and not text.encode("ascii").translate(None, _CANONICAL_BYTES)


def _parse(text: str) -> LockFile:
    preamble = _PREAMBLE.match(text)
    start = preamble.end() if preamble else 0
    end = len(text) - len(_END) + 1  # the end marker's line (the caller checked it is there)
    try:
        return _lock(text, start, end)
    except _NotCanonicalError:
        if text.find("\n#", start, end) < 0 and text.find("\n\n", start, end) < 0:
            raise
    # comment or blank lines inside (hand edits): YAML skips them, and so does this reader
    lines = text[start:end].split("\n")
    text = "".join(f"{line}\n" for line in lines if line and not line.startswith("#"))
    return _lock(text, 0, len(text))


def _lock(text: str, start: int, end: int) -> LockFile:
    tunnels: dict[str, LockTunnel] = {}
    if text.startswith(_HEAD, start) and start + len(_HEAD) < end:
        tunnels = _tunnels(text, start + len(_HEAD), end)
    elif not (text.startswith(_EMPTY, start) and start + len(_EMPTY) == end):
        raise _NotCanonicalError  # also `tunnels:` without entries, which YAML reads as null
    return model(LockFile, {"netgen_lock": 1, "tunnels": tunnels}, set(_LOCK_SET))


def _tunnels(text: str, pos: int, end: int) -> dict[str, LockTunnel]:
    tunnels: dict[str, LockTunnel] = {}
    scalars, shared = _Scalars(), Shared()
    strict, loose = _BLOCK.match, _LOOSE_BLOCK.match
    while pos < end:
        block = strict(text, pos, end)
        if block is not None:
            groups = block.groups()
        else:
            block = loose(text, pos, end)
            if block is None:
                raise _NotCanonicalError
            groups = _checked(block.groups(), scalars)
        if groups[0] in tunnels:  # YAML refuses a key twice
            raise _NotCanonicalError
        tunnels[groups[0]] = _tunnel(groups, shared)
        pos = block.end()
    return tunnels


def _checked(groups: tuple[Any, ...], scalars: _Scalars) -> tuple[Any, ...]:
    if len(groups[0]) > _MAX_KEY:  # YAML refuses a longer key
        raise _NotCanonicalError
    values = list(groups)
    for i in _SCALARS:
        if values[i] is not None:
            values[i] = scalars[values[i]]
    return tuple(values)


def _tunnel(groups: tuple[Any, ...], shared: Shared) -> LockTunnel:
    _, site, device, wan, endpoint, generated, a, b, c, d, prefix, index, cloudflare = groups[:13]
    address = _OCTETS[a] << 24 | _OCTETS[b] << 16 | _OCTETS[c] << 8 | _OCTETS[d]
    prefixlen, number = int(prefix), int(index)
    if not _allowed(address, prefixlen) or number > MAX_INDEX:
        raise _NotCanonicalError
    text = shared.text
    values = {
        "site": text(site),
        "device": text(device),
        "wan": text(wan),
        "endpoint": text(endpoint),
        "generated": generated == "true",
        "interface_address": interface(address, prefixlen),
        "index": number,
        "cloudflare": None if cloudflare is None else _facts(groups, shared),
    }
    shape = _TUNNEL_SET if cloudflare is None else _TUNNEL_CF_SET
    return model(LockTunnel, values, shared.fields(shape))


def _facts(groups: tuple[Any, ...], shared: Shared) -> CloudflareFacts:
    id_, type_, listed, fqdn, user, hex_, cf_end, cust_end, created, modified, psk = groups[13:]
    identities = None
    if listed is not None:  # the `remote_identities:` line
        ids = {"fqdn_id": fqdn, "user_id": user, "hex_id": hex_}
        identities = model(RemoteIdentities, ids, shared.fields(_present(ids)))
    text = shared.text
    values = {
        "id": id_,
        "type": text(type_),
        "remote_identities": identities,
        "cloudflare_endpoint": shared.address(cf_end),
        "customer_endpoint": shared.address(cust_end),
        "created_on": text(created),
        "modified_on": text(modified),
        "psk_generated_on": text(psk),
    }
    return model(CloudflareFacts, values, shared.fields(_present(values)))


def _present(values: dict[str, Any]) -> list[str]:
    """The keys whose line is there; none: an empty mapping, which YAML reads as null."""
    present = [key for key, value in values.items() if value is not None]
    if not present:
        raise _NotCanonicalError
    return present


def _allowed(address: int, prefixlen: int) -> bool:
    """interface_address_problem's rule for the /31 and /30 the pattern admits, with ints (the
    tests compare the two): inside Cloudflare's ranges; in a /30, not network or broadcast."""
    for network, netmask in _RANGES:
        if address & netmask == network:
            return prefixlen == 31 or address & 3 in (1, 2)
    return False


# -- scalars the block pattern leaves to Python -----------------------------------------------

_PLAIN = re.compile(f"[A-Za-z0-9][{_P}]*")
_IMPLICIT = {first: re.compile(_typed(first, "$")) for first in _TYPES}
_NEVER_TYPED_SEARCH = re.compile(f"[{_NEVER_TYPED}]")
_ESCAPED = re.compile(r'["\\]')  # inside a double-quoted scalar: an escape or its end


class _Scalars(dict[str, str]):
    """Raw scalar text -> the string YAML reads from it, each distinct text checked once."""

    def __missing__(self, raw: str) -> str:
        """Plain: the writer's characters and none of the implicit types of its first
        character (as YAML's resolver decides). Double-quoted: the text between the quotes
        without escapes; with escapes only the writer's own (JSON's and YAML's differ, and
        the writer's \\U for a character beyond U+FFFF is YAML's), checked by writing the
        value again. At most MAX_STRING characters, counted as YAML counts them (NG109)."""
        if not raw.startswith('"'):
            typed = _IMPLICIT.get(raw[:1])
            if _PLAIN.fullmatch(raw) is None or (
                typed and not _NEVER_TYPED_SEARCH.search(raw) and typed.match(raw)
            ):
                raise _NotCanonicalError
            value = raw
        elif len(raw) > 1 and raw.endswith('"') and not _ESCAPED.search(raw, 1, len(raw) - 1):
            value = raw[1:-1]
        else:
            value = json.loads(_ASTRAL.sub(_pair, raw) if "\\U" in raw else raw)
            if not isinstance(value, str) or string_scalar(value) != raw:
                raise _NotCanonicalError
            value.encode()  # a lone surrogate (JSON allows "\ud800", YAML does not): ValueError
        if len(value) > MAX_STRING:  # the YAML reader refuses it (NG109)
            raise _NotCanonicalError
        self[raw] = value
        return value


_ASTRAL = re.compile(r"(?<!\\)((?:\\\\)*)\\U([0-9a-f]{8})")  # lock._astral's, not "\\\\U"


def _pair(match: re.Match[str]) -> str:
    """``\\UXXXXXXXX`` as JSON's surrogate pair, which JSON reads as the one character (out of
    range, something else: writing the value again tells)."""
    code = int(match.group(2), 16) - 0x10000
    return f"{match.group(1)}\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


# -- the one entry point: canonical fast path, YAML + schema otherwise -------------------------


def load_lock(path: Path, known: bytes | None = None) -> LockFile:
    """Read a lock file (or take its bytes, ``known``, as read already); a missing file is an
    empty lock. Errors are NG402 with positions; a symlink that leads nowhere is NG904, never
    an empty lock."""
    state_target(path, "the lock file")
    if known is not None:
        check_size(known, str(path), MAX_LOCK_BYTES)
        raw = known
    elif not path.exists():
        return LockFile()
    else:
        raw = read_bytes(path, MAX_LOCK_BYTES)
    check_complete(raw, str(path))
    return _read(raw, str(path), canonical_first=True)


def parse_lock_text(text: str, file: str) -> LockFile:
    """Read a lock from its text with the YAML reader (the end marker is required, as for a
    file); over the document limit only in the canonical shape, as :func:`load_lock` reads."""
    raw = text.encode("utf-8", "surrogatepass")
    check_complete(raw, file)
    check_size(raw, file, MAX_LOCK_BYTES)
    return _read(raw, file, canonical_first=False)


def _read(raw: bytes, file: str, *, canonical_first: bool) -> LockFile:
    """The canonical reader (first, or only over the document limit), then YAML + schema up to
    the document limit (looked up at each call); over it NG107 (the module's docstring)."""
    too_large = len(raw) > limits.MAX_DOCUMENT_BYTES
    if canonical_first or too_large:
        try:
            fast = parse_canonical_lock(raw.decode())
        except UnicodeDecodeError:
            fast = None
        if fast is not None:
            return fast
    if too_large:  # NG107
        raise UserError.single(
            NG_SIZE,
            LARGE_LOCK_MESSAGE.format(size_text(limits.MAX_DOCUMENT_BYTES)),
            file=file,
            hint=LARGE_LOCK_HINT,
        )
    doc = load_yaml_text(raw, file)
    return parse_lock(doc.data, doc.index)
