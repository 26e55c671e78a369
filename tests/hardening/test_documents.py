"""Hostile documents: truncated and doctored locks, alias bombs, deep nesting, huge values,
PSK files that are not files, and import responses that would move or age what the lock holds.

Every case must end in a clean :class:`UserError` with a stable code (never a traceback,
RecursionError, MemoryError or exit 70), and nothing may be written.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from ipaddress import IPv4Interface
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netgen import api
from netgen.cloudflare.addressing import in_allowed_range, tunnel_sides
from netgen.cloudflare.responses import read_response
from netgen.core.documents import load_yaml_text, read_bytes
from netgen.core.errors import Diagnostic, Severity, UserError
from netgen.core.limits import MAX_DOCUMENT_BYTES
from netgen.render.output import atomic_write
from netgen.state import secrets as sec
from netgen.state.lock import (
    LOCK_END,
    LockFile,
    dump_lock,
    interface_address_problem,
)
from netgen.state.lock_read import load_lock, parse_canonical_lock, parse_lock_text
from netgen.vendors.registry import load_registry
from tests.scenarios import SCENARIOS, import_into, write_inventory

ROOT = Path(__file__).resolve().parents[2]
RESPONSES = ROOT / "tests" / "fixtures" / "responses"
ACME = ROOT / "examples" / "acme"


def codes(exc: pytest.ExceptionInfo[UserError]) -> list[str]:
    return [d.code for d in exc.value.diagnostics]


def only_error(exc: pytest.ExceptionInfo[UserError]) -> Diagnostic:
    (err,) = [d for d in exc.value.diagnostics if d.severity is Severity.ERROR]
    return err


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """The mixed scenario with a lock of 6 tunnels holding Cloudflare ids."""
    return write_inventory(tmp_path, SCENARIOS["mixed"]("cisco_iosxe", None))


# -- 1. the lock: end marker ----------------------------------------------------------------


def test_the_writer_ends_every_lock_with_the_marker(fleet: Path) -> None:
    assert dump_lock(LockFile()).endswith(f"\ntunnels: {{}}\n{LOCK_END}\n")
    text = (fleet.parent / "netgen.lock.yaml").read_text()
    assert text.endswith(f"\n{LOCK_END}\n") and text.count(LOCK_END) == 1
    assert (ACME / "netgen.lock.yaml").read_text().endswith(f"\n{LOCK_END}\n")


def test_a_truncated_lock_is_refused_and_never_rewritten(fleet: Path) -> None:
    lock_path = fleet.parent / "netgen.lock.yaml"
    lines = lock_path.read_text().splitlines(keepends=True)
    half = "".join(lines[: len(lines) // 2])  # still valid YAML: half the tunnels
    lock_path.write_text(half)
    with pytest.raises(UserError) as exc:
        api.plan(fleet, write_lock=True)
    err = only_error(exc)
    assert err.code == "NG402" and "incomplete" in err.message
    assert err.hint is not None and "git checkout" in err.hint and LOCK_END in err.hint
    assert err.position is not None and err.position.line == len(lines) // 2
    assert lock_path.read_text() == half


def test_a_lock_cut_anywhere_is_refused(fleet: Path) -> None:
    lock_path = fleet.parent / "netgen.lock.yaml"
    full = lock_path.read_bytes()
    for cut in range(0, len(full) - 1, 7):
        lock_path.write_bytes(full[:cut])
        with pytest.raises(UserError) as exc:
            load_lock(lock_path)
        assert codes(exc) == ["NG402"], cut
    lock_path.write_bytes(full[:-1])  # only the final newline lost: still complete
    assert load_lock(lock_path) == parse_lock_text(full.decode(), "netgen.lock.yaml")


@pytest.mark.parametrize("text", ["", "\n", "  \n\n"])
def test_an_empty_lock_is_the_same_error(fleet: Path, text: str) -> None:
    lock_path = fleet.parent / "netgen.lock.yaml"
    lock_path.write_text(text)
    with pytest.raises(UserError) as exc:
        api.validate(fleet)
    err = only_error(exc)
    assert (err.code, err.message) == ("NG402", "lock file is empty")
    assert err.hint is not None and "git checkout" in err.hint
    with pytest.raises(UserError) as exc:
        parse_lock_text(text, "netgen.lock.yaml")
    assert codes(exc) == ["NG402"]


def test_a_missing_lock_is_still_an_empty_lock(tmp_path: Path) -> None:
    assert load_lock(tmp_path / "netgen.lock.yaml") == LockFile()


# -- 1. the lock: every value checked, by both readers --------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("interface_address: 10.252.0.0/31", "interface_address: 8.8.8.0/31", "allowed ranges"),
        ("interface_address: 10.252.0.0/31", "interface_address: 10.252.0.0/32", "/31 or a /30"),
        ("interface_address: 10.252.0.0/31", "interface_address: 0.0.0.0/0", "/31 or a /30"),
        ("interface_address: 10.252.0.0/31", "interface_address: 10.252.0.8/30", "usable host"),
        ("interface_address: 10.252.0.0/31", "interface_address: 10.252.0.0/29", "/31 or a /30"),
        ("index: 0", "index: 99999999999999999999", "less than or equal to 4095"),
        ("index: 0", "index: 4096", "less than or equal to 4095"),
    ],
)
def test_doctored_lock_values_are_ng402_at_their_line(
    fleet: Path, old: str, new: str, words: str
) -> None:
    lock_path = fleet.parent / "netgen.lock.yaml"
    text = lock_path.read_text()
    assert old in text
    doctored = text.replace(old, new, 1)
    lock_path.write_text(doctored)
    assert parse_canonical_lock(doctored) is None  # the fast reader refuses it too
    with pytest.raises(UserError) as exc:
        api.plan(fleet, write_lock=True)
    err = only_error(exc)
    assert err.code == "NG402" and words in err.message, err.message
    line = doctored.splitlines().index(f"    {new}") + 1
    assert err.position is not None and err.position.line == line
    assert lock_path.read_text() == doctored


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_lock_address_rule_is_the_inventory_rule(address: int, prefixlen: int) -> None:
    iface = IPv4Interface((address, prefixlen))
    expected = iface.network.prefixlen in (30, 31) and in_allowed_range(iface.network)
    if expected:
        try:
            tunnel_sides(iface)
        except ValueError:
            expected = False
    assert (interface_address_problem(iface) is None) == expected


def test_fast_reader_refuses_what_yaml_reads_differently() -> None:
    base = dump_lock(LockFile())
    assert parse_canonical_lock(base) is not None
    for sneaky in ("\r", "\x85", "\u2028", "\x00", "\t"):
        text = base.replace("# Written by", f"# Written{sneaky}by")
        assert parse_canonical_lock(text) is None, repr(sneaky)


# -- 2. import --adopt and PSK age ----------------------------------------------------------


@pytest.fixture
def session(tmp_path: Path) -> api.Session:
    path = write_inventory(tmp_path, SCENARIOS["mixed"]("cisco_iosxe", None), with_identities=False)
    return api.open_session(path)


def response(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RESPONSES / name).read_bytes())
    return data


def source(name: str, data: dict[str, Any] | None = None) -> tuple[str, bytes]:
    return name, json.dumps(data if data is not None else response(name)).encode()


LISTS = ("ipsec_tunnels_list.json", "gre_tunnels_list.json")


@pytest.mark.parametrize(
    ("address", "prefix", "site"),
    [("10.10.0.0/31", "10.10.0.0/16", "hq"), ("10.21.255.1/30", "10.21.0.0/16", "branch")],
)
def test_adopt_refuses_an_address_inside_a_lan(
    session: api.Session, address: str, prefix: str, site: str
) -> None:
    data = response("ipsec_tunnels_list.json")
    data["result"]["ipsec_tunnels"][2]["interface_address"] = address  # hq_a_cf1
    with pytest.raises(UserError) as exc:
        import_into(session, [source("ipsec_tunnels_list.json", data)], adopt=True)
    err = only_error(exc)
    assert err.code == "NG613"
    assert f"LAN prefix {prefix} of site {site}" in err.message and address in err.message


def _with_psk(stamp: str, psk: str) -> tuple[str, bytes]:
    data = response("psk_generate_hq_a_cf1.json")
    data["result"]["psk"] = psk
    data["result"]["psk_metadata"]["last_generated_on"] = stamp
    return source(f"psk_{stamp}.json", data)


def test_an_older_psk_never_replaces_a_newer_one(session: api.Session) -> None:
    first = import_into(session, [*map(source, LISTS), source("psk_generate_hq_a_cf1.json")])
    assert set(first.psks) == {"hq_a_cf1"}
    atomic_write(session.lock_path, dump_lock(first.lock).encode())
    known = api.open_session(session.path)
    facts = known.lock.tunnels["hq_a_cf1"].cloudflare
    assert facts is not None and facts.psk_generated_on == "2024-08-06T10:42:00.000001Z"

    older = _with_psk("2024-08-06T09:00:00Z", "FAKE-PSK-older-than-the-lock")
    result = import_into(known, [older])
    assert result.psks == {} and result.lock == known.lock and not result.lock_changed
    (warn,) = result.diagnostics
    assert (warn.code, warn.severity) == ("NG622", Severity.WARNING)
    assert warn.field == "result.psk_metadata.last_generated_on"
    assert "FAKE-PSK-older" not in warn.format()

    newer = _with_psk("2024-08-07T09:00:00Z", "FAKE-PSK-newer-than-the-lock")
    result = import_into(known, [newer])
    assert result.psks == {"hq_a_cf1": "FAKE-PSK-newer-than-the-lock"}
    facts = result.lock.tunnels["hq_a_cf1"].cloudflare
    assert facts is not None and facts.psk_generated_on == "2024-08-07T09:00:00Z"


def test_a_psk_older_than_the_tunnel_in_the_same_batch_is_skipped(session: api.Session) -> None:
    data = response("ipsec_tunnels_list.json")
    tunnel = data["result"]["ipsec_tunnels"][2]  # hq_a_cf1
    tunnel["psk_metadata"] = {"last_generated_on": "2024-08-08T00:00:00Z"}
    stale = _with_psk("2024-08-06T10:42:00Z", "FAKE-PSK-stale-in-the-batch")
    result = import_into(session, [source("ipsec_tunnels_list.json", data), stale])
    assert result.psks == {} and [d.code for d in result.diagnostics] == ["NG622"]


# -- 3. hostile YAML ------------------------------------------------------------------------


def _inventory_with(tmp_path: Path, extra: str) -> Path:
    """A valid inventory (no lock) with ``extra`` appended at the top level."""
    path = write_inventory(tmp_path, SCENARIOS["mixed"]("cisco_iosxe", None), with_identities=False)
    path.write_text(path.read_text() + extra)
    return path


def _laughs(levels: int) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [3, 9])
def test_alias_bombs_are_refused_before_expansion(tmp_path: Path, levels: int) -> None:
    path = _inventory_with(tmp_path, _laughs(levels))
    first = len(path.read_text().splitlines()) - levels + 1
    with pytest.raises(UserError) as exc:
        api.validate(path)
    diags = exc.value.diagnostics
    assert {d.code for d in diags} == {"NG106"} and len(diags) == levels
    assert [d.position.line for d in diags if d.position] == list(range(first, first + levels))
    assert "&l0" in diags[0].message and diags[0].hint


@pytest.mark.parametrize(
    "text",
    ["x: &r [*r]\n", "x: &r {a: *r}\n", "x: *undefined\n", "? &k a\n: b\n", "x: !!str &a y\n"],
)
def test_anchors_and_aliases_of_any_kind_are_ng106(text: str) -> None:
    with pytest.raises(UserError) as exc:
        load_yaml_text("netgen: 1\n" + text, "inventory.yaml")
    (diag,) = exc.value.diagnostics
    assert diag.code == "NG106" and diag.position is not None and diag.position.line == 2


@pytest.mark.parametrize(
    "text",
    [
        "contact: AT&T, R&D *** Q&A\n",
        "description: 'a &b *c'  # &d *e\n",
        'description: "*x"\n',
        "# &anchor in a comment\nx: 1\n",
    ],
)
def test_ampersands_and_stars_in_text_still_load(text: str) -> None:
    assert load_yaml_text(text, "f.yaml").data


def test_anchors_in_a_utf16_document_are_found(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        load_yaml_text("x: &r [*r]\n".encode("utf-16"), "f.yaml")
    assert codes(exc) == ["NG106"]
    assert load_yaml_text("x: 1\n".encode("utf-16"), "f.yaml").data == {"x": 1}


def test_a_lock_with_anchors_is_refused(fleet: Path) -> None:
    lock_path = fleet.parent / "netgen.lock.yaml"
    text = lock_path.read_text().replace("  hq_a_cf1:\n", "  hq_a_cf1: &t\n", 1)
    lock_path.write_text(text)
    with pytest.raises(UserError) as exc:
        load_lock(lock_path)
    assert codes(exc) == ["NG106"]


def test_shipped_vendor_profiles_have_no_anchors_and_load() -> None:
    assert load_registry().ids() == ["cisco_iosxe", "juniper_srx", "strongswan", "vyos"]


@pytest.mark.parametrize("depth", [65, 500, 999])
def test_deep_nesting_is_ng108_at_its_line(tmp_path: Path, depth: int) -> None:
    path = _inventory_with(tmp_path, f"deep: {'[' * depth}{']' * depth}\n")
    with pytest.raises(UserError) as exc:
        api.validate(path)
    err = only_error(exc)
    assert err.code == "NG108" and err.position is not None
    assert err.position.line == len(path.read_text().splitlines())


def test_nesting_within_the_limit_reaches_the_schema(tmp_path: Path) -> None:
    path = _inventory_with(tmp_path, f"deep: {'[' * 60}{']' * 60}\n")
    with pytest.raises(UserError) as exc:
        api.validate(path)
    assert codes(exc) == ["NG201"]  # an unknown key, reported normally


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("x" * 5000, "NG109"),
        ("9" * 5000, "NG109"),  # int() would refuse it with a ValueError (4300 digits)
        ("2024-13-01", "NG102"),  # a timestamp YAML cannot build
        ("!!set {a, b}", "NG102"),
        ("!!python/object:os.system {}", "NG102"),
    ],
)
def test_hostile_scalars_are_clean_errors(tmp_path: Path, value: str, code: str) -> None:
    path = _inventory_with(tmp_path, f"odd: {value}\n")
    with pytest.raises(UserError) as exc:
        api.validate(path)
    err = only_error(exc)
    assert err.code == code and err.position is not None
    assert err.position.line == len(path.read_text().splitlines())


def test_a_file_over_the_size_limit_is_ng107_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    with path.open("wb") as fh:
        fh.truncate(MAX_DOCUMENT_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(UserError) as exc:
        api.validate(path)
    assert codes(exc) == ["NG107"]
    with pytest.raises(UserError) as exc:
        read_bytes(Path("/dev/zero"))
    assert codes(exc) == ["NG107"]


def test_the_size_limit_leaves_room_for_a_fleet() -> None:
    # benchmarks/fleet.py: a 40,000-device inventory is about 15 MB (its lock, 88 MB, has a
    # limit of its own: tests/unit/test_lock.py)
    assert MAX_DOCUMENT_BYTES >= 4 * 15_200_000


# -- 3. hostile JSON responses --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "NG108"),
        (b'{"success": true, "result": ' + b"[" * 70 + b"]" * 70 + b"}", "NG108"),
        (b'{"success": true, "result": {"ipsec_tunnels": [' + b"9" * 5000 + b"]}}", "NG109"),
        (json.dumps({"success": True, "result": {"x": "y" * 5000}}).encode(), "NG109"),
        (b" " * (MAX_DOCUMENT_BYTES + 1), "NG107"),
    ],
    ids=["deep-100000", "deep-70", "long-number", "long-string", "too-large"],
)
def test_hostile_responses_are_clean_errors(session: api.Session, raw: bytes, code: str) -> None:
    assert [d.code for d in read_response(raw, "r.json").diagnostics] == [code]
    with pytest.raises(UserError) as exc:
        import_into(session, [("r.json", raw)])
    assert codes(exc) == [code]


# -- 3. PSK files ---------------------------------------------------------------------------


@pytest.fixture
def psk_session(tmp_path: Path) -> api.Session:
    inv = SCENARIOS["mixed"]("cisco_iosxe", None)
    inv["sites"][0]["devices"][0]["tunnels"][0]["psk"] = {"file": "hq_a_cf1.psk"}
    return api.open_session(write_inventory(tmp_path, inv, with_identities=False))


def _resolve(session: api.Session) -> tuple[dict[str, str], list[Diagnostic]]:
    return sec.resolve_psks(
        session.loaded.inventory, sec.new_store(), base_dir=session.path.parent, env={}
    )


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Fail instead of hanging: a blocking open() is interrupted by the alarm's exception."""

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError("blocked reading the PSK file")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_regular_psk_file_still_works(psk_session: api.Session) -> None:
    key = psk_session.path.parent / "hq_a_cf1.psk"
    key.write_text("FAKE-PSK-from-a-file-0001\n")
    key.chmod(0o600)
    assert _resolve(psk_session) == ({"hq_a_cf1": "FAKE-PSK-from-a-file-0001"}, [])


@pytest.mark.parametrize("kind", ["fifo", "directory", "large"])
def test_psk_files_that_are_not_small_regular_files_are_ng703(
    psk_session: api.Session, kind: str
) -> None:
    key = psk_session.path.parent / "hq_a_cf1.psk"
    expected = {"fifo": "a FIFO", "directory": "a directory", "large": "larger than 4096 bytes"}
    if kind == "fifo":
        os.mkfifo(key)
    elif kind == "directory":
        key.mkdir()
    else:
        with key.open("wb") as fh:
            fh.truncate(10 * 1024 * 1024)  # zeros, sparse
    with _deadline(5):
        psks, diags = _resolve(psk_session)
    assert psks == {}
    (diag,) = diags
    assert diag.code == "NG703" and expected[kind] in diag.message
    assert "hq_a_cf1" in diag.message and diag.hint


def test_dev_zero_as_a_psk_file_is_ng703_not_memory_error(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    inv = SCENARIOS["mixed"]("cisco_iosxe", None)
    inv["sites"][0]["devices"][0]["tunnels"][0]["psk"] = {"file": "/dev/zero"}
    path = write_inventory(tmp_path, inv, with_identities=False)
    # in a child with 2 GiB of address space, so a regression is a MemoryError, not a swap storm
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        from netgen import api
        _, diags = api.resolve_secrets(api.open_session({str(path)!r}))
        print(" ".join(d.code + ("!" if "device" in d.message else "") for d in diags))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["NG703!"]


def _limit_memory() -> None:
    """In a child about to run netgen: 2 GiB of address space, so a read without bound is a
    MemoryError, not a swap storm."""
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _netgen(
    *args: str, stdin: Any = None, limited: bool = True
) -> subprocess.CompletedProcess[str]:
    """``netgen ARGS`` in a child (with the cache on, in 2 GiB unless not ``limited``)."""
    return subprocess.run(
        [sys.executable, "-m", "netgen", *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "NETGEN_NO_CACHE": ""},
        preexec_fn=_limit_memory if limited else None,
    )


def test_import_from_an_endless_stdin_is_ng107(tmp_path: Path) -> None:
    path = write_inventory(tmp_path, SCENARIOS["mixed"]("cisco_iosxe", None))

    with open("/dev/zero", "rb") as zero:
        run = _netgen("import", str(path), "-", stdin=zero)
    assert run.returncode == 1, run.stderr[-2000:]
    assert "NG107" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("which", ["site file", "inventory file", "lock"])
@pytest.mark.parametrize("command", ["validate", "render"])
def test_an_endless_input_file_is_ng107_with_the_cache_on(
    tmp_path: Path, which: str, command: str
) -> None:
    """The cache's input digests read a file as the loaders do, never more than the limit:
    /dev/zero in place of an inventory file is NG107 (the lock: NG904, a state file must be a
    regular file), not a MemoryError."""
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    path = write_inventory(tmp_path / "plan", SCENARIOS["mixed"]("cisco_iosxe", None))
    if which == "site file":
        split = api.split_inventory(path, tmp_path / "tree")
        path = split.directory
        victim = next((path / "sites").glob("*.yaml"))
    else:
        victim = path if which == "inventory file" else path.with_name("netgen.lock.yaml")
    victim.unlink()
    victim.symlink_to("/dev/zero")

    args = [str(path)] if command == "validate" else [str(path), "-o", str(tmp_path / "out")]
    run = _netgen(command, *args)
    assert run.returncode == 1, run.stderr[-2000:]
    code = "NG904" if which == "lock" else "NG107"
    assert code in run.stderr and "internal error" not in run.stderr


@pytest.mark.parametrize("planted", ["dev-zero link", "fifo", "huge file"])
def test_a_planted_cache_entry_is_a_miss(tmp_path: Path, planted: str) -> None:
    """A cache entry is a regular file netgen wrote: a symlink (to /dev/zero), a FIFO or a
    file larger than any entry can be costs a miss, never a hang or a MemoryError."""
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    path = write_inventory(tmp_path / "plan", SCENARIOS["mixed"]("cisco_iosxe", None))
    first = _netgen("validate", str(path), limited=False)
    assert first.returncode == 0, first.stderr[-2000:]
    entries = sorted((path.parent / ".netgen-cache").rglob("*.json"))
    assert len(entries) >= 2  # the documents and the validate result at least
    for entry in entries:
        entry.unlink()
        if planted == "dev-zero link":
            entry.symlink_to("/dev/zero")
        elif planted == "fifo":
            os.mkfifo(entry)
        else:
            with entry.open("wb") as fh:
                fh.truncate(3 << 30)  # sparse: 3 GiB of zeros, more than the child may hold

    again = _netgen("validate", str(path))
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout == first.stdout
