"""The lock file ``netgen.lock.yaml``: everything netgen decided or learned that must not move.

Format (documented in docs/lock-file.md)::

    netgen_lock: 1
    tunnels:
      nyc01_1a_cf1:                  # sorted by name
        site: nyc01
        device: nyc01-edge1
        wan: isp-a
        endpoint: cf1
        generated: true              # the name was generated (sticky per device/wan/endpoint)
        interface_address: 10.252.0.0/31   # Cloudflare's side, as in the API
        index: 0                     # device-local number (Tunnel100+n, st0.n, vti1+n ...)
        cloudflare:                  # facts from the API, written by `netgen import`
          id: 0123456789abcdef0123456789abcdef
          type: ipsec
          remote_identities: {fqdn_id: ..., user_id: ..., hex_id: ...}
          created_on: "..."
          modified_on: "..."
    # end of netgen.lock.yaml

No secrets are ever stored here. The writer emits :data:`LOCK_END` as the very last line; a
lock that does not end with it (empty, truncated by a full disk or an interrupted copy) is
refused (NG402) rather than read as a lock that lost tunnels. Every value is checked with the
inventory's rules (:func:`interface_address_problem`, :data:`MAX_INDEX`) and must have the type
netgen writes: a YAML boolean is never the index 1, the version 1 or the address 0.0.0.1, and an
address is text, never a plain number or ``!!binary`` bytes (NG402 at the value's line).
Reading is in :mod:`netgen.state.lock_read`; this module holds the model, its rules (the end
marker: :func:`check_complete`; the schema as NG402: :func:`parse_lock`) and the writer.
"""

from __future__ import annotations

import json
import re
from ipaddress import IPv4Interface
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from netgen.cloudflare import facts
from netgen.cloudflare.addressing import tunnel_sides
from netgen.core.errors import UserError
from netgen.core.files import inventory_home
from netgen.core.limits import MAX_LOCK_BYTES, NG_SIZE, size_text
from netgen.core.strict_types import NOT_BOOL, Address, Interface, refuse_bool
from netgen.core.validation import diagnostics_from_validation

LOCK_NAME = "netgen.lock.yaml"
LOCK_HEADER = (
    "# netgen lock file: tunnel addresses, device-local numbers and Cloudflare API facts.\n"
    "# Written by netgen; commit it with the inventory. It holds no secrets.\n"
)
LOCK_END: Final = "# end of netgen.lock.yaml"
# Device-local tunnel numbers: netgen takes the lowest free one per device, so real values are
# small; the bound keeps hand edits from producing interface names no router accepts.
MAX_INDEX: Final = 4095
INCOMPLETE_HINT = (
    "restore netgen.lock.yaml from version control (git checkout -- netgen.lock.yaml); "
    f"netgen writes the line `{LOCK_END}` last, so a lock without it was cut short"
)
# NG107 for a lock over the document limit (64 MiB) that the canonical reader does not take: the
# YAML reader, which costs hundreds of bytes of memory an input byte, reads no larger document.
LARGE_LOCK_MESSAGE = (
    "lock file is larger than {} and not in the form netgen writes it: a lock this large is "
    "read only in that form"
)
LARGE_LOCK_HINT = (
    "undo the hand edit (git checkout -- netgen.lock.yaml), or have netgen rewrite the lock "
    "from a smaller state: every lock netgen writes (plan --write-lock, render, import) is in "
    "that form"
)
# (network, netmask) of each allowed range, as ints. Every range is larger than a /30, so a
# /31 or /30 lies inside a range exactly when its address does.
assert all(r.prefixlen <= 30 for r in facts.INTERFACE_RANGES)
_ALLOWED: Final = tuple((int(r.network_address), int(r.netmask)) for r in facts.INTERFACE_RANGES)


def interface_address_problem(iface: IPv4Interface) -> str | None:
    """Why ``iface`` cannot be a tunnel's ``interface_address`` (a phrase to follow the
    address: "must be a /31 or a /30"), or None.

    The inventory's rules (NG310-NG312): a /31 or a /30, inside Cloudflare's allowed ranges,
    and a usable host of a /30. Shared by both lock readers and ``import --adopt``; written
    with ints because the fast lock reader checks tens of thousands of them.
    """
    if iface.network.prefixlen not in facts.INTERFACE_PREFIXLENS:
        return "must be a /31 or a /30"
    address = int(iface)
    if not any(address & mask == net for net, mask in _ALLOWED):
        return f"is outside Cloudflare's allowed ranges ({facts.INTERFACE_RANGES_TEXT})"
    if iface.network.prefixlen == 30:
        try:
            tunnel_sides(iface)
        except ValueError:
            return "is the network or broadcast address of its /30, not a usable host"
    return None


class _LockModel(BaseModel):
    """Frozen: a lock's models are read, never changed in place (a changed tunnel is a new
    model), so a reader may share equal values among them (netgen.state.lock_objects)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RemoteIdentities(_LockModel):
    fqdn_id: str | None = None
    user_id: str | None = None
    hex_id: str | None = None


class CloudflareFacts(_LockModel):
    """What the Cloudflare API told us about a tunnel."""

    id: str | None = None
    type: Literal["gre", "ipsec"] | None = None
    remote_identities: RemoteIdentities | None = None
    cloudflare_endpoint: Address | None = None
    customer_endpoint: Address | None = None
    created_on: str | None = None
    modified_on: str | None = None
    psk_generated_on: str | None = None


class LockTunnel(_LockModel):
    site: str
    device: str
    wan: str
    endpoint: str
    generated: bool = False
    interface_address: Interface  # text only: not a bool, an int or bytes
    index: Annotated[int, Field(ge=0, le=MAX_INDEX), NOT_BOOL]
    cloudflare: CloudflareFacts | None = None

    @field_validator("interface_address")
    @classmethod
    def _tunnel_subnet(cls, value: IPv4Interface) -> IPv4Interface:
        problem = interface_address_problem(value)
        if problem is not None:
            raise ValueError(f"{value} {problem}")
        return value


class LockFile(_LockModel):
    netgen_lock: Annotated[Literal[1], refuse_bool("1")] = 1  # `true` == 1 to Python
    tunnels: dict[str, LockTunnel] = Field(default_factory=dict)

    def cloudflare_ids(self) -> dict[str, str]:
        """Tunnel name -> Cloudflare's tunnel id, for the tunnels created at Cloudflare."""
        return {
            name: entry.cloudflare.id
            for name, entry in self.tunnels.items()
            if entry.cloudflare and entry.cloudflare.id
        }


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


def lock_path_for(inventory: Path) -> Path:
    """The lock lives beside the inventory file (inside an inventory directory)."""
    return inventory_home(inventory) / LOCK_NAME


_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@-]*")
# Every plain scalar YAML 1.1 would not read as a string (bool, int, float, null, timestamp,
# merge, ...), as one pattern built from PyYAML's own implicit resolvers.
_NOT_A_STRING = re.compile(
    "|".join(
        sorted(
            {
                f"(?:{rx.pattern})"
                for resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.values()
                for _tag, rx in resolvers
            }
        )
    ),
    re.X,
)


def _scalar(value: object) -> str:
    """A YAML scalar that reads back as exactly ``value`` (strings stay strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return string_scalar(str(value))


def string_scalar(text: str) -> str:
    """``text`` as a YAML scalar that reads back as this very string."""
    if _PLAIN.fullmatch(text) and not _NOT_A_STRING.match(text):
        return text
    quoted = json.dumps(text)  # a JSON string is a YAML double-quoted scalar, except that
    if "\\ud" in quoted:  # YAML wants characters beyond U+FFFF as \UXXXXXXXX, not pairs
        quoted = _SURROGATE_PAIR.sub(_astral, quoted)
    return quoted


_SURROGATE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def _astral(match: re.Match[str]) -> str:
    high, low = int(match.group(1), 16), int(match.group(2), 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"


def _emit(lines: list[str], data: dict[str, Any], indent: str) -> None:
    for key, value in data.items():
        if isinstance(value, dict):
            if value:
                lines.append(f"{indent}{_scalar(key)}:")
                _emit(lines, value, indent + "  ")
        elif value is not None:
            lines.append(f"{indent}{_scalar(key)}: {_scalar(value)}")


def dump_lock(lock: LockFile) -> str:
    """Stable text: sorted tunnels, fixed key order, no nulls.

    Emitted directly (the structure is fixed and shallow): PyYAML's pure-Python representer
    costs seconds for a fleet-sized lock. A lock over :data:`MAX_LOCK_BYTES` is NG107 here,
    before anything is written: netgen never writes a lock it would refuse to read.
    """
    lines = [
        LOCK_HEADER.rstrip("\n"),
        "netgen_lock: 1",
        "tunnels:" if lock.tunnels else "tunnels: {}",
    ]
    s = string_scalar
    for name in sorted(lock.tunnels):
        t = lock.tunnels[name]
        lines += (
            f"  {s(name)}:",
            f"    site: {s(t.site)}",
            f"    device: {s(t.device)}",
            f"    wan: {s(t.wan)}",
            f"    endpoint: {s(t.endpoint)}",
            f"    generated: {'true' if t.generated else 'false'}",
            f"    interface_address: {t.interface_address}",
            f"    index: {t.index}",
        )
        if t.cloudflare is not None:
            facts = t.cloudflare.model_dump(mode="json", exclude_none=True)
            if not facts.get("remote_identities", True):
                del facts["remote_identities"]  # an empty mapping would read back as null
            if facts:
                lines.append("    cloudflare:")
                _emit(lines, facts, "      ")
    lines.append(LOCK_END)  # last: a lock without it was cut short
    text = "\n".join(lines) + "\n"
    if len(text) > MAX_LOCK_BYTES:  # ASCII (string_scalar escapes the rest): chars are bytes
        raise UserError.single(
            NG_SIZE,
            f"the new lock would be larger than {size_text(MAX_LOCK_BYTES)}, the most netgen "
            "reads (netgen writes no lock it could not read back)",
            file=LOCK_NAME,
            hint="release removed tunnels (`netgen plan --write-lock --prune`) or split the "
            "fleet into inventories of their own, each with its lock",
        )
    return text


def sticky_names(lock: LockFile) -> dict[tuple[str, str, str], str]:
    """Generated names remembered in the lock, keyed by (device, wan, endpoint)."""
    return {(t.device, t.wan, t.endpoint): name for name, t in lock.tunnels.items() if t.generated}
