"""Check VyOS 1.4/1.5 ``set`` commands against VyOS's own reference tree.

The trees (``vyos/vyos-<version>-reftree.json.gz``, LGPL-2.1, format in its README) stay in
``../shared/vendor-data`` beside the repository. Checked, as VyOS's ``set`` and commit do:

* keywords exist (``node``/``tag``/``leaf``); unknown ones are reported with close matches;
* tag names and leaf values satisfy the node's constraints: a value passes if any
  ``constraint`` item or every item of some ``constraintGroup`` passes; regexes are full
  matches; validators are re-implemented here (``_VALIDATORS``); tag names must not contain
  whitespace, braces, brackets, quotes or ``#``;
* valueless leaves take no value, others exactly one; a non-``multi`` leaf set twice to
  different values is reported;
* ``ref``: a referenced name (an ike-group used by a peer, a vti bound to a peer, ...) must
  be defined by some ``set`` line under the referenced path.

Not checked: VyOS's Python ``verify()`` rules (cross-field semantics) and validators that
depend on the router itself (``file-path``, ``script``) or occur only outside the paths
netgen renders (BGP community formats, ...): such values are accepted.
"""

from __future__ import annotations

import difflib
import functools
import gzip
import ipaddress
import itertools
import json
import os
import re
import shlex
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

VENDOR_DATA_ENV = "NETGEN_VENDOR_DATA"
VYOS_VERSIONS = ("1.4", "1.5")


def vendor_data_dir() -> Path:
    """The vendors' schema data (kept outside the project for licence reasons).

    ``$NETGEN_VENDOR_DATA`` overrides; otherwise ``../shared/vendor-data`` beside the
    repository. The directory may be missing: tests that need it skip with the path they
    looked at.
    """
    override = os.environ.get(VENDOR_DATA_ENV)
    if override:
        return Path(override)
    return (Path(__file__).resolve().parents[2] / ".." / "shared" / "vendor-data").resolve()


@dataclass(frozen=True)
class SchemaError:
    """One rejected line: 1-based line number, the line as given, and why."""

    line_no: int
    line: str
    message: str


@dataclass(frozen=True, slots=True)
class Constraint:
    """A regex (full match) or a named validator with its arguments."""

    regex: str | None = None
    validator: str = ""
    args: tuple[str, ...] = ()

    def describe(self) -> str:
        """Return a short human-readable form for error messages."""
        if self.regex is not None:
            text = self.regex if len(self.regex) <= 80 else self.regex[:77] + "..."
            return f"regex {text}"
        return " ".join((self.validator, *self.args))


@dataclass(slots=True)
class VyosNode:
    """One reference-tree node: ``node``, ``tag`` or ``leaf``."""

    kind: str
    children: dict[str, VyosNode] = field(default_factory=dict)
    constraints: tuple[Constraint, ...] = ()
    groups: tuple[tuple[Constraint, ...], ...] = ()
    valueless: bool = False
    multi: bool = False
    refs: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True, slots=True)
class VyosTree:
    """A loaded reference tree for one VyOS version."""

    version: str
    root: VyosNode


def _constraint(raw: dict[str, str]) -> Constraint:
    if "regex" in raw:
        return Constraint(regex=raw["regex"])
    name, *rest = raw["validator"].split()
    return Constraint(validator=name, args=(*rest, *shlex.split(raw.get("argument", ""))))


def _build(raw: dict[str, Any]) -> VyosNode:
    return VyosNode(
        kind=raw.get("type", "node"),
        children={k: _build(v) for k, v in raw.get("children", {}).items()},
        constraints=tuple(_constraint(c) for c in raw.get("constraint", ())),
        groups=tuple(tuple(_constraint(c) for c in g) for g in raw.get("constraintGroup", ())),
        valueless=bool(raw.get("valueless")),
        multi=bool(raw.get("multi")),
        refs=tuple(r for r in raw.get("ref", ()) if "$" not in r),
        error=raw.get("error", ""),
    )


@functools.lru_cache(maxsize=len(VYOS_VERSIONS))
def load_vyos_tree(version: str) -> VyosTree:
    """Load (once) the VyOS reference tree for ``version`` ("1.4" or "1.5").

    Raises:
        ValueError: unknown version.
        FileNotFoundError: the vendor data is not there.
    """
    if version not in VYOS_VERSIONS:
        raise ValueError(f"VyOS version must be one of {VYOS_VERSIONS}, not {version!r}")
    path = vendor_data_dir() / "vyos" / f"vyos-{version}-reftree.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return VyosTree(version, _build(json.load(fh)))


# --- regexes and validators ---------------------------------------------------------------

# POSIX bracket classes used by the trees' PCRE patterns, which Python's re lacks.
_POSIX_CLASSES = {"alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "space": r"\s", "ascii": r"\x00-\x7f"}


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    """Compile a PCRE pattern from the tree (POSIX bracket classes translated)."""
    return re.compile(re.sub(r"\[:(\w+):\]", lambda m: _POSIX_CLASSES[m.group(1)], pattern))


_V4 = re.compile(r"(?:(?:[1-9]\d{0,2}|0)\.){3}(?:[1-9]\d{0,2}|0)")
_V6 = re.compile(r"[0-9a-fA-F:]+")
_Addr = ipaddress.IPv4Address | ipaddress.IPv6Address
_Iface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


def _single(value: str, family: int = 0) -> _Addr | None:
    """Parse an address without prefix length (``family`` 4, 6 or 0 for either)."""
    try:
        if family != 6 and _V4.fullmatch(value):
            return ipaddress.IPv4Address(value)
        if family != 4 and _V6.fullmatch(value):
            return ipaddress.IPv6Address(value)
    except ValueError:
        pass
    return None


def _cidr(value: str, family: int = 0) -> _Iface | None:
    """Parse ``address/prefixlen`` (``family`` 4, 6 or 0 for either)."""
    addr, _, plen = value.partition("/")
    if not plen.isdigit() or _single(addr, family) is None:
        return None
    try:
        return ipaddress.ip_interface(value)
    except ValueError:
        return None


def _net(value: str, family: int = 0) -> bool:
    """A network address with prefix length (host bits zero), as ipaddrcheck --is-*-net."""
    iface = _cidr(value, family)
    return iface is not None and iface.ip == iface.network.network_address


def _host(value: str, family: int = 0) -> bool:
    """An address with prefix length that is not the network address (/31, /32 always are)."""
    iface = _cidr(value, family)
    if iface is None:
        return False
    net = iface.network
    return iface.ip != net.network_address or net.prefixlen >= net.max_prefixlen - 1


def _range(value: str, family: int) -> bool:
    low, sep, high = value.partition("-")
    first, last = _single(low, family), _single(high, family)
    return bool(sep and first and last) and int(first or 0) <= int(last or 0)


def _number(text: str, opts: set[str], ranges: list[tuple[float, ...]]) -> bool:
    pattern = r"[+-]?\d+(?:\.\d+)?" if "--float" in opts else r"[+-]?\d+"
    if not re.fullmatch(pattern, text):
        return False
    num = float(text) if "--float" in opts else int(text)
    if ("--non-negative" in opts and num < 0) or ("--positive" in opts and num <= 0):
        return False
    return not ranges or any(lo <= num <= hi for lo, hi in ranges)


def _numeric(value: str, args: tuple[str, ...]) -> bool:
    """vyos-utils ``numeric``: --range a-b (repeatable), --positive, --non-negative, ..."""
    opts = {a for a in args if a.startswith("--")}
    ranges = [
        tuple(map(float, b.split("-", 1))) for a, b in itertools.pairwise(args) if a == "--range"
    ]
    if "--relative" in opts and value[:1] in "+-":
        value = value[1:]
    if "--allow-range" in opts and "-" in value[1:]:
        low, _, high = value.partition("-")
        return (
            _number(low, opts, ranges) and _number(high, opts, ranges) and float(low) <= float(high)
        )
    return _number(value, opts, ranges)


def _port_range(value: str) -> bool:
    """A port 1-65535, or a range ``low-high`` of them."""
    ports = value.split("-")
    valid = len(ports) <= 2 and all(p.isdigit() and 0 < int(p) <= 65535 for p in ports)
    return valid and int(ports[0]) <= int(ports[-1])


_SERVICE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.+-]*")
_IP_PROTOCOL = re.compile(
    r"!?(all|ip|hopopt|icmp|igmp|ggp|ipencap|st|tcp|egp|igp|pup|udp|tcp_udp|hmp|xns-idp|rdp|"
    r"iso-tp4|dccp|xtp|ddp|idpr-cmtp|ipv6|ipv6-route|ipv6-frag|idrp|rsvp|gre|esp|ah|skip|"
    r"ipv6-icmp|icmpv6|ipv6-nonxt|ipv6-opts|rspf|vmtp|eigrp|ospf|ax.25|ipip|etherip|encap|99|"
    r"pim|ipcomp|vrrp|l2tp|isis|sctp|fc|mobility-header|udplite|mpls-in-ip|manet|hip|shim6|"
    r"wesp|rohc)"
)
_VRF_NOT = re.compile(
    r"(bond|br|dum|eth|lan|eno|ens|enp|enx|gnv|ipoe|l2tp|l2tpeth|vtun|ppp|pppoe|peth|tun|vti|"
    r"vxlan|wg|wlan|wlm)\d+(\.\d+(v.+)?)?"
)


def _url(value: str, args: tuple[str, ...]) -> bool:
    schemes = {b for a, b in itertools.pairwise(args) if a == "--scheme"}
    if "--file-transport" in args:
        schemes |= {"http", "https", "ftp", "ftps", "sftp", "scp", "tftp", "file"}
    parts = urlsplit(value)
    return bool(parts.scheme) and (not schemes or parts.scheme in schemes)


_VALIDATORS: dict[str, Callable[[str, tuple[str, ...]], bool]] = {
    "numeric": _numeric,
    "ipv4": lambda v, a: _single(v, 4) is not None or _cidr(v, 4) is not None,
    "ipv4-address": lambda v, a: _single(v, 4) is not None,
    "ipv4-prefix": lambda v, a: _net(v, 4),
    "ipv4-host": lambda v, a: _host(v, 4),
    "ipv4-range": lambda v, a: _range(v, 4),
    "ipv4-multicast": lambda v, a: (x := _single(v, 4)) is not None and x.is_multicast,
    "ipv6": lambda v, a: _single(v, 6) is not None or _cidr(v, 6) is not None,
    "ipv6-address": lambda v, a: _single(v, 6) is not None,
    "ipv6-prefix": lambda v, a: _net(v, 6),
    "ipv6-host": lambda v, a: _host(v, 6),
    "ipv6-range": lambda v, a: _range(v, 6),
    "ipv6-multicast": lambda v, a: (x := _single(v, 6)) is not None and x.is_multicast,
    "ipv6-link-local": lambda v, a: (x := _single(v, 6)) is not None and x.is_link_local,
    "ipv6-eui64-prefix": lambda v, a: (x := _cidr(v, 6)) is not None and x.network.prefixlen == 64,
    "ipv6-srv6-segments": lambda v, a: all(_single(s, 6) for s in v.split("/")),
    "ip-address": lambda v, a: _single(v) is not None,
    "ip-prefix": lambda v, a: _net(v),
    "ip-host": lambda v, a: _host(v),
    "ip-cidr": lambda v, a: _cidr(v) is not None,
    "fqdn": lambda v, a: re.fullmatch(r"[A-Za-z0-9][-.A-Za-z0-9]*", v) is not None,
    "mac-address": lambda v, a: re.fullmatch(r"([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}", v) is not None,
    "port-range": lambda v, a: _port_range(v),
    "port-multi": lambda v, a: all(
        _port_range(p) or _SERVICE_NAME.fullmatch(p) for p in v.split(",")
    ),
    "ip-protocol": lambda v, a: (v.isdigit() and int(v) <= 255) or bool(_IP_PROTOCOL.fullmatch(v)),
    "vrf-name": lambda v, a: 0 < len(v) <= 16 and v != "lo" and not _VRF_NOT.fullmatch(v),
    "base64": lambda v, a: re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", v) is not None and len(v) % 4 == 0,
    "as-number-list": lambda v, a: all(_numeric(n, ("--range", "1-4294967294")) for n in v.split()),
    "timezone": lambda v, a: v in (zoneinfo.available_timezones() or {v}) | {"UTC"},
    "url": _url,
    "sysctl": lambda v, a: re.fullmatch(r"[a-z0-9_]+(\.[A-Za-z0-9_-]+)+", v) is not None,
}
# Validators deliberately not re-implemented (value accepted): ``file-path`` and ``script``
# depend on the router's filesystem; BGP community/RD formats, ``ddclient-protocol``,
# ``wireless-phy`` and ``ipv4-range-mask`` do not occur on the paths netgen renders.


def _check(con: Constraint, value: str) -> bool:
    if con.regex is not None:
        return _regex(con.regex).fullmatch(value) is not None
    name = con.validator
    if name not in _VALIDATORS and name.endswith("-exclude"):
        base = _VALIDATORS.get(name.removesuffix("-exclude"))
        return base is None or (value.startswith("!") and base(value[1:], con.args))
    func = _VALIDATORS.get(name)
    return func is None or func(value, con.args)


def _value_ok(node: VyosNode, value: str) -> bool:
    if not node.constraints and not node.groups:
        return True
    return any(_check(c, value) for c in node.constraints) or any(
        all(_check(c, value) for c in group) for group in node.groups
    )


def _value_error(node: VyosNode) -> str:
    parts = [c.describe() for c in node.constraints]
    parts += [" and ".join(c.describe() for c in g) for g in node.groups]
    expected = " | ".join(parts)
    return f"{node.error} (expected {expected})" if node.error else f"expected {expected}"


def _ref_applies(node: VyosNode, value: str) -> bool:
    """Whether a ``ref`` binds this value.

    Some refs are completion hints for one alternative only: e.g. ``inbound-interface name``
    (interface-name regex, or a VRF) and ``vrf`` leaves (``default``, or a VRF). A value that
    matches a regex of a node that also has a validator is that other alternative.
    """
    has_validator = any(c.regex is None for c in node.constraints)
    regex_hit = any(c.regex is not None and _check(c, value) for c in node.constraints)
    return not (has_validator and regex_hit)


_ILLEGAL_NAME = re.compile(r"[\s{}\[\]\"'#]")


@dataclass
class _Checker:
    tree: VyosTree
    errors: list[SchemaError] = field(default_factory=list)
    defined: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    refs: list[tuple[int, str, str, str, tuple[str, ...]]] = field(default_factory=list)
    leaves: dict[tuple[str, ...], tuple[str, int]] = field(default_factory=dict)

    def line(self, no: int, line: str) -> None:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            self.errors.append(SchemaError(no, line, f"cannot split line: {exc}"))
            return
        if words[0] != "set" or len(words) < 2:
            self.errors.append(SchemaError(no, line, "not a 'set <path>' command"))
            return
        message = self.walk(no, line, words[1:])
        if message:
            self.errors.append(SchemaError(no, line, message))

    def walk(self, no: int, line: str, words: list[str]) -> str | None:
        node, keys, full = self.tree.root, list[str](), list[str]()
        i = 0
        while i < len(words):
            word, where = words[i], " ".join(full) or "top level"
            child = node.children.get(word)
            if child is None:
                close = difflib.get_close_matches(word, list(node.children), n=4, cutoff=0.6)
                hint = f"; did you mean: {', '.join(close)}?" if close else ""
                return f"unknown keyword '{word}' under '{where}'{hint}"
            node, i = child, i + 1
            keys.append(word)
            full.append(word)
            shown = " ".join(full)
            if node.kind == "node":
                continue
            rest = words[i:]
            if node.kind == "tag":
                if not rest:
                    return f"'{shown}' requires a name"
                name = rest[0]
                if _ILLEGAL_NAME.search(name) or not _value_ok(node, name):
                    return f"invalid name '{name}' for '{shown}': {_value_error(node)}"
                self.defined[" ".join(keys)].add(name)
                self.add_ref(no, line, shown, name, node)
                full.append(name)
                i += 1
                continue
            if node.valueless:
                return f"'{shown}' takes no value (got '{' '.join(rest)}')" if rest else None
            if len(rest) != 1:
                got = f"{len(rest)} values {rest}" if rest else "none"
                return f"'{shown}' requires exactly one value (got {got})"
            value = rest[0]
            if not _value_ok(node, value):
                return f"invalid value '{value}' for '{shown}': {_value_error(node)}"
            self.add_ref(no, line, shown, value, node)
            seen = self.leaves.setdefault(tuple(full), (value, no))
            if not node.multi and seen[0] != value:
                return f"'{shown}' is not multi-valued; already '{seen[0]}' on line {seen[1]}"
            return None
        return None

    def add_ref(self, no: int, line: str, shown: str, value: str, node: VyosNode) -> None:
        if node.refs and _ref_applies(node, value):
            self.refs.append((no, line, shown, value.removeprefix("!"), node.refs))

    def check_refs(self) -> None:
        for no, line, shown, value, targets in self.refs:
            if not any(value in self.defined[t] for t in targets):
                wanted = " or ".join(f"'{t} {value}'" for t in targets)
                msg = f"'{shown}' refers to '{value}', but no {wanted} is defined"
                self.errors.append(SchemaError(no, line, msg))


def validate_vyos(lines: Iterable[str], version: str) -> list[SchemaError]:
    """Validate VyOS config-mode commands against the ``version`` reference tree.

    Args:
        lines: ``set ...`` commands; blank lines and ``#`` comments are skipped, values may
            be single- or double-quoted (shell rules, as VyOS's CLI).
        version: "1.4" or "1.5".

    Returns:
        One SchemaError per rejected line (first problem found on the line), then one per
        unresolved ``ref``, in line order.
    """
    checker = _Checker(load_vyos_tree(version))
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            checker.line(no, line)
    checker.check_refs()
    return sorted(checker.errors, key=lambda e: e.line_no)
