"""Lock file: the canonical fast reader agrees with the full YAML + schema reader."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from netgen.state.lock import (
    LOCK_END,
    CloudflareFacts,
    LockFile,
    LockTunnel,
    RemoteIdentities,
    dump_lock,
)
from netgen.state.lock_read import parse_canonical_lock, parse_lock_text

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
