"""The PSK store: 0600 and atomic, salted fingerprints, references, and no value ever shown."""

from __future__ import annotations

import hashlib
import os
import stat
import string
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from netgen import api
from netgen.core.errors import Severity, UserError
from netgen.state import secret_commands as cmds
from netgen.state import secrets as sec
from netgen.state.lock import CloudflareFacts, LockFile
from tests.scenarios import SCENARIOS, import_into, tunnel_id, write_inventory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "responses"
PSK = "FAKE-PSK-unit-test-0123456789"
NOW = datetime(2024, 8, 20, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def session(tmp_path: Path) -> api.Session:
    inv = SCENARIOS["mixed"]("cisco_iosxe", None)
    tunnels: list[dict[str, Any]] = inv["sites"][0]["devices"][0]["tunnels"]
    tunnels[0]["psk"] = {"env": "NETGEN_TEST_PSK"}
    tunnels[1]["psk"] = {"file": "keys/hq_a_cf2.psk"}
    return api.open_session(write_inventory(tmp_path, inv, with_identities=False))


def store_with(*names: str) -> sec.SecretStore:
    store = sec.new_store(b"\x07" * 16)
    for n in names:
        store = store.with_entry(
            n, sec.StoreEntry(sec.Secret(f"{PSK}-{n}"), "manual", "2024-08-01T00:00:00Z")
        )
    return store


# -- generate and fingerprint --------------------------------------------------------------


def test_generated_psks_are_strong_and_vendor_safe() -> None:
    keys = {sec.generate_psk() for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        assert len(key) >= 43  # ≥ 256 bits from 62 symbols
        assert set(key) <= set(string.ascii_letters + string.digits)
        assert sec.psk_problem(key) is None


def test_fingerprint_is_keyed_stable_and_short() -> None:
    salt_a, salt_b = b"a" * 16, b"b" * 16
    fp = sec.fingerprint(PSK, salt_a)
    assert fp == sec.fingerprint(PSK, salt_a)
    assert len(fp) == 16 and set(fp) <= set(string.hexdigits.lower())
    assert fp != sec.fingerprint(PSK, salt_b)
    assert fp != sec.fingerprint(PSK + "x", salt_a)
    assert fp not in hashlib.sha256(PSK.encode()).hexdigest()


def test_new_stores_get_random_salts() -> None:
    assert sec.new_store().salt != sec.new_store().salt
    assert len(sec.new_store().salt) >= 16


def test_secret_never_shows_its_value() -> None:
    secret = sec.Secret(PSK)
    store = store_with("hq_a_cf1")
    for text in (repr(secret), str(secret), repr(store), str(store), f"{secret}"):
        assert PSK not in text
    assert secret.reveal() == PSK and secret == sec.Secret(PSK) and secret != sec.Secret("x")


# -- load and save -------------------------------------------------------------------------


def test_store_is_written_0600_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / sec.STORE_NAME
    old = os.umask(0o022)
    try:
        sec.save_store(path, store_with("hq_a_cf1", "hq_a_cf2"))
    finally:
        os.umask(old)
    assert mode(path) == 0o600
    assert sec.store_permission_warning(path) is None
    loaded = sec.load_store(path)
    assert loaded.salt == b"\x07" * 16
    assert loaded.tunnels["hq_a_cf1"].psk.reveal() == f"{PSK}-hq_a_cf1"
    assert loaded.tunnels["hq_a_cf1"].source == "manual"
    assert [p.name for p in tmp_path.iterdir()] == [sec.STORE_NAME]  # no temp files left


def test_existing_loose_store_is_replaced_with_0600(tmp_path: Path) -> None:
    path = tmp_path / sec.STORE_NAME
    path.write_text("netgen_secrets: 1\n")
    path.chmod(0o644)
    sec.save_store(path, store_with("hq_a_cf1"))
    assert mode(path) == 0o600


def test_temp_file_is_0600_before_any_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int]] = []
    real_open = os.open

    def spy(file: Any, flags: int, mode: int = 0o777, *args: Any, **kwargs: Any) -> int:
        seen.append((flags, mode))
        return real_open(file, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    sec.save_store(tmp_path / sec.STORE_NAME, store_with("hq_a_cf1"))
    creates = [(f, m) for f, m in seen if f & os.O_CREAT]
    assert creates and all(m == 0o600 and f & os.O_EXCL for f, m in creates)


def test_missing_store_is_empty(tmp_path: Path) -> None:
    store = sec.load_store(tmp_path / "nope.yaml")
    assert store.tunnels == {} and len(store.salt) == 16


@pytest.mark.parametrize("perm", [0o640, 0o604, 0o660, 0o644])
def test_permission_warning(tmp_path: Path, perm: int) -> None:
    path = tmp_path / sec.STORE_NAME
    sec.save_store(path, store_with())
    path.chmod(perm)
    warning = sec.store_permission_warning(path)
    assert warning is not None and warning.severity is Severity.WARNING
    assert warning.code == "NG702" and warning.hint == f"chmod 600 {path}"
    assert sec.store_permission_warning(tmp_path / "missing") is None


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("netgen_secrets: 1\nsalt: [\n", "NG102", None),
        ("netgen_secrets: 2\n", "NG701", 1),
        (
            f"netgen_secrets: 1\nsalt: {'ab' * 16}\ntunnels:\n  t1: {{psk: 1234567890123, "
            "source: manual}\n",
            "NG701",
            4,
        ),
        (
            f"netgen_secrets: 1\nsalt: {'ab' * 16}\ntunnels:\n  t1: {{psk: {PSK}, source: me}}\n",
            "NG701",
            4,
        ),
        ("netgen_secrets: 1\nsalt: 12\ntunnels: {}\n", "NG701", 2),
    ],
)
def test_invalid_store(tmp_path: Path, text: str, code: str, line: int | None) -> None:
    path = tmp_path / sec.STORE_NAME
    path.write_text(text)
    with pytest.raises(UserError) as exc:
        sec.load_store(path)
    diag = exc.value.diagnostics[0]
    assert diag.code == code
    if line is not None:
        assert diag.position is not None and diag.position.line == line
    for d in exc.value.diagnostics:
        assert PSK not in d.format() and "1234567890123" not in d.format()


# -- types: YAML booleans, numbers and dates are not text ---------------------------------
# YAML reads an unquoted true/yes/on as a boolean, and True == 1 in Python: `netgen_secrets: true`
# was version 1, and `updated: true` or a tunnel key `true:` became the text "True" (a key
# `0123:` the tunnel "83"). Each is NG701 at its line; the writer quotes such text.

SALT = "ab" * 16
TEXT_HINT = (
    'quote it, as netgen writes text ("on", "0123", "2024-08-06T10:15:30Z"): YAML reads an '
    "unquoted true, false, yes, no, on or off as a boolean, and unquoted digits and dates as "
    "numbers and dates"
)


def store_text(name: str = "t1", updated: str = "'2024-08-06T10:15:30Z'") -> str:
    return (
        f"netgen_secrets: 1\nsalt: {SALT}\ntunnels:\n  {name}:\n    psk: {PSK}\n"
        f"    source: manual\n    updated: {updated}\n"
    )


NOT_TEXT = [
    *(
        (
            f"netgen_secrets: {value}\nsalt: {SALT}\n",
            1,
            f"expected a mapping with `netgen_secrets: 1` (got {shown})",
            "fix the entry, or `netgen secrets set` it again",
        )
        for value, shown in [("true", "true"), ("yes", "true"), ("on", "true"), ("2", "2")]
    ),
    *(
        (store_text(name=value), 4, f"a tunnel name must be text, not {kind}", TEXT_HINT)
        for value, kind in [
            ("true", "a boolean (true)"),
            ("on", "a boolean (true)"),
            ("no", "a boolean (false)"),
            ("0123", "a number (83)"),
            ("1.50", "a number (1.5)"),
            ("~", "null"),
            ("2024-08-06", "a date"),
        ]
    ),
    *(
        (store_text(updated=value), 7, f"t1: `updated` must be text, not {kind}", TEXT_HINT)
        for value, kind in [
            ("true", "a boolean (true)"),
            ("off", "a boolean (false)"),
            ("20240806", "a number (20240806)"),
            ("2024-08-06T10:15:30Z", "a date"),
            ("2024-08-06", "a date"),
            ("[a]", "a list"),
        ]
    ),
    (
        "netgen_secrets: 1\nsalt: 12345678901234567890123456789012\n",
        2,
        "`salt` must be text, not a number",
        TEXT_HINT,
    ),
    (
        f"netgen_secrets: 1\nsalt: {SALT}\ntunnels: false\n",
        3,
        "`tunnels` must be a mapping",
        "fix the entry, or `netgen secrets set` it again",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "message", "hint"), [pytest.param(*case, id=case[2]) for case in NOT_TEXT]
)
def test_a_value_yaml_reads_as_no_text_is_ng701_at_its_line(
    text: str, line: int, message: str, hint: str
) -> None:
    with pytest.raises(UserError) as exc:
        sec.parse_store(text.encode(), "netgen.secrets.yaml")
    (diag,) = exc.value.diagnostics
    assert diag.code == "NG701"
    assert diag.position is not None and diag.position.line == line
    assert diag.position.file == "netgen.secrets.yaml"
    assert diag.message == f"secrets store: {message}" and diag.hint == hint
    assert PSK not in diag.format()


@pytest.mark.parametrize(
    ("name", "updated", "read"),
    [
        ("'true'", "'2024-08-06T10:15:30Z'", ("true", "2024-08-06T10:15:30Z")),
        ('"0123"', '"2024-08-06"', ("0123", "2024-08-06")),
        ("t1", "~", ("t1", "")),  # no time known: empty, as before
        ("t1", "''", ("t1", "")),
    ],
)
def test_quoted_text_stays_text(name: str, updated: str, read: tuple[str, str]) -> None:
    store = sec.parse_store(store_text(name, updated).encode(), "netgen.secrets.yaml")
    assert [(n, e.updated) for n, e in store.tunnels.items()] == [read]


def test_the_writer_quotes_what_yaml_would_read_as_no_text(tmp_path: Path) -> None:
    path = tmp_path / sec.STORE_NAME
    entry = sec.StoreEntry(sec.Secret(PSK), "manual", "2024-08-06T10:15:30Z")
    store = sec.new_store(b"\x12" * 16)
    for name in ("true", "on", "0123", "1.50", "null", "2024-08-06"):
        store = store.with_entry(name, entry)
    sec.save_store(path, store)
    assert sec.load_store(path) == store


def test_an_empty_tunnels_key_is_an_empty_store() -> None:
    for tail in ("", "tunnels:\n", "tunnels: {}\n"):
        text = f"netgen_secrets: 1\nsalt: {SALT}\n{tail}"
        assert sec.parse_store(text.encode(), "s.yaml").tunnels == {}


# -- resolving -----------------------------------------------------------------------------


def test_resolve_references_and_store(session: api.Session) -> None:
    base = session.path.parent
    (base / "keys").mkdir()
    key_file = base / "keys" / "hq_a_cf2.psk"
    key_file.write_text("FAKE-PSK-from-file-0001\n")
    key_file.chmod(0o600)
    store = store_with("branch_1a_cf1", "hq_a_cf1", "hq_b_cf1")
    psks, diags = sec.resolve_psks(
        session.loaded.inventory,
        store,
        base_dir=base,
        env={"NETGEN_TEST_PSK": "FAKE-PSK-from-env-0001"},
    )
    assert diags == []
    assert psks == {
        "branch_1a_cf1": f"{PSK}-branch_1a_cf1",  # store
        "hq_a_cf1": "FAKE-PSK-from-env-0001",  # env wins over the store
        "hq_a_cf2": "FAKE-PSK-from-file-0001",  # file, trailing newline stripped
    }  # GRE tunnels never get one; branch_1a_cf2 has none


def test_unresolved_references_name_the_tunnel_not_a_value(session: api.Session) -> None:
    inv = session.loaded.inventory
    psks, diags = sec.resolve_psks(
        inv, store_with(), base_dir=session.path.parent, env={}, index=session.loaded.index
    )
    assert psks == {}
    assert [d.code for d in diags] == ["NG703", "NG703"]
    assert "hq_a_cf1" in diags[0].message and "NETGEN_TEST_PSK" in diags[0].message
    assert "hq_a_cf2" in diags[1].message and "keys/hq_a_cf2.psk" in diags[1].message
    assert all(d.position is not None and d.position.line for d in diags)


def test_bad_psk_values_and_loose_files(session: api.Session) -> None:
    base = session.path.parent
    (base / "keys").mkdir()
    key_file = base / "keys" / "hq_a_cf2.psk"
    key_file.write_text("FAKE-PSK-file-0001\n")
    key_file.chmod(0o644)
    bad = 'FAKE "PSK" with spaces'
    psks, diags = sec.resolve_psks(
        session.loaded.inventory, store_with(), base_dir=base, env={"NETGEN_TEST_PSK": bad}
    )
    assert psks == {"hq_a_cf2": "FAKE-PSK-file-0001"}
    assert sorted((d.code, d.severity) for d in diags) == [
        ("NG702", Severity.WARNING),
        ("NG704", Severity.ERROR),
    ]
    assert all(bad not in d.format() for d in diags)


# -- the `netgen secrets` commands ---------------------------------------------------------


def test_list_secrets_never_shows_values(session: api.Session) -> None:
    store = store_with("branch_1a_cf1", "old_tunnel")
    inv = session.loaded.inventory
    psks, diags = sec.resolve_psks(
        inv, store, base_dir=session.path.parent, env={"NETGEN_TEST_PSK": PSK}
    )
    rows = cmds.list_secrets(inv, store, psks, now=NOW)
    by_name = {r.tunnel: r for r in rows}
    assert list(by_name) == ["branch_1a_cf1", "branch_1a_cf2", "hq_a_cf1", "hq_a_cf2", "old_tunnel"]
    assert by_name["branch_1a_cf1"].source == "manual"
    assert by_name["branch_1a_cf1"].age_days == 19
    assert by_name["branch_1a_cf1"].fingerprint == store.fingerprint("branch_1a_cf1")
    assert by_name["branch_1a_cf2"].source == "missing"
    assert by_name["hq_a_cf1"].source == "env:NETGEN_TEST_PSK"
    assert by_name["hq_a_cf1"].fingerprint == sec.fingerprint(PSK, store.salt)
    assert by_name["hq_a_cf2"].source == "file:keys/hq_a_cf2.psk"
    assert not by_name["old_tunnel"].in_inventory
    assert [d.code for d in diags] == ["NG703"]  # the file is missing
    assert PSK not in repr(rows)


def test_set_secret(session: api.Session) -> None:
    inv = session.loaded.inventory
    result = cmds.set_secret(sec.new_store(), inv, "branch_1a_cf1", PSK + "\n", clock=clock)
    entry = result.store.tunnels["branch_1a_cf1"]
    assert entry.psk.reveal() == PSK and entry.source == "manual"
    assert entry.updated == "2024-08-20T12:00:00Z"
    assert result.change == (
        f"branch_1a_cf1: psk set (fingerprint {result.store.fingerprint('branch_1a_cf1')})"
    )
    assert result.diagnostics == []
    short = cmds.set_secret(result.store, inv, "branch_1a_cf2", "FAKE1", clock=clock)
    assert [d.code for d in short.diagnostics] == ["NG705"]


@pytest.mark.parametrize(
    ("tunnel", "value", "words"),
    [
        ("nope", PSK, "no tunnel named"),
        ("hq_b_cf1", PSK, "GRE"),
        ("hq_a_cf1", PSK, "`psk:` reference"),
        ("branch_1a_cf1", "FAKE PSK with space", "printable ASCII"),
        ("branch_1a_cf1", "FAKE-psk-tab\tx", "printable ASCII"),
        ("branch_1a_cf1", "", "empty"),
    ],
)
def test_set_secret_refuses(session: api.Session, tunnel: str, value: str, words: str) -> None:
    with pytest.raises(UserError) as exc:
        cmds.set_secret(sec.new_store(), session.loaded.inventory, tunnel, value, clock=clock)
    (diag,) = exc.value.diagnostics
    assert words in diag.message
    assert not value or (value not in diag.format() and value not in str(exc.value))


def test_generate_secrets(session: api.Session) -> None:
    inv = session.loaded.inventory
    lock = session.allocation.lock
    tid = tunnel_id("branch_1a_cf1")
    entry = lock.tunnels["branch_1a_cf1"]
    lock = LockFile(
        tunnels={
            **lock.tunnels,
            "branch_1a_cf1": entry.model_copy(
                update={"cloudflare": CloudflareFacts(id=tid, type="ipsec")}
            ),
        }
    )
    result = cmds.generate_secrets(store_with("branch_1a_cf2"), inv, lock, [], clock=clock)
    assert [g.tunnel for g in result.generated] == ["branch_1a_cf1"]  # others have one or a ref
    gen = result.generated[0]
    stored = result.store.tunnels["branch_1a_cf1"]
    assert stored.source == "generated" and stored.updated == "2024-08-20T12:00:00Z"
    assert gen.request_body() == {"psk": stored.psk.reveal()}
    assert gen.request_path(inv.account_id) == (
        f"/accounts/{inv.account_id}/magic/ipsec_tunnels/{tid}"
    )
    assert stored.psk.reveal() not in repr(result) and stored.psk.reveal() not in str(
        result.changes
    )
    assert result.changes == [f"branch_1a_cf1: psk generated (fingerprint {gen.fingerprint})"]
    again = cmds.generate_secrets(
        result.store,
        inv,
        lock,
        ["branch_1a_cf1", "branch_1a_cf2"],
        clock=clock,
        generate=lambda: "FAKEPSK" * 6,
    )
    assert [g.tunnel_id for g in again.generated] == [tid, None]
    assert again.generated[1].request_path(None).endswith("/ipsec_tunnels/{ipsec_tunnel_id}")
    with pytest.raises(UserError):
        cmds.generate_secrets(result.store, inv, lock, ["hq_b_cf2"], clock=clock)


def test_imported_psks_are_stored_idempotently(session: api.Session, tmp_path: Path) -> None:
    names = ["ipsec_tunnels_list.json", "psk_generate_hq_a_cf1.json", "psk_generate_hq_a_cf2.json"]
    imported = import_into(session, [(n, (FIXTURES / n).read_bytes()) for n in names])
    store, changes = cmds.apply_imported(
        sec.new_store(b"\x01" * 16), imported.psks, imported.lock, clock=clock
    )
    assert store.tunnels["hq_a_cf1"].source == "cloudflare"
    assert store.tunnels["hq_a_cf1"].updated == "2024-08-06T10:42:00.000001Z"
    assert len(changes) == 2 and all("FAKE" not in c for c in changes)
    path = tmp_path / "s.yaml"
    sec.save_store(path, store)
    first = path.read_bytes()
    store2, changes2 = cmds.apply_imported(
        sec.load_store(path), imported.psks, imported.lock, clock=clock
    )
    sec.save_store(path, store2)
    assert changes2 == [] and path.read_bytes() == first
    assert yaml.safe_load(first)["tunnels"]["hq_a_cf1"]["psk"] == "FAKE-PSK-hq-a-cf1-0001"
