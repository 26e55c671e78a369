"""The PSK store ``netgen.secrets.yaml`` beside the inventory, and PSK references.

Format::

    netgen_secrets: 1
    salt: 9f0c...            # random, per store: keys the fingerprints
    tunnels:
      nyc01_1a_cf1: {psk: "...", source: cloudflare, updated: "2024-08-06T10:15:30Z"}

The store is created with mode 0600 and replaced atomically; it never goes into an output
directory. No function here prints, and no diagnostic, repr or exception carries a PSK: values
travel as :class:`Secret`, shown only through :meth:`Secret.reveal`. Functions that need the
time take a ``clock``; none calls ``datetime.now`` itself.
"""

from __future__ import annotations

import hmac
import secrets as _random
import stat
import string
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any, Final, Literal

import yaml

from netgen.core.documents import PositionIndex, load_yaml_text, read_bytes
from netgen.core.errors import Diagnostic, Position, Severity, UserError, shown
from netgen.core.files import (
    FileTooLargeError,
    inventory_home,
    read_regular_file,
    replace_file,
    state_target,
)
from netgen.inventory.model import Inventory, Tunnel

STORE_NAME: Final = "netgen.secrets.yaml"
STORE_HEADER: Final = (
    "# netgen secrets store: IPsec pre-shared keys. Keep it mode 0600 and out of version control.\n"
)
Source = Literal["cloudflare", "generated", "manual"]
SOURCES: Final[tuple[str, ...]] = ("cloudflare", "generated", "manual")
Clock = Callable[[], datetime]

# NG7xx: secrets (catalogued in netgen.core.codes).
NG_STORE: Final = "NG701"
NG_PERMS: Final = "NG702"
NG_REF: Final = "NG703"
NG_VALUE: Final = "NG704"
NG_SHORT: Final = "NG705"
NG_TUNNEL: Final = "NG706"
PSK_ALPHABET: Final = string.ascii_letters + string.digits
# Cloudflare accepts any printable ASCII PSK (its own SRX guide uses "...-PSK-1234!"); what a
# vendor's config syntax cannot carry is refused per vendor by its encoder (NG704 at render).
PSK_PRINTABLE: Final = frozenset(chr(c) for c in range(0x21, 0x7F))
GENERATED_LENGTH: Final = 44  # 44 * log2(62) ≈ 262 bits ≥ 32 bytes of entropy
MIN_LENGTH: Final = 16


def diag(
    code: str, msg: str, hint: str | None = None, pos: Position | None = None, warn: bool = False
) -> Diagnostic:
    return Diagnostic(code, msg, Severity.WARNING if warn else Severity.ERROR, pos, hint)


class Secret:
    """A secret string whose repr and str never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class StoreEntry:
    psk: Secret
    source: Source
    updated: str  # ISO 8601, supplied by the caller's clock


@dataclass(frozen=True)
class SecretStore:
    salt: bytes = field(repr=False)
    tunnels: dict[str, StoreEntry] = field(default_factory=dict)

    def fingerprint(self, tunnel: str) -> str | None:
        entry = self.tunnels.get(tunnel)
        return fingerprint(entry.psk.reveal(), self.salt) if entry else None

    def with_entry(self, tunnel: str, entry: StoreEntry) -> SecretStore:
        return replace(self, tunnels=dict(sorted({**self.tunnels, tunnel: entry}.items())))


def system_clock() -> datetime:
    """The real clock, for the CLI to pass in."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def store_path_for(inventory: Path) -> Path:
    """The store lives beside the inventory file (inside an inventory directory)."""
    return inventory_home(inventory) / STORE_NAME


def new_store(salt: bytes | None = None) -> SecretStore:
    return SecretStore(salt if salt is not None else _random.token_bytes(16))


def fingerprint(psk: str, salt: bytes) -> str:
    """HMAC-SHA256 of the PSK keyed with the store's salt, 16 hex characters."""
    return hmac.new(salt, psk.encode(), sha256).hexdigest()[:16]


def generate_psk() -> str:
    """A strong random PSK: 44 letters and digits (about 262 bits), safe in every vendor config."""
    return "".join(_random.choice(PSK_ALPHABET) for _ in range(GENERATED_LENGTH))


def psk_problem(value: str) -> str | None:
    """Why ``value`` cannot be used as a PSK (never quoting it), or None."""
    if not value:
        return "the PSK is empty"
    if any(c not in PSK_PRINTABLE for c in value):
        return "the PSK may contain only printable ASCII characters (no space, no control)"
    return None


# -- load and save --------------------------------------------------------------------------


def load_store(path: Path, *, replacing: Collection[str] = ()) -> SecretStore:
    """Read the store; a missing file is an empty store with a fresh salt.

    A symlink is followed only to a regular file (NG904 otherwise: a dangling link must not
    silently start an empty store). Stored PSKs that break :func:`psk_problem` for tunnels
    in ``replacing`` (about to get a new PSK) are dropped instead of refused.
    """
    if not state_target(path, "the secrets store").exists():
        return new_store()
    return parse_store(read_bytes(path), str(path), replacing=replacing)


def parse_store(raw: bytes, file: str, *, replacing: Collection[str] = ()) -> SecretStore:
    """Parse and check the store; every PSK must pass :func:`psk_problem` (NG704, by line)."""
    doc = load_yaml_text(raw, file)
    data, index = doc.data, doc.index
    errors: list[Diagnostic] = []

    def bad(path: tuple[Any, ...], message: str, hint: str = STORE_HINT) -> None:
        errors.append(diag(NG_STORE, f"secrets store: {message}", hint, index.position(path)))

    version = data.get("netgen_secrets") if isinstance(data, dict) else None
    if version != 1 or isinstance(version, bool):  # `true` == 1 to Python
        known = isinstance(data, dict) and "netgen_secrets" in data
        got = f" (got {_as_written(version)})" if known else ""
        bad(
            ("netgen_secrets",) if known else (),
            f"expected a mapping with `netgen_secrets: 1`{got}",
        )
        raise UserError(errors)
    salt = data.get("salt")
    try:
        salt_bytes = bytes.fromhex(salt) if isinstance(salt, str) else b""
    except ValueError:
        salt_bytes = b""
    if salt is not None and not isinstance(salt, str):
        bad(("salt",), f"`salt` must be text, not {_not_text(salt, show=False)}", TEXT_HINT)
    elif len(salt_bytes) < 16:
        bad(("salt",), "`salt` must be at least 32 hex characters")
    tunnels: dict[str, StoreEntry] = {}
    raw_tunnels = data.get("tunnels")
    if raw_tunnels is None:  # `tunnels:` or none: no entries (but `tunnels: false` is no mapping)
        raw_tunnels = {}
    elif not isinstance(raw_tunnels, dict):
        bad(("tunnels",), "`tunnels` must be a mapping")
        raw_tunnels = {}
    for name, entry in raw_tunnels.items():
        where = ("tunnels", name)
        if kind := _not_text(name):  # `true:` is no tunnel named "True"
            bad(where, f"a tunnel name must be text, not {kind}", TEXT_HINT)
        elif not isinstance(entry, dict):
            bad(where, f"{name}: expected {{psk, source, updated}}")
        elif not isinstance(entry.get("psk"), str) or not entry["psk"]:
            bad((*where, "psk"), f"{name}: `psk` must be a non-empty quoted string")
        elif entry.get("source") not in SOURCES:
            bad((*where, "source"), f"{name}: `source` must be one of {', '.join(SOURCES)}")
        elif entry.get("updated") is not None and (kind := _not_text(entry["updated"])):
            bad((*where, "updated"), f"{name}: `updated` must be text, not {kind}", TEXT_HINT)
        elif (problem := psk_problem(entry["psk"])) is not None:
            if str(name) not in replacing:
                errors.append(_stored_psk_problem(str(name), problem, index, where))
        else:
            source: Source = entry["source"]
            tunnels[str(name)] = StoreEntry(
                Secret(entry["psk"]), source, str(entry.get("updated") or "")
            )
    if errors:
        raise UserError(errors)
    return SecretStore(salt_bytes, dict(sorted(tunnels.items())))


STORE_HINT: Final = "fix the entry, or `netgen secrets set` it again"
TEXT_HINT: Final = (
    'quote it, as netgen writes text ("on", "0123", "2024-08-06T10:15:30Z"): YAML reads an '
    "unquoted true, false, yes, no, on or off as a boolean, and unquoted digits and dates as "
    "numbers and dates"
)


def _not_text(value: object, *, show: bool = True) -> str | None:
    """What YAML read where text belongs, for a message (``None``: text): ``a boolean (true)``.
    Never a string's value: the store's strings may be PSKs."""
    if isinstance(value, str):
        return None
    kind = _KINDS.get(type(value)) or ("a date" if isinstance(value, date) else "binary data")
    if show and isinstance(value, bool | int | float):
        return f"{kind} ({_as_written(value)})"
    return kind


_KINDS: Final[dict[type, str]] = {
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
    list: "a list",
    dict: "a mapping",
}


def _as_written(value: object) -> str:
    """A value for a message as YAML spells it: ``true``, not Python's ``True``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, int | float):
        return repr(value)
    return _not_text(value, show=False) or "?"


def _stored_psk_problem(
    name: str, problem: str, index: PositionIndex, where: tuple[str | int, ...]
) -> Diagnostic:
    """NG704 for a stored PSK vendor configs cannot carry (e.g. a hand-edited newline)."""
    hint = f"fix or delete it in the file, or replace it: `netgen secrets set {name}` (stdin)"
    return diag(
        NG_VALUE, f"secrets store: {name}: {problem}", hint, index.position((*where, "psk"))
    )


def dump_store(store: SecretStore) -> bytes:
    body: dict[str, Any] = {
        "netgen_secrets": 1,
        "salt": store.salt.hex(),
        "tunnels": {
            name: {"psk": e.psk.reveal(), "source": e.source, "updated": e.updated}
            for name, e in sorted(store.tunnels.items())
        },
    }
    text = yaml.dump(
        body, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False, width=1000
    )
    return (STORE_HEADER + text).encode()


def save_store(path: Path, store: SecretStore) -> None:
    """Atomic replace; the temporary file is created 0600 before any data is written.

    A symlinked store is written through (the link stays, its target is replaced); an
    OSError such as a full disk is NG901 and leaves the old store as it was.
    """
    replace_file(path, dump_store(store), mode=0o600, what="the secrets store")


def store_permission_warning(path: Path) -> Diagnostic | None:
    """A warning when a secrets file is accessible to group or others."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if not mode & 0o077:
        return None
    message = f"holds PSKs but is accessible to group or others (mode {mode:04o})"
    return diag(NG_PERMS, message, f"chmod 600 {path}", Position(str(path)), warn=True)


# -- resolving PSKs ---------------------------------------------------------------------------


def ipsec_tunnels(inventory: Inventory) -> list[Tunnel]:
    tunnels = inventory.tunnels.values()
    return sorted((t for t in tunnels if t.settings.tunnel_type == "ipsec"), key=lambda t: t.name)


def _read_psk_file(path: Path, limit: int = 4096) -> str:
    """The PSK in ``path``: a regular file of at most ``limit`` bytes of UTF-8 text.

    Raises ValueError saying what is wrong, never what the file holds: a FIFO, device or
    directory (opened without blocking, then refused), more than ``limit`` bytes (so
    ``/dev/zero`` or a wrong path costs nothing), text that is not UTF-8. OSError passes.
    """
    try:
        data = read_regular_file(path, limit)
    except FileTooLargeError as exc:
        raise ValueError(f"{exc}: a PSK file holds only the key") from None
    try:
        return data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None


def _from_ref(
    t: Tunnel, base_dir: Path, env: Mapping[str, str]
) -> tuple[str | None, list[Diagnostic]]:
    ref = t.psk_ref
    assert ref is not None
    warn: list[Diagnostic] = []
    if ref.env:
        value = env.get(ref.env)
        if value is None:
            msg = f"tunnel {t.name}: environment variable {ref.env} is not set"
            return None, [diag(NG_REF, msg, f"export {ref.env} before running netgen")]
    else:
        path = base_dir / str(ref.file)
        try:
            value = _read_psk_file(path)
        except (OSError, ValueError) as exc:
            why = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
            msg = f"tunnel {t.name}: PSK file {ref.file} cannot be read ({why})"
            hint = "paths are relative to the inventory; give a regular file holding only the PSK"
            return None, [diag(NG_REF, msg, hint)]
        found = store_permission_warning(path)
        warn = [found] if found else []
    problem = psk_problem(value)
    if problem:
        where = f"environment variable {ref.env}" if ref.env else f"file {ref.file}"
        return None, [*warn, diag(NG_VALUE, f"tunnel {t.name}: {where}: {problem}")]
    return value, warn


def resolve_psks(
    inventory: Inventory,
    store: SecretStore,
    *,
    base_dir: Path,
    env: Mapping[str, str],
    index: PositionIndex | None = None,
) -> tuple[dict[str, str], list[Diagnostic]]:
    """PSK of every IPsec tunnel that has one: ``psk: {env|file}`` first, then the store.

    Tunnels with neither are left out (the renderer uses its placeholder). Problems name the
    tunnel, the variable or the file, never a value.
    """
    psks: dict[str, str] = {}
    diags: list[Diagnostic] = []
    for t in ipsec_tunnels(inventory):
        if t.psk_ref is None or not (t.psk_ref.env or t.psk_ref.file):
            entry = store.tunnels.get(t.name)
            if entry is not None:
                psks[t.name] = entry.psk.reveal()
            continue
        value, found = _from_ref(t, base_dir, env)
        pos = index.position((*t.path, "psk")) if index else Position(inventory.file)
        diags += [replace(d, position=d.position or pos) for d in found]
        if value is not None:
            psks[t.name] = value
    return psks, diags


# -- the `netgen secrets` commands ------------------------------------------------------------
