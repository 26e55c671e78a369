"""Remediation and rollback for the strongSwan vendor: one bash script each way.

- ``<device>.swanctl.conf`` is declarative: ``swanctl --load-all`` replaces connections by name
  and unloads those no longer in it. It is parsed into sections (comments dropped) and compared
  per connection, key by key (dotted paths: ``children.<child>.esp_proposals``), and per secret
  (values compared, never printed). An IKE_SA keeps what it was negotiated with, so a removed
  connection is closed before the load, and a changed one (or one whose secret changed) is
  closed and initiated again after it.
- ``<device>.network.sh`` only adds or replaces (links, addresses, routes, rules, an nftables
  table it recreates), so running the new one updates everything it names and removes nothing.
  What the old one created is read from its ``ip`` and ``nft`` lines (heredocs skipped, except
  nft's table names); routes are keyed by table, prefix and metric, as the kernel keys them.
  What only the old one created is deleted after the new one ran; an XFRM link whose creating
  command changed is deleted before, since network.sh skips ``ip link add`` for an existing link.

Order: close removed connections, install swanctl.conf as its header documents (0600 in conf.d)
and load it, restart changed connections, run the new network.sh, delete the leftovers (routes,
rules, addresses, links, nftables tables). Every removal tolerates "already gone", so the script
can be re-run; every word from a file is ``shlex.quote``-d; lines the parsers do not understand
are ignored. The rollback is the same computation with the sides swapped.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

_Key = tuple[str, ...]

_TOLERANT = "2>/dev/null || true"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_KEY_VALUE = re.compile(r"^([^\s=#{}]+)\s*=\s*(.*)$")
_OPEN = re.compile(r"^([^\s=#{}]+)\s*\{$")
_HEREDOC = re.compile(r"(?<!<)<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)")  # not <<< here-strings
_STOP_WORDS = frozenset({"||", "&&", ";", "|", "&", "then", "do"})
_REDIRECT = re.compile(r"^\d*[<>]")
# `ip` objects -> the verbs that create one; abbreviations a script is likely to use
_CREATE = dict(link="add", tunnel="add", rule="add", address="add replace", route="add replace")
_ABBREVIATIONS = dict(l="link", a="address", addr="address", r="route", ro="route", ru="rule")
_ROUTE_TYPES = frozenset({"to", "unicast", "local", "throw", "unreachable", "blackhole"})


# ---------------------------------------------------------------------------------------------
# swanctl.conf


@dataclass
class _Section:
    values: dict[str, str] = field(default_factory=dict)
    sections: dict[str, _Section] = field(default_factory=dict)

    def flat(self, prefix: str = "") -> dict[str, str]:
        """Every value with its dotted path, in file order (subsections after values)."""
        out = {f"{prefix}{k}": v for k, v in self.values.items()}
        for name, sub in self.sections.items():
            out.update(sub.flat(f"{prefix}{name}."))
        return out


def _strip_comment(line: str) -> str:
    """``line`` without a ``#`` comment (a ``#`` inside double quotes is kept)."""
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            return line[:i]
    return line


def _parse_swanctl(text: str) -> _Section:
    """The section tree of a swanctl.conf; lines of any other shape are ignored."""
    root = _Section()
    stack = [root]
    for raw in text.splitlines():
        line = _strip_comment(raw).strip()
        if line == "}":
            if len(stack) > 1:
                stack.pop()
        elif opened := _OPEN.match(line):
            stack.append(stack[-1].sections.setdefault(opened.group(1), _Section()))
        elif pair := _KEY_VALUE.match(line):
            stack[-1].values[pair.group(1)] = pair.group(2).strip()
    return root


@dataclass(frozen=True)
class _Changes:
    """Sections of one kind (connections or secrets) added, removed and changed."""

    added: list[str]
    removed: list[str]
    changed: dict[str, list[str]]  # name -> dotted keys that differ


def _compare(old: Mapping[str, _Section], new: Mapping[str, _Section]) -> _Changes:
    changed: dict[str, list[str]] = {}
    for name in new:
        if name in old:
            before, after = old[name].flat(), new[name].flat()
            keys = [k for k in dict.fromkeys([*after, *before]) if before.get(k) != after.get(k)]
            if keys:
                changed[name] = keys
    return _Changes(
        added=[n for n in new if n not in old],
        removed=[n for n in old if n not in new],
        changed=changed,
    )


def _top(tree: _Section, name: str) -> dict[str, _Section]:
    section = tree.sections.get(name)
    return section.sections if section else {}


def _summary(conns: _Changes, secrets: _Changes) -> list[str]:
    q = shlex.quote
    lines = [f"# added {q(n)}" for n in conns.added]
    lines += [f"# removed {q(n)}" for n in conns.removed]
    lines += [f"# changed {q(n)}: {', '.join(map(q, k))}" for n, k in conns.changed.items()]
    lines += [f"# secret added {q(n)}" for n in secrets.added]
    lines += [f"# secret removed {q(n)}" for n in secrets.removed]
    lines += [f"# secret changed {q(n)}" for n in secrets.changed]
    return lines or ["# connections and secrets: unchanged"]


def _restarts(conns: _Changes, secrets: _Changes, new: Mapping[str, _Section]) -> list[str]:
    """Connections to close and initiate again: changed ones, and those whose secret changed
    (``ike-<connection>``, as rendered): an IKE_SA keeps the key it authenticated with."""
    names = list(conns.changed)
    names += [s.removeprefix("ike-") for s in secrets.changed if s.removeprefix("ike-") in new]
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class _SwanctlDiff:
    """Two swanctl.conf files compared: the new tree, and what changed."""

    new: dict[str, _Section]  # the new connections
    conns: _Changes
    secrets: _Changes

    @classmethod
    def of(cls, old_text: str | None, new_text: str | None) -> _SwanctlDiff:
        old, new = _parse_swanctl(old_text or ""), _parse_swanctl(new_text or "")
        conns = _compare(_top(old, "connections"), _top(new, "connections"))
        secrets = _compare(_top(old, "secrets"), _top(new, "secrets"))
        return cls(_top(new, "connections"), conns, secrets)


def _swanctl_steps(device: str, installed: bool, diff: _SwanctlDiff) -> list[str]:
    q = shlex.quote
    lines = []
    if diff.conns.removed:
        lines += ["", "# --- close the removed connections (the peer may be gone: no waiting)"]
        lines += [f"swanctl --terminate --ike {q(n)} --force || true" for n in diff.conns.removed]
    lines += ["", "# --- install swanctl.conf as its header says, and load it"]
    lines += [*_install_lines(device, installed), "swanctl --load-all"]
    restart = _restarts(diff.conns, diff.secrets, diff.new)
    if restart:
        lines += ["", "# --- restart the changed connections with their new settings"]
    for name in restart:
        lines.append(f"swanctl --terminate --ike {q(name)} || true")
        for child in diff.new[name].sections.get("children", _Section()).sections:
            warning = q(f"initiating {child} failed (charon keeps retrying)")
            lines.append(
                f"swanctl --initiate --child {q(child)} --ike {q(name)} --timeout 60 "
                f"|| warn {warning}"
            )
    return lines


_CONF_PATH = """\
conf=/etc/swanctl/conf.d/{device}.conf
if [[ ! -d /etc/swanctl/conf.d && -d /etc/strongswan/swanctl/conf.d ]]; then
    conf=/etc/strongswan/swanctl/conf.d/{device}.conf  # RHEL/Fedora
fi"""


def _install_lines(device: str, present: bool) -> list[str]:
    lines = _CONF_PATH.format(device=device).splitlines()
    if not present:
        return [*lines, 'rm -f -- "${conf}"']
    return [
        *lines,
        f'install -m 0600 -- "$(dirname "$0")/{device}.swanctl.conf" "${{conf}}.tmp"',
        'mv -f -- "${conf}.tmp" "${conf}"',
    ]


# ---------------------------------------------------------------------------------------------
# network.sh


@dataclass
class _Network:
    """What a network.sh creates, each in file order; values are the creating arguments."""

    links: dict[str, _Key] = field(default_factory=dict)  # name -> (object, *args)
    addresses: dict[_Key, None] = field(default_factory=dict)  # (address, dev)
    routes: dict[_Key, _Key] = field(default_factory=dict)  # (table, prefix, metric) -> args
    rules: dict[_Key, None] = field(default_factory=dict)  # args
    nft_tables: dict[_Key, None] = field(default_factory=dict)  # (family, name)


def _expands(line: str) -> bool:
    """Whether ``line`` has a ``$`` or backtick outside single quotes (a shell expansion)."""
    single = double = False
    for char in line:
        if char == "'" and not double:
            single = not single
        elif char == '"' and not single:
            double = not double
        elif char in "$`" and not single:
            return True
    return False


def _words(line: str) -> list[str]:
    """The words of one simple command, up to its first operator or redirection; [] for a
    line with expansions (their value is unknown here) or unbalanced quotes."""
    if _expands(line):
        return []
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return []
    out: list[str] = []
    for word in words:
        if word in _STOP_WORDS or word.endswith(";") or _REDIRECT.match(word):
            break
        out.append(word)
    return out


def _parse_network(text: str) -> _Network:
    net = _Network()
    heredoc: str | None = None
    nft_input = False
    for raw in text.splitlines():
        line = raw.strip()
        if heredoc is not None:
            if line == heredoc:
                heredoc = None
            elif nft_input:
                _record_nft(net, ["nft", "add", *_words(line)])
            continue
        if marker := _HEREDOC.search(line):
            heredoc, nft_input = marker.group(1), line.startswith("nft ")
        words = _words(line)
        if words[:1] == ["nft"]:
            _record_nft(net, words)
        elif words[:1] == ["ip"]:
            _record_ip(net, words[1:])
    return net


def _record_nft(net: _Network, words: list[str]) -> None:
    """``nft add|create table FAMILY NAME`` (or a ``table FAMILY NAME`` line of nft input)."""
    if len(words) >= 5 and words[1] in ("add", "create") and words[2] == "table":
        net.nft_tables[(words[3], words[4].removesuffix("{"))] = None


def _after(args: _Key, *keywords: str) -> str | None:
    for i, word in enumerate(args[:-1]):
        if word in keywords:
            return args[i + 1]
    return None


def _record_ip(net: _Network, words: list[str]) -> None:
    while words and words[0].startswith("-"):
        if words[0] in ("-n", "-netns", "-b", "-batch"):
            return  # another namespace or a batch file: not this host's state
        words = words[1:]
    obj = _ABBREVIATIONS.get(words[0], words[0]) if words else ""
    if len(words) < 3 or words[1] not in _CREATE.get(obj, "").split():
        return
    args = tuple(words[2:])
    if obj in ("link", "tunnel"):
        first = args[0]
        name = args[1] if first in ("name", "dev") and len(args) > 1 else None
        net.links[name or _after(args, "name") or first] = (obj, *args)
    elif obj == "address":
        address = _after(args, "local") or args[0]
        net.addresses[(_prefix(address, host=False), _after(args, "dev") or "")] = None
    elif obj == "route":
        net.routes[_route_key(args)] = args
    else:
        net.rules[args] = None


def _prefix(text: str, *, host: bool = True) -> str:
    """An address or prefix in one spelling (``default`` = 0.0.0.0/0, a bare address = /32)."""
    text = "0.0.0.0/0" if text == "default" else text
    try:
        return str(
            ipaddress.ip_network(text, strict=False) if host else ipaddress.ip_interface(text)
        )
    except ValueError:
        return text


def _route_key(args: _Key) -> _Key:
    """The kernel's identity of a route: table, prefix and metric (priority)."""
    words = list(args)
    while words and words[0] in _ROUTE_TYPES:
        words = words[1:]
    table = _after(args, "table") or "main"
    metric = _after(args, "metric", "priority", "preference") or "0"
    return ("main" if table == "254" else table, _prefix(words[0] if words else ""), metric)


def _recreated(old: _Network, new: _Network) -> list[str]:
    """Links in both whose creating command differs and that network.sh would not change in
    place (only GRE tunnels get ``ip tunnel change``)."""
    return [
        name
        for name, args in old.links.items()
        if name in new.links
        and new.links[name] != args
        and not (args[0] == new.links[name][0] == "tunnel")
    ]


def _leftovers(old: _Network, new: _Network, recreated: list[str]) -> list[str]:
    """Delete commands for what only ``old`` created: routes and rules first, then addresses
    on links that stay, the links, and nftables tables."""
    q = shlex.quote
    lines = [f"ip route del {shlex.join(a)}" for k, a in old.routes.items() if k not in new.routes]
    lines += [f"ip rule del {shlex.join(r)}" for r in old.rules if r not in new.rules]
    gone = {n for n in old.links if n not in new.links} | set(recreated)
    for address, dev in old.addresses:
        if (address, dev) not in new.addresses and dev not in gone:
            lines.append(f"ip addr del {q(address)} dev {q(dev)}")
    lines += [f"ip link del {q(n)}" for n in old.links if n not in new.links]
    lines += [
        f"nft delete table {q(f)} {q(t)}" for f, t in old.nft_tables if (f, t) not in new.nft_tables
    ]
    return [f"{line} {_TOLERANT}" for line in lines]


def _network_steps(device: str, old_text: str | None, new_text: str | None) -> list[str]:
    old, new = _parse_network(old_text or ""), _parse_network(new_text or "")
    recreated = _recreated(old, new)
    lines = ["", "# --- host networking: the new network.sh (it only adds and replaces)"]
    for name in recreated:
        lines.append(f"ip link del {shlex.quote(name)} {_TOLERANT}  # recreated by network.sh")
    if new_text is not None:
        lines.append(f'bash "$(dirname "$0")/{device}.network.sh"')
    else:
        lines.append("# (no network.sh any more; its strongswan.d drop-in is left for charon)")
    removals = _leftovers(old, new, recreated)
    if removals:
        lines += ["", "# --- remove what only the old network.sh created", *removals]
    return lines


# ---------------------------------------------------------------------------------------------
# the scripts


def _file(files: Mapping[str, str], name: str) -> str | None:
    """The text of the file called ``name`` (keys may be bare names or paths)."""
    for key in sorted(files):
        if PurePosixPath(key).name == name:
            return files[key]
    return None


def _significant(text: str | None) -> list[str] | None:
    """The lines that matter: comments, blank lines and indentation dropped."""
    if text is None:
        return None
    stripped = (line.strip() for line in text.splitlines())
    return [line for line in stripped if line and not line.startswith("#")]


_HEADER = """#!/bin/bash
set -euo pipefail
# netgen diff: strongSwan remediation for {device} (swanctl.conf and network.sh)"""
_PRELUDE = """
failed=0
warn() {
    printf '%s: WARNING: %s\\n' "${0##*/}" "$*" >&2
    failed=1
}
[[ ${EUID} -eq 0 ]] || { echo "${0##*/}: must run as root" >&2; exit 1; }"""


def _script(old: Mapping[str, str], new: Mapping[str, str], device: str) -> list[str]:
    conf_name, net_name = f"{device}.swanctl.conf", f"{device}.network.sh"
    old_conf, new_conf = _file(old, conf_name), _file(new, conf_name)
    old_net, new_net = _file(old, net_name), _file(new, net_name)
    conf_differs = _significant(old_conf) != _significant(new_conf)
    net_differs = _significant(old_net) != _significant(new_net)
    if not (conf_differs or net_differs):
        return []
    diff = _SwanctlDiff.of(old_conf, new_conf)
    lines = [*_HEADER.format(device=device).splitlines(), *_summary(diff.conns, diff.secrets)]
    lines += _PRELUDE.splitlines()
    if old_conf != new_conf:  # also for comments: the installed copy stays the packet's
        lines += _swanctl_steps(device, new_conf is not None, diff)
    if net_differs:
        lines += _network_steps(device, old_net, new_net)
    return [*lines, "", 'exit "${failed}"']


def remediate_strongswan(
    old: Mapping[str, str], new: Mapping[str, str], device: str
) -> tuple[list[str], list[str]]:
    """(remediation, rollback) as lines of one bash script each."""
    if not _SAFE_NAME.match(device) or shlex.quote(device) != device:
        raise ValueError(f"device name {device!r} cannot be used in a file name in a script")
    return _script(old, new, device), _script(new, old, device)
