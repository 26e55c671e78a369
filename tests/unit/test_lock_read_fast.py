"""The canonical lock reader (``parse_canonical_lock``) against the YAML + schema reader.

The contract: for any text the fast reader either returns None (the caller then takes the YAML
path) or a lock equal to what the YAML path returns, field sets included; it never accepts
what the YAML path refuses. Random locks from the writer, the same locks damaged line by line,
and the shortcuts the fast reader takes (building models, interfaces and address checks
without their constructors, deciding in a pattern which plain scalars YAML reads as strings)
are each compared with the real thing.
"""

from __future__ import annotations

import copy
import gc
import pickle
import re
import string
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from netgen.cloudflare.facts import INTERFACE_PREFIXLENS, INTERFACE_RANGES
from netgen.core.errors import UserError
from netgen.core.limits import MAX_STRING
from netgen.state import lock_objects, lock_read
from netgen.state.lock import (
    LOCK_END,
    MAX_INDEX,
    CloudflareFacts,
    LockFile,
    LockTunnel,
    RemoteIdentities,
    dump_lock,
    interface_address_problem,
)
from netgen.state.lock_read import load_lock, parse_canonical_lock, parse_lock_text

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MODELS = (LockFile, LockTunnel, CloudflareFacts, RemoteIdentities)

# -- random locks -----------------------------------------------------------------------------

# Words YAML reads as something else than a string unless quoted, shapes close to them that are
# strings, and text that needs escapes: the writer quotes what it must, the reader must agree.
TRICKY = [
    *("yes", "No", "ON", "off", "true", "False", "null", "Null", "~", "y", "n", "o", "f"),
    *("0", "7", "08", "0_8", "012", "0x1f", "0X1F", "0b101", "0o17", "1_000", "1e5", "1.5e+3"),
    *("1.5", ".5", ".inf", "-.nan", "1:30", "190:20:30.15", "2026-11-20", "2026-11-20T10:00:00Z"),
    *("<<", "=", "!", "&a", "*a", "-", "-1", "+1", "a b", "x:y", "#c", "'q'", '"q"', "a\\b"),
    *("é", "😀", "tab\there", "new\nline", "", " lead", "trail ", "nyc01", "tokyo-2", "ok"),
    *("0123456789abcdef0123456789abcdef", "00000000000000000000000000000008", "5e4b1c7d9a"),
    "0123456789abcdef_00000000000000000000000000000008",
    "ipsec@0123.abc.ipsec.cloudflare.com",
]
PLAIN_CHARS = string.ascii_letters + string.digits + "._/@-"
words = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet="0189abefnotxyNOTXY_.-:@/ ", min_size=1, max_size=12),
    st.text(alphabet=PLAIN_CHARS, min_size=1, max_size=40),
    st.text(max_size=12),
)


@st.composite
def addresses(draw: st.DrawFn) -> IPv4Interface:
    """A /31 or a usable host of a /30 inside one of Cloudflare's ranges."""
    network = draw(st.sampled_from(INTERFACE_RANGES))
    base = int(network.network_address) + 4 * draw(st.integers(0, network.num_addresses // 4 - 1))
    if draw(st.booleans()):
        return IPv4Interface((base + draw(st.integers(0, 1)), 31))
    return IPv4Interface((base + draw(st.sampled_from([1, 2])), 30))


identities = st.builds(
    RemoteIdentities,
    fqdn_id=st.none() | words,
    user_id=st.none() | words,
    hex_id=st.none() | words,
)
facts = st.builds(
    CloudflareFacts,
    id=st.none() | words,
    type=st.sampled_from([None, "gre", "ipsec"]),
    remote_identities=st.none() | identities,
    cloudflare_endpoint=st.none() | st.just(IPv4Address("192.0.2.10")),
    customer_endpoint=st.none() | st.just(IPv4Address("203.0.113.7")),
    created_on=st.none() | words,
    modified_on=st.none() | words,
    psk_generated_on=st.none() | words,
)
tunnels = st.builds(
    LockTunnel,
    site=words,
    device=words,
    wan=words,
    endpoint=words,
    generated=st.booleans(),
    interface_address=addresses(),
    index=st.integers(0, MAX_INDEX),
    cloudflare=st.none() | facts,
)
locks = st.dictionaries(words, tunnels, max_size=5).map(lambda t: LockFile(tunnels=t))


def slow_read(text: str) -> LockFile | None:
    try:
        return parse_lock_text(text, "netgen.lock.yaml")
    except UserError:
        return None


def fields_sets(model: Any) -> Any:
    """Every model's ``model_fields_set``, nested as the models are."""
    if isinstance(model, dict):
        return {key: fields_sets(value) for key, value in model.items()}
    if isinstance(model, BaseModel):
        return (model.model_fields_set, {k: fields_sets(v) for k, v in model})
    return None


def assert_same(fast: LockFile, slow: LockFile) -> None:
    assert fast == slow
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump(exclude_unset=True) == slow.model_dump(exclude_unset=True)
    assert fields_sets(fast) == fields_sets(slow)


def agrees(text: str) -> LockFile | None:
    """The fast reader's answer, after checking it against the YAML reader's."""
    fast = parse_canonical_lock(text)
    if fast is not None:  # never accepts what the YAML path refuses, never reads it otherwise
        slow = slow_read(text)
        assert slow is not None, text
        assert_same(fast, slow)
    return fast


@SETTINGS
@given(locks)
def test_the_fast_reader_reads_what_the_writer_writes_as_yaml_does(lock: LockFile) -> None:
    text = dump_lock(lock)
    fast = agrees(text)
    slow = slow_read(text)
    if slow is not None:  # the fast path is taken for the writer's own output, always: above
        assert fast is not None  # the document limit it is the only one (docs/lock-file.md)
    if fast is not None:
        assert dump_lock(fast) == text


@SETTINGS
@given(st.lists(st.sampled_from(TRICKY), min_size=1, max_size=3))
def test_the_fast_path_is_taken_for_plain_ascii_locks(names: list[str]) -> None:
    entries = {
        f"t{i}-{name.encode().hex()}": LockTunnel(
            site=name or "s",
            device="d",
            wan="w",
            endpoint="e",
            interface_address=IPv4Interface(("10.0.0.0", 31)),
            index=i,
        )
        for i, name in enumerate(names)
    }
    text = dump_lock(LockFile(tunnels=entries))
    if text.isascii() and "\\U" not in text:
        assert agrees(text) is not None


# -- damaged locks ----------------------------------------------------------------------------

NOT_STRINGS = ["yes", "off", "null", "~", "1", "1.5", "0x1f", "0o17", "2026-01-01", ".inf"]
# values of the wrong type for the index, the version and the addresses (tests/unit/test_lock_types)
NOT_STRINGS += ["true", "on", "3405803786", "184287240", "!!binary wKgBAQ=="]
HOSTILE_LINES = [
    "    extra: 1",
    "      extra: x",
    "  t9:",
    "# a comment",
    "",
    "   ",
    "  # indented comment",
    "---",
    "...",
    "    site: [a, b]",
    "    site: {a: b}",
    "    site: &a x",
    "    site: *a",
    "    site: !!str x",
    "    site: 'single'",
    "    site: x # comment",
    '    site: "unclosed',
    '    site: "a\\x41"',
    '    site: "\\ud800"',
    "    cloudflare:",
    "      remote_identities:",
    "      remote_identities: {}",
    "      type: other",
    "    index: 4096",
    "    index: 01",
    "    index: -1",
    "    interface_address: 8.8.8.0/31",
    "    interface_address: 10.0.0.0/30",
    "    interface_address: 10.0.0.3/30",
    "    interface_address: 10.0.0.1/32",
    "    interface_address: 10.0.0.01/31",
    "    interface_address: 10.0.0.0/255.255.255.254",
    "    generated: yes",
    "    index: true",
    "    interface_address: yes",
    "    interface_address: 184287240",
    "      cloudflare_endpoint: on",
    "      customer_endpoint: 3405803786",
    "      customer_endpoint: !!binary ywBxCg==",
    "netgen_lock: 2",
    "netgen_lock: true",
    "tunnels: {}",
]


def damage(text: str, data: st.DataObject) -> str:
    lines = text.split("\n")
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        key, sep, _value = line.partition(": ")
        action = data.draw(st.integers(0, 7))
        if action == 0 and sep:  # a value YAML reads as something else than a string
            lines[i] = f"{key}: {data.draw(st.sampled_from(NOT_STRINGS))}"
        elif action == 1:  # a line twice (a duplicate key, or a tunnel twice)
            lines.insert(i, line)
        elif action == 2:
            lines.insert(i, data.draw(st.sampled_from(HOSTILE_LINES)))
        elif action == 3:
            lines[i] = data.draw(st.sampled_from(HOSTILE_LINES))
        elif action == 4:  # indentation off by one or two
            lines[i] = " " * data.draw(st.sampled_from([1, 2])) + line
        elif action == 5 and line.startswith(" "):
            lines[i] = line[1:]
        elif action == 6:
            del lines[i]
        elif action == 7 and i + 1 < len(lines):  # keys out of order
            lines[i], lines[i + 1] = lines[i + 1], line
        if not lines:
            lines = [""]
    return "\n".join(lines)


# a DeprecationWarning was ipaddress reading a YAML boolean as an int: the lock refuses them now
@pytest.mark.filterwarnings("error::DeprecationWarning")
@SETTINGS
@given(locks.filter(lambda lock: bool(lock.tunnels)), st.data())
def test_a_damaged_lock_is_refused_or_read_as_yaml_reads_it(
    lock: LockFile, data: st.DataObject
) -> None:
    agrees(damage(dump_lock(lock), data))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    site: s\n", "    site: yes\n"),
        ("    site: s\n", "    site: 1.5\n"),
        ("    site: s\n", "    site: null\n"),
        ("    site: s\n", "    site: s\n    site: s\n"),
        ("    site: s\n", "    site: s\n    extra: x\n"),
        ("    site: s\n", "     site: s\n"),
        ("    site: s\n", "    device: d\n    site: s\n"),
        ("    index: 3\n", "    index: 4096\n"),
        ("    index: 3\n", "    index: 99999\n"),
        ("    index: 3\n", "    index: 010\n"),  # octal to YAML 1.1
        ("    index: 3\n", "    index: true\n"),  # the int 1 to pydantic's lax mode
        ("netgen_lock: 1\n", "netgen_lock: true\n"),
        ("10.252.0.8/31", "yes"),
        ("10.252.0.8/31", "184287240"),  # 10.252.0.8 to ipaddress
        ("10.252.0.8/31", "10.252.0.9/32"),
        ("10.252.0.8/31", "10.252.0.08/31"),
        ("10.252.0.8/31", "8.8.8.8/31"),
        ("10.252.0.8/31", "10.252.0.8/30"),
        ("10.252.0.8/31", "10.252.0.8/29"),
        ("      id: abc\n", "      id: abc\n      id: abc\n"),
        ("      id: abc\n", '      id: "abc\\x"\n'),
        ("  t1:\n", "  t2:\n"),  # a tunnel twice
        ("tunnels:\n", "tunnels: {}\n"),
        # empty mappings, which YAML reads as null: the writer leaves them out
        ("    index: 0\n", "    index: 0\n    cloudflare:\n"),
        ("        fqdn_id: abc.ipsec.cloudflare.com\n", ""),
        # escapes JSON reads and YAML refuses: a lone surrogate, a surrogate pair
        ("    site: s\n", '    site: "\\ud800"\n'),
        ("    site: s\n", '    site: "\\ud83d\\ude00"\n'),
        ("    site: s\n", '    site: "\\/"\n'),
        # characters YAML reads as line breaks, or refuses, even in a comment
        ("# netgen lock file", "# netgen\rlock file"),
        ("# netgen lock file", "# netgen\x85lock file"),
        ("# netgen lock file", "# netgen\u2028lock file"),
        ("    site: s\n", "    site: s\x00\n"),
        ("    site: s\n", "    site:\ts\n"),
        ("    site: s\n", '    site: "s\u00e9"\n'),
    ],
)
def test_each_kind_of_damage_is_refused(old: str, new: str) -> None:
    text = LOCK.replace(old, new, 1)
    assert text != LOCK
    assert parse_canonical_lock(text) is None
    agrees(text)


LOCK = (
    "# netgen lock file\n"
    "netgen_lock: 1\n"
    "tunnels:\n"
    "  t1:\n    site: s\n    device: d\n    wan: w\n    endpoint: e\n    generated: true\n"
    "    interface_address: 10.252.0.8/31\n    index: 3\n"
    "    cloudflare:\n      id: abc\n      type: ipsec\n      remote_identities:\n"
    "        fqdn_id: abc.ipsec.cloudflare.com\n"
    "  t2:\n    site: s\n    device: d\n    wan: w\n    endpoint: e2\n    generated: false\n"
    "    interface_address: 10.252.0.9/30\n    index: 0\n"
    f"{LOCK_END}\n"
)


def test_the_sample_lock_is_read_by_the_fast_path() -> None:
    fast = agrees(LOCK)
    assert fast is not None and set(fast.tunnels) == {"t1", "t2"}


def test_comments_and_blank_lines_inside_are_skipped_as_yaml_skips_them() -> None:
    text = LOCK.replace("  t2:\n", "\n# a note\n  t2:\n").replace("      id:", "#x\n      id:")
    assert agrees(text) is not None


def test_a_tunnel_name_longer_than_yaml_reads_is_refused() -> None:
    for length in (1023, 1024, 1025):
        for name in ("a" * length, '"' + ("a " * length)[: length - 2] + '"'):
            assert len(name) == length
            fast = agrees(LOCK.replace("  t2:", f"  {name}:"))
            assert (fast is None) == (length > 1024)


def test_tunnels_without_entries_is_null_to_yaml_and_refused() -> None:
    text = f"netgen_lock: 1\ntunnels:\n{LOCK_END}\n"
    assert parse_canonical_lock(text) is None
    assert slow_read(text) is None


def test_a_lock_over_its_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the limit shrunk to this lock's size (more in tests/unit/test_lock.py)."""
    monkeypatch.setattr(lock_read, "MAX_LOCK_BYTES", len(LOCK.encode()))
    assert agrees(LOCK)
    longer = LOCK.replace("# netgen lock file\n", "# netgen lock file.\n")
    assert parse_canonical_lock(longer) is None and slow_read(longer) is None


def test_a_value_over_the_string_limit_is_refused() -> None:
    for value in ("a" * (MAX_STRING + 1), '"' + "a " * (MAX_STRING // 2) + 'b"'):
        assert agrees(LOCK.replace("    site: s\n", f"    site: {value}\n", 1)) is None
    assert agrees(LOCK.replace("    site: s\n", f"    site: {'a' * MAX_STRING}\n", 1))


@pytest.mark.parametrize(
    "value",
    [
        "a " * (MAX_STRING // 2),  # quoted: two characters more than the value
        "é" * MAX_STRING,  # escaped: six characters a character
        "😀" * (MAX_STRING // 2) + "x" * (MAX_STRING // 2),  # \U: ten characters a character
        'a😀\\U0001f600\\\U0001f600"',  # the writer's \U beside backslashes and quotes
        "\U0010ffff",
    ],
)
def test_the_limit_counts_characters_as_yaml_does(value: str) -> None:
    """The writer's text of a value at MAX_STRING is longer than that; YAML counts the value,
    and so does the fast reader (it once counted the text, and left such locks to YAML)."""
    for text in (value, value + "z"):
        lock = LockFile(tunnels={"t": LOCK_TUNNEL.model_copy(update={"site": text})})
        written = dump_lock(lock)
        fast = agrees(written)
        assert (fast is not None) == (len(text) <= MAX_STRING), text[:20]
        assert fast is None or fast.tunnels["t"].site == text


def test_a_scalar_beyond_the_writers_escapes_is_left_to_yaml() -> None:
    """\\U escapes the writer would not write (a BMP character, beyond U+10FFFF, upper-case
    hex, too short) are not taken, whatever YAML makes of them; after an escaped backslash,
    ``\\\\U0001f600`` is the writer's text for a backslash and "U0001f600"."""
    for raw in (r'"\U00000041"', r'"\U00110000"', r'"\U0001F600"', r'"\U0001f6"'):
        assert agrees(LOCK.replace("    site: s\n", f"    site: {raw}\n", 1)) is None, raw
    fast = agrees(LOCK.replace("    site: s\n", '    site: "\\\\U0001f600"\n', 1))
    assert fast is not None and fast.tunnels["t1"].site == "\\U0001f600"


LOCK_TUNNEL = LockTunnel(
    site="s", device="d", wan="w", endpoint="e", interface_address="10.252.0.8/31", index=0
)


def test_load_lock_takes_the_fast_path(tmp_path: Any) -> None:
    path = tmp_path / "netgen.lock.yaml"
    path.write_text(LOCK)
    assert_same(load_lock(path), parse_lock_text(LOCK, "netgen.lock.yaml"))


# -- the shortcuts, each against the real thing -----------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_the_lock_models_are_four_slots(model: type[BaseModel]) -> None:
    """What lets lock_objects.model build instances without model_construct."""
    assert model.__pydantic_post_init__ is None
    assert model.__private_attributes__ == {}
    assert model.model_config.get("extra") != "allow"
    assert not model.__pydantic_root_model__
    assert BaseModel.__slots__ == (
        "__dict__",
        "__pydantic_fields_set__",
        "__pydantic_extra__",
        "__pydantic_private__",
    )


def test_a_built_model_behaves_as_a_validated_one() -> None:
    validated = LockFile.model_validate(yaml.safe_load(LOCK))
    fast = parse_canonical_lock(LOCK)
    assert fast is not None
    assert_same(fast, validated)
    for a, b in [(fast, validated), (fast.tunnels["t1"], validated.tunnels["t1"])]:
        assert a.__pydantic_extra__ == b.__pydantic_extra__
        assert a.__pydantic_private__ == b.__pydantic_private__
        assert list(a.__dict__) == list(b.__dict__)
        assert a.model_copy() == b and a.model_copy(deep=True) == b
        assert a.model_dump_json() == b.model_dump_json()
        assert pickle.loads(pickle.dumps(a)) == b and copy.deepcopy(a) == b
        assert repr(a) == repr(b)
    tunnel = fast.tunnels["t2"]
    with pytest.raises(ValidationError, match="frozen"):  # what lets the reader share values
        tunnel.index = 5  # type: ignore[misc]
    assert tunnel.index == validated.tunnels["t2"].index


def test_shared_values_never_leak_between_tunnels() -> None:
    """Equal fields-sets, names and types are one object per lock read; a copy with an update
    gets its own fields-set and values, and the tunnels it came from stay as they were."""
    t3 = "  t3:\n    site: s\n    device: d\n    wan: w\n    endpoint: e2\n    generated: false\n"
    text = LOCK.replace(
        LOCK_END, t3 + "    interface_address: 10.252.0.12/31\n    index: 1\n" + LOCK_END
    )
    fast = agrees(text)
    assert fast is not None
    second, third = fast.tunnels["t2"], fast.tunnels["t3"]
    assert second.__pydantic_fields_set__ is third.__pydantic_fields_set__
    assert second.endpoint is third.endpoint and second.site is fast.tunnels["t1"].site
    shape = set(second.model_fields_set)
    assert "cloudflare" not in shape
    changed = second.model_copy(update={"index": 9, "cloudflare": fast.tunnels["t1"].cloudflare})
    assert changed.__pydantic_fields_set__ is not second.__pydantic_fields_set__
    assert "cloudflare" in changed.model_fields_set
    assert second.model_fields_set == shape == third.model_fields_set
    assert (second.index, third.index, changed.index) == (0, 1, 9)


def test_the_key_order_is_the_models_field_order() -> None:
    assert list(CloudflareFacts.model_fields) == [
        "id",
        "type",
        "remote_identities",
        *lock_read._LATER_FACTS,
    ]
    assert tuple(RemoteIdentities.model_fields) == lock_read._IDENTITY_KEYS
    assert list(LockTunnel.model_fields) == ["site", "device", "wan", "endpoint", *TUNNEL_REST]
    assert sorted(INTERFACE_PREFIXLENS) == [30, 31]  # the block pattern admits /30 and /31


TUNNEL_REST = ["generated", "interface_address", "index", "cloudflare"]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([30, 31]))
def test_the_interface_is_built_as_its_constructor_builds_it(address: int, prefixlen: int) -> None:
    fast, real = lock_objects.interface(address, prefixlen), IPv4Interface((address, prefixlen))
    assert fast == real and hash(fast) == hash(real) and str(fast) == str(real)
    assert repr(fast) == repr(real) and fast.ip == real.ip and fast.hostmask == real.hostmask
    assert list(vars(fast)) == list(vars(real))
    assert list(vars(fast.network)) == list(vars(real.network))
    assert fast.network == real.network and type(fast.network) is IPv4Network
    assert list(fast.network.hosts()) == list(real.network.hosts())
    assert fast.network.broadcast_address == real.network.broadcast_address
    assert pickle.loads(pickle.dumps(fast)) == real and copy.deepcopy(fast) == real
    assert (interface_address_problem(fast) is None) == lock_read._allowed(address, prefixlen)


def test_the_address_rule_agrees_at_the_edges() -> None:
    for network in INTERFACE_RANGES:
        for address in (network.network_address, network.broadcast_address):
            for delta in (-2, -1, 0, 1, 2):
                for prefixlen in (30, 31):
                    n = (int(address) + delta) % 2**32
                    iface = IPv4Interface((n, prefixlen))
                    expected = interface_address_problem(iface) is None
                    assert lock_read._allowed(n, prefixlen) == expected


def alphabet(items: Any) -> set[str]:
    """Every character a parsed regular expression can match (ranges included)."""
    chars: set[str] = set()
    for op, arg in items:
        if op is sre_constants.LITERAL:
            chars.add(chr(arg))
        elif op is sre_constants.IN:
            for inner_op, inner in arg:
                if inner_op is sre_constants.LITERAL:
                    chars.add(chr(inner))
                elif inner_op is sre_constants.RANGE:
                    chars.update(chr(c) for c in range(inner[0], inner[1] + 1))
                else:
                    raise AssertionError(f"unexpected {inner_op} in a set")
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            chars |= alphabet(arg[2])
        elif op is sre_constants.SUBPATTERN:
            chars |= alphabet(arg[3])
        elif op is sre_constants.BRANCH:
            for branch in arg[1]:
                chars |= alphabet(branch)
        elif op is not sre_constants.AT:
            raise AssertionError(f"unexpected {op}: the alphabet would not be complete")
    return chars


def test_never_typed_characters_are_in_no_implicit_type() -> None:
    typed: set[str] = set()
    for resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.values():
        for _tag, rx in resolvers:
            typed |= alphabet(sre_parser.parse(rx.pattern, rx.flags))
    assert set(lock_read._NEVER_TYPED) == set(PLAIN_CHARS) - typed


SCALAR = re.compile(lock_read._strict())
NAME = re.compile(lock_read._strict(1024, r":\n"))


@settings(max_examples=2000, deadline=None)
@given(
    st.one_of(
        st.sampled_from(TRICKY),
        st.text(alphabet="0189abcdefnorstuxyzNOTXYZ_.-:+@/ ~<=!&*'\"\\#", max_size=10),
        st.text(alphabet=PLAIN_CHARS, min_size=1, max_size=40),
    )
)
def test_a_scalar_the_pattern_or_scalars_take_is_the_string_yaml_reads(raw: str) -> None:
    if "\n" in raw:
        return
    for pattern, line, end in ((SCALAR, f"k: {raw}\n", "\n"), (NAME, f"{raw}: k\n", ":\n")):
        try:
            loaded = yaml.safe_load(line)
        except yaml.YAMLError:
            loaded = None
        pair = next(iter(loaded.items())) if isinstance(loaded, dict) else None
        read = pair and (pair[1] if pattern is SCALAR else pair[0])
        match = pattern.fullmatch(raw + end)
        if match is not None:  # decided by the pattern alone
            assert read == match[1], raw
            assert pattern is NAME or lock_read._Scalars()[raw] == raw  # the two agree
        else:
            try:
                checked = lock_read._Scalars()[raw]
            except (lock_read._NotCanonicalError, ValueError):
                continue
            assert read == checked, raw


def test_objects_the_application_froze_stay_frozen() -> None:
    """The reader moves what it built to the oldest generation (gc.freeze + gc.unfreeze)
    only when nothing is frozen: unfreeze would thaw the application's objects."""
    assert gc.isenabled()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert parse_canonical_lock(LOCK) is not None
        assert gc.get_freeze_count() == frozen and gc.isenabled()
    finally:
        gc.unfreeze()
    assert parse_canonical_lock(LOCK) is not None
    assert gc.get_freeze_count() == 0 and gc.isenabled()
