"""Reading ``netgen.lock.yaml``: :func:`load_lock` is the one entry point.

A fleet's lock holds tens of thousands of tunnels; reading it through a general YAML loader
and pydantic costs seconds. netgen writes one canonical shape (:func:`netgen.state.lock.
dump_lock`), so the reader first parses that shape line by line and builds the models without
pydantic. Anything it does not recognise (hand edits, comments in odd places, unknown keys,
unexpected scalars, characters YAML would read as line breaks) sends the text to the YAML +
schema path, which reports problems with positions. Both paths apply the same checks
(:func:`netgen.state.lock.interface_address_problem`, :data:`netgen.state.lock.MAX_INDEX`,
:data:`netgen.core.documents.MAX_STRING`, the end marker), so the fast path never accepts a
lock the full path refuses.
"""

from __future__ import annotations

import json
import re
from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from netgen.core.documents import load_yaml_text, read_bytes
from netgen.core.errors import UserError
from netgen.core.files import state_target
from netgen.core.limits import MAX_STRING
from netgen.core.validation import diagnostics_from_validation
from netgen.state.lock import (
    INCOMPLETE_HINT,
    LOCK_END,
    MAX_INDEX,
    CloudflareFacts,
    LockFile,
    LockTunnel,
    RemoteIdentities,
    interface_address_problem,
    string_scalar,
)

_TUNNEL_KEYS = frozenset(
    {"site", "device", "wan", "endpoint", "generated", "interface_address", "index"}
)
_FACT_KEYS = frozenset(CloudflareFacts.model_fields) - {"remote_identities"}
_ID_KEYS = frozenset(RemoteIdentities.model_fields)
_INDEX = re.compile(r"0|[1-9][0-9]{0,5}")
# The writer emits printable ASCII and LF only; YAML would read CR, NEL and U+2028/9 as line
# breaks (even inside what this reader takes for a comment) and refuses control characters.
_CANONICAL_BYTES = bytes(range(0x20, 0x7F)) + b"\n"


class _NotCanonicalError(Exception):
    pass


def _value(raw: str) -> str:
    if len(raw) > MAX_STRING:  # the YAML reader refuses it (NG109)
        raise _NotCanonicalError
    if raw.startswith('"'):
        value = json.loads(raw)
        if not isinstance(value, str) or string_scalar(value) != raw:
            raise _NotCanonicalError
        value.encode()  # a lone surrogate (JSON allows "\ud800", YAML does not): ValueError
        return value
    if string_scalar(raw) != raw:  # YAML would read it as something else than this string
        raise _NotCanonicalError
    return raw


_DECODER = json.JSONDecoder()


def _split(line: str) -> tuple[int, str, str | None]:
    stripped = line.lstrip(" ")
    indent = len(line) - len(stripped)
    if stripped.startswith('"'):
        _, end = _DECODER.raw_decode(stripped)
        key, sep, rest = stripped[:end], stripped[end : end + 1], stripped[end + 1 :]
        if sep != ":":
            raise _NotCanonicalError
    else:
        key, sep, rest = stripped.partition(":")
    if not sep or not key or key != key.strip():
        raise _NotCanonicalError
    if rest == "":
        return indent, _value(key), None
    if not rest.startswith(" ") or rest[1:2] == " ":
        raise _NotCanonicalError
    return indent, _value(key), rest[1:]


def parse_canonical_lock(text: str) -> LockFile | None:
    """The lock in ``text`` if it is in netgen's canonical shape, else None."""
    if not text.endswith(f"\n{LOCK_END}\n") or not _canonical_characters(text):
        return None
    try:
        return _parse(text)
    except (_NotCanonicalError, ValueError, KeyError, TypeError):
        return None


def _canonical_characters(text: str) -> bool:
    if not text.isascii():
        return False
    return not text.encode("ascii").translate(None, _CANONICAL_BYTES)


def _parse(text: str) -> LockFile:
    lines = [ln for ln in text.split("\n") if ln and not ln.startswith("#")]
    if lines[:1] != ["netgen_lock: 1"] or len(lines) < 2:
        raise _NotCanonicalError
    if lines[1] == "tunnels: {}" and len(lines) == 2:
        return LockFile.model_construct(netgen_lock=1, tunnels={})
    if lines[1] != "tunnels:":
        raise _NotCanonicalError
    tunnels: dict[str, LockTunnel] = {}
    name: str | None = None
    fields: dict[str, Any] = {}
    facts: dict[str, Any] | None = None
    ids: dict[str, str] | None = None
    for line in lines[2:]:
        indent, key, value = _split(line)
        if name is None and indent != 2:
            raise _NotCanonicalError  # a field before the first tunnel name
        if indent == 2 and value is None:
            if name is not None:
                tunnels[name] = _tunnel(fields, facts, ids)
            if key in tunnels:
                raise _NotCanonicalError
            name, fields, facts, ids = key, {}, None, None
        elif indent == 4 and key in _TUNNEL_KEYS and value is not None and key not in fields:
            fields[key] = value
        elif indent == 4 and key == "cloudflare" and value is None and facts is None:
            facts = {}
        elif (
            indent == 6 and facts is not None and value is not None and _new(key, _FACT_KEYS, facts)
        ):
            facts[key] = _value(value)
        elif indent == 6 and facts is not None and ids is None and value is None:
            if key != "remote_identities":
                raise _NotCanonicalError
            ids = {}
        elif indent == 8 and ids is not None and value is not None and _new(key, _ID_KEYS, ids):
            ids[key] = _value(value)
        else:
            raise _NotCanonicalError
    if name is not None:
        tunnels[name] = _tunnel(fields, facts, ids)
    return LockFile.model_construct(netgen_lock=1, tunnels=tunnels)


def _new(key: str, allowed: frozenset[str], seen: dict[str, Any]) -> bool:
    """``key`` is allowed here and not seen before (YAML would refuse a duplicate, NG103)."""
    return key in allowed and key not in seen


def _tunnel(
    fields: dict[str, Any], facts: dict[str, Any] | None, ids: dict[str, str] | None
) -> LockTunnel:
    if set(fields) != _TUNNEL_KEYS or fields["generated"] not in ("true", "false"):
        raise _NotCanonicalError
    index = fields["index"]
    if not _INDEX.fullmatch(index) or int(index) > MAX_INDEX:
        raise _NotCanonicalError
    interface_address = IPv4Interface(fields["interface_address"])
    if interface_address_problem(interface_address) is not None:
        raise _NotCanonicalError
    cf = None
    if facts is not None:
        # the writer leaves out empty mappings (YAML would read them as null)
        if facts.get("type") not in (None, "gre", "ipsec") or ids == {} or not (facts or ids):
            raise _NotCanonicalError
        for key in ("cloudflare_endpoint", "customer_endpoint"):
            if key in facts:
                facts[key] = IPv4Address(facts[key])
        if ids is not None:
            facts["remote_identities"] = RemoteIdentities.model_construct(None, **ids)
        cf = CloudflareFacts.model_construct(**facts)
    elif ids is not None:
        raise _NotCanonicalError
    return LockTunnel.model_construct(
        site=_value(fields["site"]),
        device=_value(fields["device"]),
        wan=_value(fields["wan"]),
        endpoint=_value(fields["endpoint"]),
        generated=fields["generated"] == "true",
        interface_address=interface_address,
        index=int(index),
        cloudflare=cf,
    )


# -- the one entry point: canonical fast path, YAML + schema otherwise -------------------------


def load_lock(path: Path) -> LockFile:
    """Read a lock file; a missing file is an empty lock. Errors are NG402 with positions; a
    symlink that leads nowhere is NG904, never an empty lock."""
    state_target(path, "the lock file")
    if not path.exists():
        return LockFile()
    raw = read_bytes(path)
    check_complete(raw, str(path))
    try:
        fast = parse_canonical_lock(raw.decode())
    except UnicodeDecodeError:
        fast = None
    if fast is not None:
        return fast
    doc = load_yaml_text(raw, str(path))
    return parse_lock(doc.data, doc.index)


def parse_lock_text(text: str, file: str) -> LockFile:
    """Read a lock from its text (the end marker is required, as for a file)."""
    check_complete(text.encode("utf-8", "surrogatepass"), file)
    doc = load_yaml_text(text, file)
    return parse_lock(doc.data, doc.index)


def check_complete(raw: bytes, file: str) -> None:
    """NG402 unless the lock's last line is :data:`LOCK_END` (trailing blanks allowed)."""
    body = raw.rstrip(b" \t\r\n")
    end = LOCK_END.encode()
    if body == end or body.endswith(b"\n" + end):
        return
    if not body:
        message = "lock file is empty"
    else:
        message = f"lock file is incomplete: its last line is not `{LOCK_END}` (truncated?)"
    line = body.count(b"\n") + 1 if body else None
    raise UserError.single("NG402", message, file=file, line=line, hint=INCOMPLETE_HINT)


def parse_lock(data: Any, index: Any) -> LockFile:
    if data is None:
        return LockFile()
    try:
        return LockFile.model_validate(data)
    except ValidationError as exc:
        diags = diagnostics_from_validation(exc, index, LockFile)
        raise UserError(
            [
                d.__class__(
                    code="NG402",
                    message=f"lock file: {d.message}",
                    severity=d.severity,
                    position=d.position,
                    hint="restore the lock from version control, or fix the entry",
                    field=d.field,
                )
                for d in diags
            ]
        ) from None
