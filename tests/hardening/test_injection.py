"""No inventory, lock, secrets or API string can add a line to a config or a command to a script.

Every outside string reaches the output through its vendor's encoder
(netgen/vendors/encoding.py). The property test feeds hostile strings into every string field
and the PSK for every vendor and checks that a render either fails with the field's NG code,
or is byte-for-byte the clean render with a marker value replaced by the hostile one (the value
landed only where the marker was, so it added no line, no word and no command).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netgen import api
from netgen.core.errors import UserError, safe_text
from netgen.state.lock import CloudflareFacts, LockFile, RemoteIdentities, dump_lock
from netgen.vendors.registry import load_registry
from tests.scenarios import SCENARIOS, identities_for, tunnel_id, write_inventory

REGISTRY = load_registry()
VENDORS = REGISTRY.ids()
MARK = "MRKzq9"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")

# Pieces of the hostile strings: line breaks of every kind, terminal escapes, quotes, shell and
# config syntax, Unicode format characters, and sheer length.
PIECES = [
    "\n",
    "\r",
    "\r\n",
    "\x00",
    "\x0b",
    "\x0c",
    "\x85",
    "\u2028",
    "\u2029",
    "\u202e",
    "\ufeff",
    "\x1b[2J",
    "\t",
    "'",
    '"',
    ";",
    "$(touch /tmp/PWNED)",
    "`id`",
    "${IFS}",
    "{",
    "}",
    "#",
    "!",
    "?",
    "\\",
    "|",
    "&&",
    " ",
    "set system services telnet",
    "é",
    "x" * 5000,
]
HOSTILE = (
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), min_size=1, max_size=5)
    .map("".join)
    .filter(bool)
)

Inv = dict[str, Any]
# each property runs a few renders per example: a handful of examples per field and vendor
PROPERTY = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _tunnel0(inv: Inv) -> Inv:
    tunnel: Inv = inv["sites"][0]["devices"][0]["tunnels"][0]
    return tunnel


def _set(path: tuple[str | int, ...]) -> Callable[[Inv, str], None]:
    def setter(inv: Inv, value: str) -> None:
        node: Any = inv
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return setter


DEVICE = ("sites", 0, "devices", 0)
# field -> (how to put a value into the inventory, codes a refusal may carry)
INVENTORY_FIELDS: dict[str, tuple[Callable[[Inv, str], None], set[str]]] = {
    "tunnel_description": (_set((*DEVICE, "tunnels", 0, "description")), {"NG502"}),
    "wan_interface": (_set((*DEVICE, "wan", 0, "interface")), {"NG502"}),
    "lan_interface": (_set((*DEVICE, "lan_interface")), {"NG502"}),
    "site_description": (_set(("sites", 0, "description")), {"NG502"}),
    "site_address": (_set(("sites", 0, "address")), {"NG502"}),
    "site_contact": (_set(("sites", 0, "contact")), {"NG502"}),
}


def _scenario(vendor: str) -> Inv:
    inv = SCENARIOS["mixed"](vendor, None)
    return inv


def _texts(result: Any) -> dict[str, str]:
    return {
        f.path: DIGEST.sub("sha256:-", f.content.decode())
        for f in result.files
        if f.path.startswith("sites/hq/")
    }


def _render(
    directory: Path, inv: Inv, *, lock: LockFile | None = None, psk: str | None = None
) -> dict[str, str]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "inventory.yaml"
    path.write_text(yaml.safe_dump(inv, sort_keys=False, allow_unicode=True))
    if lock is not None:
        (directory / "netgen.lock.yaml").write_text(dump_lock(lock))
    psks = {"hq_a_cf1": psk} if psk is not None else None
    result = api.render(path, None, devices=["hq-edge1"], psks=psks, reveal_secrets=psk is not None)
    return _texts(result)


def _expect_encoded(clean: dict[str, str], got: dict[str, str], value: str) -> None:
    """``got`` is ``clean`` with the marker replaced by ``value``, and nothing else changed."""
    want = {
        p: t.replace(MARK, value).replace(MARK.encode().hex(), value.encode().hex())
        for p, t in clean.items()
    }
    assert got == want
    for text in got.values():
        assert len(text.splitlines()) == len(text.split("\n")) - 1  # no stray line break


def _refused(exc: UserError, codes: set[str], value: str) -> None:
    got = {d.code for d in exc.diagnostics}
    # NG109: longer than any value netgen reads (refused by the loader, before any encoder)
    assert got <= codes | {"NG109"}, [d.format() for d in exc.diagnostics]
    for d in exc.diagnostics:
        line = d.format()
        assert line.isprintable(), line
        assert len(line) < 1000


class Locks:
    """The scenario's lock (fake API identities) per vendor; short repr for failure reports."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.locks: dict[str, LockFile] = {}

    def __getitem__(self, vendor: str) -> LockFile:
        if vendor not in self.locks:
            path = write_inventory(self.root / vendor, _scenario(vendor))
            self.locks[vendor] = api.open_session(path).allocation.lock
        return self.locks[vendor]

    def __repr__(self) -> str:
        return "Locks()"


@pytest.fixture(scope="module")
def clean_lock(tmp_path_factory: pytest.TempPathFactory) -> Locks:
    return Locks(tmp_path_factory.mktemp("locks"))


@pytest.mark.parametrize("field", sorted(INVENTORY_FIELDS))
@pytest.mark.parametrize("vendor", VENDORS)
@PROPERTY
@given(value=HOSTILE)
def test_hostile_inventory_strings_never_add_a_line(
    tmp_path: Path, clean_lock: Locks, vendor: str, field: str, value: str
) -> None:
    put, codes = INVENTORY_FIELDS[field]
    inv = _scenario(vendor)
    put(inv, MARK)
    clean = _render(tmp_path / "clean", inv, lock=clean_lock[vendor])
    put(inv, value)
    try:
        got = _render(tmp_path / "hostile", inv, lock=clean_lock[vendor])
    except UserError as exc:
        _refused(exc, codes, value)
        return
    # what the inventory holds after YAML's own line-break folding (NEL, CR LF, ...)
    loaded = yaml.safe_load(yaml.safe_dump({"v": value}, allow_unicode=True))["v"]
    _expect_encoded(clean, got, loaded)


def _lock_with_identity(base: LockFile, fqdn_id: str) -> LockFile:
    tunnels = dict(base.tunnels)
    name = "hq_a_cf1"
    ids = identities_for(name)
    facts = CloudflareFacts(
        id=tunnel_id(name),
        remote_identities=RemoteIdentities(fqdn_id=fqdn_id, user_id=ids.user_id, hex_id=ids.hex_id),
    )
    tunnels[name] = tunnels[name].model_copy(update={"cloudflare": facts})
    return LockFile(tunnels=tunnels)


@pytest.mark.parametrize("vendor", VENDORS)
@PROPERTY
@given(value=HOSTILE)
def test_hostile_identity_from_the_lock_never_adds_a_line(
    tmp_path: Path, clean_lock: Locks, vendor: str, value: str
) -> None:
    """Cloudflare's remote_identities land in the lock from API responses: hostile too."""
    inv = _scenario(vendor)
    clean = _render(tmp_path / "clean", inv, lock=_lock_with_identity(clean_lock[vendor], MARK))
    try:
        got = _render(
            tmp_path / "hostile", inv, lock=_lock_with_identity(clean_lock[vendor], value)
        )
    except UserError as exc:
        _refused(exc, {"NG502", "NG402"}, value)
        return
    _expect_encoded(clean, got, value)


@pytest.mark.parametrize("vendor", VENDORS)
@PROPERTY
@given(value=HOSTILE)
def test_hostile_psk_never_adds_a_line_and_is_never_shown(
    tmp_path: Path, clean_lock: Locks, vendor: str, value: str
) -> None:
    inv = _scenario(vendor)
    clean = _render(tmp_path / "clean", inv, lock=clean_lock[vendor], psk=MARK)
    try:
        got = _render(tmp_path / "hostile", inv, lock=clean_lock[vendor], psk=value)
    except UserError as exc:
        _refused(exc, {"NG704"}, value)
        for d in exc.diagnostics:
            if len(value.strip()) >= 4:
                assert value not in d.format() and value not in json.dumps(d.to_json())
        return
    _expect_encoded(clean, got, value)


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize("name", ["t1\n", "t1\r", "t1 ", "t1\u2028", "\nt1", "t1;x"])
def test_tunnel_name_must_match_entirely(tmp_path: Path, vendor: str, name: str) -> None:
    """`re.match(...$)` accepted one trailing newline: a name ending in one is NG301."""
    inv = _scenario(vendor)
    _tunnel0(inv)["name"] = name
    _tunnel0(inv)["description"] = "x && touch PWNED"
    path = write_inventory(tmp_path, inv, with_identities=False)
    with pytest.raises(UserError) as info:
        api.validate(path)
    assert "NG301" in {d.code for d in info.value.diagnostics}
    with pytest.raises(UserError) as info:
        api.render(path, None, allow_placeholders=True)
    assert "NG301" in {d.code for d in info.value.diagnostics}


def test_junos_lan_interface_cannot_add_set_lines(tmp_path: Path) -> None:
    inv = _scenario("juniper_srx")
    inv["sites"][0]["devices"][0]["lan_interface"] = "ge-0/0/2.0\nset system services telnet"
    path = write_inventory(tmp_path, inv)
    with pytest.raises(UserError) as info:
        api.render(path, None, devices=["hq-edge1"])
    diags = info.value.diagnostics
    assert [d.code for d in diags] == ["NG502"]
    assert diags[0].field is None and "lan_interface" in diags[0].message
    assert diags[0].position is not None and diags[0].position.line is not None


def test_junos_wan_interface_with_space_is_refused(tmp_path: Path) -> None:
    inv = _scenario("juniper_srx")
    inv["sites"][0]["devices"][0]["wan"][0]["interface"] = "ge-0/0/0.0 untrust"
    path = write_inventory(tmp_path, inv)
    with pytest.raises(UserError) as info:
        api.render(path, None, devices=["hq-edge1"])
    assert {d.code for d in info.value.diagnostics} == {"NG502"}


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netgen", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_inline_psk_is_never_echoed(tmp_path: Path) -> None:
    secret = "FAKE-psk-do-not-echo-1234"
    inv = _scenario("cisco_iosxe")
    _tunnel0(inv)["psk"] = secret
    path = write_inventory(tmp_path, inv, with_identities=False)
    for args in (("validate", path), ("validate", path, "--json")):
        out = _cli(*args)
        assert out.returncode == 1
        assert "NG203" in out.stderr + out.stdout
        assert secret not in out.stderr and secret not in out.stdout


def test_api_error_messages_cannot_drive_the_terminal(tmp_path: Path) -> None:
    path = write_inventory(tmp_path, _scenario("cisco_iosxe"))
    response = {
        "success": False,
        "errors": [{"code": 1000, "message": "bad\x1b[2J\x1b[1;1Hforged\nerror NG000: all good"}],
        "messages": [],
        "result": None,
    }
    resp = tmp_path / "resp.json"
    resp.write_text(json.dumps(response))
    out = _cli("import", path, resp)
    assert out.returncode == 1
    assert "\x1b" not in out.stderr and "\x1b" not in out.stdout
    assert not any(line.startswith("error NG000") for line in out.stderr.splitlines())
    assert "\\x1b[2J" in out.stderr


def test_safe_text_escapes_every_control_character() -> None:
    hostile = "".join(chr(c) for c in range(0x00, 0x20)) + "\x7f\x85\u2028\u2029\u202e"
    cleaned = safe_text(hostile)
    assert cleaned.isprintable() and cleaned.isascii()


def _shell_contexts(script: str, needle: str) -> set[str]:
    """Where ``needle`` occurs in a bash script: 'single' (inside '...'), 'comment', 'heredoc'
    (inside a quoted-delimiter here-document, which bash never expands) or 'code'."""
    found: set[str] = set()
    heredoc: str | None = None
    for line in script.split("\n"):
        if heredoc is not None:
            if line == heredoc:
                heredoc = None
            elif needle in line:
                found.add("heredoc")
            continue
        # quoting state per nesting level: None (bare), "'" or '"'; "$(" opens a new level
        stack: list[str | None] = [None]
        i = 0
        while i < len(line):
            c, quote = line[i], stack[-1]
            if line.startswith(needle, i):
                found.add("single" if quote == "'" else "code")
            if quote is None and c == "#" and (i == 0 or line[i - 1] in " \t"):
                if needle in line[i:]:
                    found.add("comment")
                break
            if quote != "'" and line.startswith("$(", i):
                stack.append(None)
                i += 1
            elif quote is None and c == ")" and len(stack) > 1:
                stack.pop()
            elif quote is None and c in "'\"":
                stack[-1] = c
            elif quote == c:
                stack[-1] = None
            elif quote == '"' and c == "\\":
                i += 1
            i += 1
        match = re.search(r"<<'(\w+)'", line)
        if match:
            heredoc = match.group(1)
    return found


@pytest.mark.parametrize("field", ["tunnel_description", "wan_interface"])
def test_network_sh_prints_outside_strings_only_quoted_or_in_comments(
    tmp_path: Path, clean_lock: Locks, field: str
) -> None:
    """The AST-level half of the shell guarantee: even a value the encoder accepts is never a
    bare word of network.sh, so it cannot become a command or an argument of one."""
    put, _ = INVENTORY_FIELDS[field]
    inv = _scenario("strongswan")
    put(inv, MARK)
    texts = _render(tmp_path, inv, lock=clean_lock["strongswan"])
    script = texts["sites/hq/hq-edge1.network.sh"]
    where = _shell_contexts(script, MARK)
    assert where and where <= {"single", "comment"}, where
    checked = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
    assert checked.returncode == 0, checked.stderr


def test_shell_context_lexer_sees_bare_words() -> None:
    assert _shell_contexts(f"ip link set {MARK} up", MARK) == {"code"}
    assert _shell_contexts(f'x="$(ip addr show dev {MARK})"', MARK) == {"code"}
    assert _shell_contexts(f"echo '{MARK}' # {MARK}", MARK) == {"single", "comment"}


def test_secrets_set_reads_a_bounded_psk_from_stdin(tmp_path: Path) -> None:
    path = write_inventory(tmp_path, _scenario("cisco_iosxe"))
    out = subprocess.run(
        [sys.executable, "-m", "netgen", "secrets", "set", str(path), "hq_a_cf1"],
        input="A" * 100_000,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1
    assert "NG109" in out.stderr and "AAAA" not in out.stderr
    assert not (tmp_path / "netgen.secrets.yaml").exists()
