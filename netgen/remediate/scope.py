"""Which lines of a running config are netgen's, for ``diff --running``.

A running config holds much more than netgen manages (NTP, users, ACLs, other tunnels). The
vendor profile's ``remediation.owned`` regexes say which lines are netgen's; ``captures`` first
collect names from the running and the intended config (netgen's tunnel interfaces are the ones
with netgen's "Cloudflare ..." description; the Cloudflare side of their /31s; the endpoints),
and ``{name}`` in a regex stands for the alternation of those names. Lines nothing matches are
never touched.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from netgen.vendors.registry import RemediationProfile

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_NOTHING = "(?!)"


def flat_lines(lines: Sequence[str], hierarchical: bool) -> list[str]:
    """Set-style lines as they are; for a hierarchical config each top-level line, and each
    child as ``parent child`` (so one regex can ask for an interface's description)."""
    if not hierarchical:
        return list(lines)
    out: list[str] = []
    parent = ""
    for line in lines:
        if line[:1].isspace():
            out.append(f"{parent} {line.strip()}")
        else:
            parent = line
            out.append(line)
    return out


def _alternation(values: Iterable[str]) -> str:
    found = sorted(set(values))
    return "(?:" + "|".join(re.escape(v) for v in found) + ")" if found else _NOTHING


def _peer(address: str) -> str | None:
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return None
    return str(ipaddress.IPv4Address(int(ip) ^ 1))


@dataclass(frozen=True)
class Ownership:
    patterns: tuple[re.Pattern[str], ...]

    def owns(self, line: str) -> bool:
        return any(p.search(line) for p in self.patterns)


def ownership(profile: RemediationProfile, *configs: Sequence[str]) -> Ownership:
    """The owned-line test for this vendor, with captures taken from ``configs`` (flat lines)."""
    values: dict[str, str] = {}

    def expand(regex: str) -> str:
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), _NOTHING), regex)

    for name, regex in profile.captures.items():
        pattern = re.compile(expand(regex))
        found = [m.group(1) for lines in configs for line in lines if (m := pattern.search(line))]
        if name.endswith("_peers"):
            found = [p for p in map(_peer, found) if p is not None]
        values[name] = _alternation(found)
    return Ownership(tuple(re.compile(expand(r)) for r in profile.owned))


REDACTED = "<redacted:running>"


def _with_ancestors(lines: Sequence[str]) -> list[tuple[tuple[str, ...], str]]:
    """Each line with the lines of its enclosing sections (by indentation)."""
    stack: list[tuple[int, str]] = []
    out = []
    for line in lines:
        depth = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= depth:
            stack.pop()
        out.append((tuple(text for _, text in stack), line))
        stack.append((depth, line))
    return out


def mask_secrets(
    profile: RemediationProfile, running: Sequence[str], intended: Sequence[str]
) -> list[str]:
    """``running`` with every secret value hidden: a secret line whose section and prefix an
    intended line shares becomes that (placeholder) line, so PSKs are never compared or shown;
    any other secret value becomes a redaction mark (quotes kept)."""
    patterns = [re.compile(r) for r in profile.secret_lines]
    known: dict[tuple[tuple[str, ...], str], str] = {}
    for ancestors, line in _with_ancestors(intended):
        for p in patterns:
            if m := p.match(line):
                known[(ancestors, m.group(1))] = line
    out = []
    for ancestors, line in _with_ancestors(running):
        for p in patterns:
            if m := p.match(line):
                value = m.group(2)
                quote = value[0] if value[:1] in ("'", '"') else ""
                mark = f"{m.group(1)}{quote}{REDACTED}{quote}"
                line = known.get((ancestors, m.group(1)), mark)
                break
        out.append(line)
    return out


REDACTED_FILE = "<redacted>"
REDACTED_CHANGED = "<redacted:changed>"


def redact_pair(profile: RemediationProfile, old: str, new: str) -> tuple[str, str]:
    """Two versions of one file with every secret value replaced (``diff OLD_DIR NEW_DIR`` of
    directories rendered with ``--reveal-secrets``): ``<redacted>``, or on the new side
    ``<redacted:changed>`` where the value at the same place differs."""
    patterns = [re.compile(r) for r in profile.secret_lines]

    def secrets(text: str) -> dict[tuple[tuple[str, ...], str], tuple[int, str, str]]:
        found = {}
        for i, (ancestors, line) in enumerate(_with_ancestors(text.split("\n"))):
            for p in patterns:
                if m := p.match(line):
                    found[(ancestors, m.group(1))] = (i, m.group(1), m.group(2))
                    break
        return found

    def masked(text: str, marks: dict[int, str]) -> str:
        lines = text.split("\n")
        for i, mark in marks.items():
            lines[i] = mark
        return "\n".join(lines)

    before, after = secrets(old), secrets(new)
    old_marks = {i: prefix + REDACTED_FILE for i, prefix, _ in before.values()}
    new_marks = {
        i: prefix
        + (REDACTED_CHANGED if key in before and before[key][2] != value else REDACTED_FILE)
        for key, (i, prefix, value) in after.items()
    }
    return masked(old, old_marks), masked(new, new_marks)
