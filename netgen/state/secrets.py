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
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any, Final, Literal

import yaml

from netgen.core.documents import PositionIndex, load_yaml_text, read_bytes
from netgen.core.errors import Diagnostic, Position, Severity, UserError
from netgen.core.files import replace_file, state_target
from netgen.inventory.model import Inventory, Tunnel
from netgen.state.lock import LockFile

STORE_NAME: Final = "netgen.secrets.yaml"
STORE_HEADER: Final = (
    "# netgen secrets store: IPsec pre-shared keys. Keep it mode 0600 and out of version control.\n"
)
Source = Literal["cloudflare", "generated", "manual"]
SOURCES: Final[tuple[str, ...]] = ("cloudflare", "generated", "manual")
Clock = Callable[[], datetime]

# NG7xx: secrets. The lead adds these to netgen.core.codes.
NG_STORE: Final = "NG701"
NG_PERMS: Final = "NG702"
NG_REF: Final = "NG703"
NG_VALUE: Final = "NG704"
NG_SHORT: Final = "NG705"
NG_TUNNEL: Final = "NG706"
PSK_ALPHABET: Final = string.ascii_letters + string.digits
PSK_SAFE: Final = frozenset(PSK_ALPHABET + "-_.+=/@:%")
GENERATED_LENGTH: Final = 44  # 44 * log2(62) ≈ 262 bits ≥ 32 bytes of entropy
MIN_LENGTH: Final = 16


def _diag(
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
    """The store lives beside the inventory."""
    return inventory.parent / STORE_NAME


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
    if any(c not in PSK_SAFE for c in value):
        return "the PSK may contain only letters, digits and - _ . + = / @ : %"
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

    def bad(path: tuple[str | int, ...], message: str) -> None:
        hint = "fix the entry, or `netgen secrets set` it again"
        errors.append(_diag(NG_STORE, f"secrets store: {message}", hint, index.position(path)))

    if not isinstance(data, dict) or data.get("netgen_secrets") != 1:
        bad((), "expected a mapping with `netgen_secrets: 1`")
        raise UserError(errors)
    salt = data.get("salt")
    try:
        salt_bytes = bytes.fromhex(salt) if isinstance(salt, str) else b""
    except ValueError:
        salt_bytes = b""
    if len(salt_bytes) < 16:
        bad(("salt",), "`salt` must be at least 32 hex characters")
    tunnels: dict[str, StoreEntry] = {}
    raw_tunnels = data.get("tunnels") or {}
    if not isinstance(raw_tunnels, dict):
        bad(("tunnels",), "`tunnels` must be a mapping")
        raw_tunnels = {}
    for name, entry in raw_tunnels.items():
        where = ("tunnels", name)
        if not isinstance(entry, dict):
            bad(where, f"{name}: expected {{psk, source, updated}}")
        elif not isinstance(entry.get("psk"), str) or not entry["psk"]:
            bad((*where, "psk"), f"{name}: `psk` must be a non-empty quoted string")
        elif entry.get("source") not in SOURCES:
            bad((*where, "source"), f"{name}: `source` must be one of {', '.join(SOURCES)}")
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


def _stored_psk_problem(
    name: str, problem: str, index: PositionIndex, where: tuple[str | int, ...]
) -> Diagnostic:
    """NG704 for a stored PSK vendor configs cannot carry (e.g. a hand-edited newline)."""
    hint = f"fix or delete it in the file, or replace it: `netgen secrets set {name}` (stdin)"
    return _diag(
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
    return _diag(NG_PERMS, message, f"chmod 600 {path}", Position(str(path)), warn=True)


# -- resolving PSKs ---------------------------------------------------------------------------


def _ipsec(inventory: Inventory) -> list[Tunnel]:
    tunnels = inventory.tunnels.values()
    return sorted((t for t in tunnels if t.settings.tunnel_type == "ipsec"), key=lambda t: t.name)


def _read_psk_file(path: Path, limit: int = 4096) -> str:
    """The PSK in ``path``: a regular file of at most ``limit`` bytes of UTF-8 text.

    Raises ValueError saying what is wrong, never what the file holds: a FIFO, device or
    directory (opened without blocking, then refused), more than ``limit`` bytes (so
    ``/dev/zero`` or a wrong path costs nothing), text that is not UTF-8. OSError passes.
    """
    import os  # descriptor-level flags, needed only here

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else ""
            raise ValueError(f"{kind or 'a device'}, not a regular file")
        data = b""
        while len(data) <= limit and (chunk := os.read(fd, limit + 1 - len(data))):
            data += chunk
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes: a PSK file holds only the key")
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
            return None, [_diag(NG_REF, msg, f"export {ref.env} before running netgen")]
    else:
        path = base_dir / str(ref.file)
        try:
            value = _read_psk_file(path)
        except (OSError, ValueError) as exc:
            why = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
            msg = f"tunnel {t.name}: PSK file {ref.file} cannot be read ({why})"
            hint = "paths are relative to the inventory; give a regular file holding only the PSK"
            return None, [_diag(NG_REF, msg, hint)]
        found = store_permission_warning(path)
        warn = [found] if found else []
    problem = psk_problem(value)
    if problem:
        where = f"environment variable {ref.env}" if ref.env else f"file {ref.file}"
        return None, [*warn, _diag(NG_VALUE, f"tunnel {t.name}: {where}: {problem}")]
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
    for t in _ipsec(inventory):
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


@dataclass(frozen=True)
class SecretRow:
    """One line of ``netgen secrets list``: never the value."""

    tunnel: str
    source: str  # cloudflare | generated | manual | env:NAME | file:PATH | missing
    fingerprint: str | None
    updated: str | None
    age_days: int | None
    in_inventory: bool


def _age(entry: StoreEntry, now: datetime) -> int | None:
    try:
        return (now - datetime.fromisoformat(entry.updated)).days
    except (ValueError, TypeError):
        return None


def list_secrets(
    inventory: Inventory, store: SecretStore, psks: Mapping[str, str], *, now: datetime
) -> list[SecretRow]:
    """Rows for every IPsec tunnel and every stored tunnel. ``psks`` comes from
    :func:`resolve_psks` (whose errors the CLI shows as warnings here)."""
    rows: list[SecretRow] = []
    for t in _ipsec(inventory):
        value = psks.get(t.name)
        fp = fingerprint(value, store.salt) if value is not None else None
        ref = t.psk_ref
        if ref is not None:
            source = f"env:{ref.env}" if ref.env else f"file:{ref.file}"
            rows.append(SecretRow(t.name, source, fp, None, None, True))
        elif (entry := store.tunnels.get(t.name)) is not None:
            rows.append(SecretRow(t.name, entry.source, fp, entry.updated, _age(entry, now), True))
        else:
            rows.append(SecretRow(t.name, "missing", None, None, None, True))
    for name, entry in store.tunnels.items():
        if name not in inventory.tunnels:
            fp = store.fingerprint(name)
            rows.append(SecretRow(name, entry.source, fp, entry.updated, _age(entry, now), False))
    return sorted(rows, key=lambda r: r.tunnel)


def _check_tunnel(inventory: Inventory, name: str) -> Diagnostic | None:
    t = inventory.tunnels.get(name)
    pos = Position(inventory.file)
    known = "IPsec tunnels: " + (", ".join(t.name for t in _ipsec(inventory)) or "none")
    if t is None:
        return _diag(NG_TUNNEL, f"no tunnel named {name!r} in the inventory", known, pos)
    if t.settings.tunnel_type != "ipsec":
        return _diag(NG_TUNNEL, f"tunnel {name} is a GRE tunnel: it has no PSK", known, pos)
    if t.psk_ref is not None:
        msg = f"tunnel {name} takes its PSK from the inventory's `psk:` reference"
        return _diag(NG_TUNNEL, msg, "remove the `psk:` reference to use the store", pos)
    return None


@dataclass(frozen=True)
class SetResult:
    store: SecretStore
    change: str
    diagnostics: list[Diagnostic]


def set_secret(
    store: SecretStore, inventory: Inventory, tunnel: str, psk: str, *, clock: Clock
) -> SetResult:
    """Store ``psk`` (read from stdin by the CLI) for ``tunnel``; raises UserError if unusable."""
    value = psk.rstrip("\r\n")
    problem = _check_tunnel(inventory, tunnel)
    if problem is None and (why := psk_problem(value)) is not None:
        problem = _diag(NG_VALUE, f"tunnel {tunnel}: {why}", "Cloudflare's PSKs are alphanumeric")
    if problem is not None:
        raise UserError([problem])
    warnings = []
    if len(value) < MIN_LENGTH:
        msg = f"tunnel {tunnel}: PSK has fewer than {MIN_LENGTH} characters"
        warnings.append(_diag(NG_SHORT, msg, "`netgen secrets generate` makes one", warn=True))
    new = store.with_entry(tunnel, StoreEntry(Secret(value), "manual", iso(clock())))
    return SetResult(new, f"{tunnel}: psk set (fingerprint {new.fingerprint(tunnel)})", warnings)


@dataclass(frozen=True)
class GeneratedPsk:
    tunnel: str
    tunnel_id: str | None  # from the lock, when `netgen import` has recorded it
    fingerprint: str
    psk: Secret

    def request_path(self, account_id: str | None) -> str:
        account = account_id or "{account_id}"
        return f"/accounts/{account}/magic/ipsec_tunnels/{self.tunnel_id or '{ipsec_tunnel_id}'}"

    def request_body(self) -> dict[str, str]:
        """``{"psk": ...}`` for ``PUT /accounts/{account_id}/magic/ipsec_tunnels/{id}``.

        This reveals the PSK: show it only when the user explicitly asks for the request body,
        never in logs, JSON summaries or error output.
        """
        return {"psk": self.psk.reveal()}


@dataclass(frozen=True)
class GenerateResult:
    store: SecretStore
    generated: list[GeneratedPsk]
    changes: list[str]


def generate_secrets(
    store: SecretStore,
    inventory: Inventory,
    lock: LockFile,
    tunnels: Sequence[str],
    *,
    clock: Clock,
    generate: Callable[[], str] = generate_psk,
) -> GenerateResult:
    """New random PSKs for Cloudflare's "use my own pre-shared key" flow.

    With ``tunnels`` named, those tunnels get a new PSK (replacing a stored one); with none,
    every IPsec tunnel without a stored PSK or a ``psk:`` reference gets one.
    """
    if tunnels:
        problems = [d for d in (_check_tunnel(inventory, n) for n in tunnels) if d is not None]
        if problems:
            raise UserError(problems)
        names = sorted(set(tunnels))
    else:
        names = [
            t.name for t in _ipsec(inventory) if t.psk_ref is None and t.name not in store.tunnels
        ]
    now = iso(clock())
    out: list[GeneratedPsk] = []
    for name in names:
        store = store.with_entry(name, StoreEntry(Secret(generate()), "generated", now))
        entry = lock.tunnels.get(name)
        tid = entry.cloudflare.id if entry is not None and entry.cloudflare else None
        fp = store.fingerprint(name) or ""
        out.append(GeneratedPsk(name, tid, fp, store.tunnels[name].psk))
    changes = [f"{g.tunnel}: psk generated (fingerprint {g.fingerprint})" for g in out]
    return GenerateResult(store, out, changes)


def apply_imported(
    store: SecretStore, psks: Mapping[str, str], lock: LockFile, *, clock: Clock
) -> tuple[SecretStore, list[str]]:
    """Store PSKs from ``netgen import`` (source ``cloudflare``); unchanged ones stay as they are.

    ``updated`` is Cloudflare's ``psk_generated_on`` from the lock when known, so importing the
    same responses twice leaves the store byte-for-byte identical.
    """
    changes: list[str] = []
    for name in sorted(psks):
        old = store.tunnels.get(name)
        if old is not None and old.source == "cloudflare" and old.psk == Secret(psks[name]):
            continue
        entry = lock.tunnels.get(name)
        when = entry.cloudflare.psk_generated_on if entry and entry.cloudflare else None
        new = StoreEntry(Secret(psks[name]), "cloudflare", when or iso(clock()))
        store = store.with_entry(name, new)
        changes.append(f"{name}: psk stored (fingerprint {store.fingerprint(name)})")
    return store, changes
