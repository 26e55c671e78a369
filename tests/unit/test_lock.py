"""Lock file: the canonical fast reader agrees with the full YAML + schema reader; the lock's
own size limit (MAX_LOCK_BYTES) holds for both readers and for the writer, and above the
document limit (MAX_DOCUMENT_BYTES) only the canonical reader reads a lock."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path
from typing import NoReturn

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from netgen import api
from netgen.core import limits
from netgen.core.documents import load_yaml_text, read_bytes
from netgen.core.errors import Diagnostic, UserError
from netgen.core.limits import MAX_DOCUMENT_BYTES, MAX_LOCK_BYTES, size_text
from netgen.state import lock as lock_module
from netgen.state import lock_read
from netgen.state.lock import (
    LOCK_END,
    CloudflareFacts,
    LockFile,
    LockTunnel,
    RemoteIdentities,
    dump_lock,
)
from netgen.state.lock_read import load_lock, parse_canonical_lock, parse_lock_text
from tests.scenarios import SCENARIOS, write_inventory

# names and values YAML would misread if left unquoted are part of the alphabet on purpose
words = st.one_of(
    st.sampled_from(
        [
            "yes",
            "no",
            "on",
            "null",
            "0123",
            "1.5",
            "2026-11-20T10:00:00Z",
            "~",
            "true",
            "a b",
            "x:y",
            "#c",
            "'q'",
            "-",
            "é",
        ]
    ),
    st.text(alphabet="abcXYZ019_-.@:", min_size=1, max_size=12),
)

facts = st.builds(
    CloudflareFacts,
    id=st.none() | words,
    type=st.sampled_from([None, "gre", "ipsec"]),
    remote_identities=st.none()
    | st.builds(
        RemoteIdentities,
        fqdn_id=st.none() | words,
        user_id=st.none() | words,
        hex_id=st.none() | words,
    ),
    cloudflare_endpoint=st.none() | st.just(IPv4Address("192.0.2.10")),
    created_on=st.none() | words,
)

tunnels = st.builds(
    LockTunnel,
    site=words,
    device=words,
    wan=words,
    endpoint=words,
    generated=st.booleans(),
    interface_address=st.integers(0, 2**20).map(
        lambda n: IPv4Interface(f"{IPv4Address(int(IPv4Address('10.0.0.0')) + 2 * n)}/31")
    ),
    index=st.integers(0, 500),
    cloudflare=st.none() | facts,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(words, tunnels, max_size=6))
def test_canonical_reader_matches_yaml_reader(entries: dict[str, LockTunnel]) -> None:
    lock = LockFile(tunnels=entries)
    text = dump_lock(lock)
    slow = parse_lock_text(text, "netgen.lock.yaml")
    assert dump_lock(slow) == text  # empty cloudflare facts normalise to none
    fast = parse_canonical_lock(text)
    assert fast is not None
    assert fast.model_dump() == slow.model_dump()
    assert dump_lock(fast) == text


def test_hand_edited_lock_falls_back_to_the_full_reader() -> None:
    text = (
        "netgen_lock: 1\ntunnels:\n  t1:\n    site: yes\n    device: d\n    wan: w\n"
        "    endpoint: e\n    generated: false\n    interface_address: 10.0.0.0/31\n"
        "    index: 0\n"
    )
    end = f"{LOCK_END}\n"
    assert parse_canonical_lock(text + end) is None  # `yes` is a boolean to YAML
    assert (
        parse_canonical_lock(text.replace("site: yes", "site: s") + "    extra: 1\n" + end) is None
    )
    assert parse_canonical_lock(text.replace("site: yes", "site: s") + end) is not None
    assert parse_canonical_lock(text.replace("site: yes", "site: s")) is None  # no end marker


def test_characters_beyond_the_bmp_round_trip_through_the_lock() -> None:
    """JSON writes U+1F600 as a surrogate pair, which YAML refuses: the writer uses \\U."""
    from netgen.state.lock import string_scalar

    for text in ("😀", "a😀b\n", "x\U0010ffff"):
        assert yaml.safe_load(f"k: {string_scalar(text)}")["k"] == text


# -- the lock's own size limit ------------------------------------------------------------------
# A lock larger than every other document may be (MAX_DOCUMENT_BYTES) is read in netgen's
# canonical form, by the canonical reader (linear and bounded); in any other form (a hand edit)
# it is NG107, since the YAML reader costs up to ~280 bytes of memory an input byte. A lock over
# its own limit is NG107 naming the file and the limit, and netgen never writes a lock it would
# refuse to read. The limits are shrunk (monkeypatch) so that no test writes hundreds of
# megabytes: the document limit is looked up at each call, the lock's where the lock reader and
# the writer use it.

DOCUMENT_LIMIT = 16 * 1024  # stands for 64 MiB (above the vendor profiles, 13 KB)
LOCK_LIMIT = 8 * DOCUMENT_LIMIT  # stands for 512 MiB


def richest_tunnel(n: int) -> LockTunnel:
    """A tunnel with every fact netgen records, as long as the benchmark fleet's names."""
    tid, account = f"{n:032x}", "0123456789abcdef0123456789abcdef"
    identities = RemoteIdentities(
        fqdn_id=f"{tid}.{account}.ipsec.cloudflare.com",
        user_id=f"ipsec@{tid}.{account}.ipsec.cloudflare.com",
        hex_id=f"{account}_{tid}",
    )
    when = "2026-11-30T07:33:00.123456Z"
    facts = CloudflareFacts(
        id=tid,
        type="ipsec",
        remote_identities=identities,
        cloudflare_endpoint=IPv4Address("192.0.2.10"),
        customer_endpoint=IPv4Address("11.0.0.0"),
        created_on=when,
        modified_on=when,
        psk_generated_on=when,
    )
    return LockTunnel(
        site=f"site{n:05d}",
        device=f"site{n:05d}-r1",
        wan="isp-a",
        endpoint="cf1",
        generated=True,
        interface_address=IPv4Interface((0xAC100000 + 2 * n, 31)),
        index=0,
        cloudflare=facts,
    )


def lock_of(tunnels: int) -> LockFile:
    return LockFile(tunnels={f"s{n}_1a_cf1": richest_tunnel(n) for n in range(tunnels)})


def not_canonical(text: str, how: str = "quoted") -> str:
    """The same lock in a shape only the YAML reader reads: hand edits."""
    old, new = {
        "quoted": ("    wan: isp-a\n", "    wan: 'isp-a'\n"),
        "comment": ("    wan: isp-a\n", "    wan: isp-a  # the primary link\n"),
        "reordered": (
            "    device: site00000-r1\n    wan: isp-a\n",
            "    wan: isp-a\n    device: site00000-r1\n",
        ),
        "tagged": ("    index: 0\n", "    index: !!int 0\n"),
    }[how]
    changed = text.replace(old, new, 1)
    assert changed != text and parse_canonical_lock(changed) is None
    return changed


HAND_EDITS = ["quoted", "comment", "reordered"]


def refused_as_not_canonical(exc: pytest.ExceptionInfo[UserError], file: str) -> None:
    """NG107 for a lock over the document limit that only the YAML reader could read."""
    diag = size_error(exc)
    assert diag.position is not None and diag.position.file == file
    assert diag.message == (
        f"lock file is larger than {DOCUMENT_LIMIT:,} bytes and not in the form netgen writes "
        "it: a lock this large is read only in that form"
    )
    assert diag.hint == (
        "undo the hand edit (git checkout -- netgen.lock.yaml), or have netgen rewrite the lock "
        "from a smaller state: every lock netgen writes (plan --write-lock, render, import) is in "
        "that form"
    )


def size_error(exc: pytest.ExceptionInfo[UserError]) -> Diagnostic:
    (diag,) = exc.value.diagnostics
    assert diag.code == "NG107"
    return diag


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The readers' limits (the writer's: test_netgen_writes_no_lock_it_would_refuse_to_read)."""
    monkeypatch.setattr(limits, "MAX_DOCUMENT_BYTES", DOCUMENT_LIMIT)
    monkeypatch.setattr(lock_read, "MAX_LOCK_BYTES", LOCK_LIMIT)


def test_the_real_limits_hold_the_40000_device_fleet_and_keep_other_documents_at_64_mib() -> None:
    per_tunnel = len(dump_lock(lock_of(2))) - len(dump_lock(lock_of(1)))
    assert 700 < per_tunnel < 900  # the limit's reasoning (netgen.core.limits) counts 781
    # 40,000 devices, 160,000 tunnels: over the document limit, and 4x under the lock's
    assert MAX_DOCUMENT_BYTES < 160_000 * 548 < 4 * 160_000 * per_tunnel <= MAX_LOCK_BYTES
    assert MAX_DOCUMENT_BYTES == 64 * 1024 * 1024
    assert size_text(MAX_LOCK_BYTES) == "512 MiB" and size_text(4096) == "4,096 bytes"


@pytest.mark.usefixtures("small_limits")
def test_a_canonical_lock_over_the_document_limit_is_read(tmp_path: Path) -> None:
    lock = lock_of(30)
    text = dump_lock(lock)
    assert DOCUMENT_LIMIT < len(text) < LOCK_LIMIT
    path = tmp_path / "netgen.lock.yaml"
    path.write_text(text)
    assert parse_canonical_lock(text) == lock  # the fast reader
    assert load_lock(path) == lock
    assert parse_lock_text(text, "netgen.lock.yaml") == lock


@pytest.mark.usefixtures("small_limits")
def test_every_lock_netgen_writes_is_read_over_the_document_limit(tmp_path: Path) -> None:
    """Whatever its values: quoted, escaped, beyond U+FFFF (the writer's \\U) or as long as
    YAML reads; the refusal below is for hand edits only."""
    odd = ["yes", "a b", 'q"q', "é", "😀x", "\\U0001f600", "x" * 4096, "😀" * 4096, ""]
    lock = LockFile(
        tunnels={
            f"t{n}-{value[:3]}": richest_tunnel(n).model_copy(update={"site": value or "s"})
            for n, value in enumerate(odd * 2)
        }
    )
    text = dump_lock(lock)
    assert DOCUMENT_LIMIT < len(text) < LOCK_LIMIT
    path = tmp_path / "netgen.lock.yaml"
    path.write_text(text)
    assert load_lock(path) == lock


@pytest.mark.usefixtures("small_limits")
def test_a_hand_edit_that_keeps_netgens_form_is_read_over_the_document_limit(
    tmp_path: Path,
) -> None:
    """As docs/lock-file.md says: a value changed in place, comment lines, blank lines."""
    lock = lock_of(30)
    text = dump_lock(lock).replace("    index: 0\n", "    index: 7\n", 1)
    text = text.replace("  s1_1a_cf1:\n", "\n# moved by hand, see the ticket\n  s1_1a_cf1:\n")
    assert DOCUMENT_LIMIT < len(text) < LOCK_LIMIT
    path = tmp_path / "netgen.lock.yaml"
    path.write_text(text)
    read = load_lock(path)
    assert read == parse_canonical_lock(text) and read.tunnels["s0_1a_cf1"].index == 7
    assert read.tunnels.keys() == lock.tunnels.keys()


@pytest.mark.usefixtures("small_limits")
@pytest.mark.parametrize("how", HAND_EDITS)
def test_a_hand_edited_lock_over_the_document_limit_is_ng107(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    text = not_canonical(dump_lock(lock_of(30)), how)
    assert DOCUMENT_LIMIT < len(text) < LOCK_LIMIT
    path = tmp_path / "netgen.lock.yaml"
    path.write_text(text)

    def no_yaml(*_args: object, **_kwargs: object) -> NoReturn:
        raise AssertionError("the YAML reader was given a lock over the document limit")

    monkeypatch.setattr(lock_read, "load_yaml_text", no_yaml)
    with pytest.raises(UserError) as exc:
        load_lock(path)
    refused_as_not_canonical(exc, str(path))
    with pytest.raises(UserError) as exc:
        parse_lock_text(text, "netgen.lock.yaml")
    refused_as_not_canonical(exc, "netgen.lock.yaml")


@pytest.mark.usefixtures("small_limits")
@pytest.mark.parametrize("how", [*HAND_EDITS, "tagged"])
def test_a_hand_edited_lock_under_the_document_limit_is_still_read(
    tmp_path: Path, how: str
) -> None:
    lock = lock_of(20)
    text = not_canonical(dump_lock(lock), how)
    assert len(text) <= DOCUMENT_LIMIT
    path = tmp_path / "netgen.lock.yaml"
    path.write_text(text)
    assert load_lock(path) == lock
    assert parse_lock_text(text, "netgen.lock.yaml") == lock
    padded = "#" * (DOCUMENT_LIMIT - len(text) - 1) + "\n" + text  # exactly the document limit
    assert len(padded) == DOCUMENT_LIMIT
    path.write_text(padded)
    assert load_lock(path) == lock
    path.write_text("#" + padded)  # one byte over
    with pytest.raises(UserError) as exc:
        load_lock(path)
    refused_as_not_canonical(exc, str(path))


@pytest.mark.usefixtures("small_limits")
def test_a_dense_hostile_lock_is_refused_before_yaml_reads_it(tmp_path: Path) -> None:
    """The amplification this limit is for: a flow list of one-letter items, which PyYAML
    holds at ~280 bytes a byte (8 MiB took 44 s and 2.2 GB); refused after a scan."""
    items = "a," * (DOCUMENT_LIMIT // 2)
    text = f"netgen_lock: 1\ntunnels: [{items}a]\n{LOCK_END}\n"
    path = tmp_path / "netgen.lock.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as exc:
        load_lock(path)
    refused_as_not_canonical(exc, str(path))


@pytest.mark.usefixtures("small_limits")
def test_any_other_document_over_the_document_limit_is_still_refused(tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path, SCENARIOS["mixed"]("cisco_iosxe", None))
    lock_path = tmp_path / "netgen.lock.yaml"
    lock_path.write_text("#" * DOCUMENT_LIMIT + "\n" + lock_path.read_text())
    assert len(inventory.read_bytes()) < DOCUMENT_LIMIT < len(lock_path.read_bytes())
    api.validate(inventory)  # the lock is over the document limit, and read
    padding = "#" * (DOCUMENT_LIMIT + 1) + "\n"
    inventory.write_text(padding + inventory.read_text())
    with pytest.raises(UserError) as exc:
        api.validate(inventory)
    diag = size_error(exc)
    assert diag.position is not None and diag.position.file == str(inventory)
    assert f"larger than {DOCUMENT_LIMIT:,} bytes" in diag.message
    with pytest.raises(UserError) as exc:
        read_bytes(inventory)
    size_error(exc)
    with pytest.raises(UserError) as exc:
        load_yaml_text(padding + "a: 1\n", "secrets.yaml")
    size_error(exc)


@pytest.mark.usefixtures("small_limits")
def test_a_lock_over_its_limit_is_ng107_naming_the_file_and_the_limit(tmp_path: Path) -> None:
    text = dump_lock(lock_of(200))
    assert len(text) > LOCK_LIMIT
    path = tmp_path / "netgen.lock.yaml"
    for shape in (text, not_canonical(text)):  # for the fast reader and the YAML reader
        path.write_text(shape)
        with pytest.raises(UserError) as exc:
            load_lock(path)
        diag = size_error(exc)
        assert diag.position is not None and diag.position.file == str(path)
        assert f"larger than {LOCK_LIMIT:,} bytes" in diag.message
        with pytest.raises(UserError) as exc:
            parse_lock_text(shape, "netgen.lock.yaml")
        diag = size_error(exc)
        assert diag.position is not None and diag.position.file == "netgen.lock.yaml"
    assert parse_canonical_lock(text) is None  # the fast reader refuses it on its own


@pytest.mark.usefixtures("small_limits")
def test_a_lock_at_its_limit_is_read(tmp_path: Path) -> None:
    text = dump_lock(lock_of(150))
    padded = "#" * (LOCK_LIMIT - len(text) - 1) + "\n" + text  # exactly LOCK_LIMIT bytes
    assert len(padded) == LOCK_LIMIT
    path = tmp_path / "netgen.lock.yaml"
    path.write_text(padded)
    assert load_lock(path) == lock_of(150)
    assert parse_lock_text(padded, "netgen.lock.yaml") == lock_of(150)
    path.write_text(not_canonical(padded)[2:])  # two quotes in, two "#" out: hand-edited
    with pytest.raises(UserError) as exc:
        load_lock(path)
    refused_as_not_canonical(exc, str(path))


@pytest.mark.usefixtures("small_limits")
def test_netgen_writes_no_lock_it_would_refuse_to_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lock_module, "MAX_LOCK_BYTES", LOCK_LIMIT)
    assert len(dump_lock(lock_of(150))) <= LOCK_LIMIT
    with pytest.raises(UserError) as exc:
        dump_lock(lock_of(200))
    diag = size_error(exc)
    assert diag.position is not None and diag.position.file == "netgen.lock.yaml"
    assert f"larger than {LOCK_LIMIT:,} bytes" in diag.message

    inventory = write_inventory(
        tmp_path, SCENARIOS["mixed"]("cisco_iosxe", None), with_identities=False
    )
    lock_path = tmp_path / "netgen.lock.yaml"
    monkeypatch.setattr(lock_module, "MAX_LOCK_BYTES", 100)
    with pytest.raises(UserError) as exc:
        api.plan(inventory, write_lock=True)
    assert size_error(exc).message.startswith("the new lock would be larger than 100 bytes")
    assert not lock_path.exists()
