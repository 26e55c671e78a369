"""Remediation for vendors configured with flat ``set`` lines applied in one commit (Junos,
VyOS): netgen computes the ``delete``/``set`` lines itself.

hier_config's Junos and VyOS drivers treat every ``set`` line as a leaf: removing a tunnel
gives one ``delete`` per leaf and leaves the emptied gateway, unit or peer behind, which the
commit then refuses (a gateway without an address). Here the vendor profile names the objects
netgen owns (``remediation.objects``: ``security ike gateway CF-*``); an object that changed is
deleted as a whole and set again, which the commit turns into the minimal change, and an object
that only gained lines just gets them. Lines outside any object are deleted or set one by one;
a line that sets a single-valued leaf (``remediation.leaves``) is deleted without its value.
The commit makes the order irrelevant to the device; deletes come first so a reader sees what
goes before what comes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from fnmatch import fnmatchcase

from netgen.vendors.registry import RemediationProfile

Words = tuple[str, ...]
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|\S+')


def words(line: str) -> Words:
    """The words of a ``set`` line after ``set`` (quoted words kept as written)."""
    found = tuple(_TOKEN.findall(line))
    return found[1:] if found[:1] == ("set",) else found


def _bare(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


def _patterns(raw: Iterable[str]) -> list[Words]:
    return [tuple(p.split()) for p in raw]


def _matches(pattern: Words, line: Words) -> bool:
    return len(line) >= len(pattern) and all(
        fnmatchcase(_bare(w), p) for p, w in zip(pattern, line, strict=False)
    )


class SetModel:
    """A vendor's object and leaf patterns."""

    def __init__(self, profile: RemediationProfile) -> None:
        self.objects = sorted(_patterns(profile.objects), key=len, reverse=True)
        self.leaves = _patterns(profile.leaves)

    def object_of(self, line: Words) -> Words | None:
        """The object ``line`` belongs to (its first words), or None."""
        for pattern in self.objects:
            if len(line) > len(pattern) and _matches(pattern, line):
                return line[: len(pattern)]
        return None

    def delete_words(self, line: Words) -> Words:
        """What ``delete`` names to remove ``line``: a leaf without its value."""
        if any(len(line) == len(p) + 1 and _matches(p, line) for p in self.leaves):
            return line[:-1]
        return line


def _dedupe(lines: Iterable[str]) -> list[Words]:
    return list(dict.fromkeys(w for w in map(words, lines) if w))


def remediate_set(profile: RemediationProfile, old: Sequence[str], new: Sequence[str]) -> list[str]:
    """The ``delete``/``set`` lines that turn config ``old`` into ``new`` (both ``set`` lines)."""
    model = SetModel(profile)
    before, after = _dedupe(old), _dedupe(new)
    position = {line: i for i, line in enumerate(after)}
    groups_old: dict[Words, list[Words]] = {}
    groups_new: dict[Words, list[Words]] = {}
    kinds: dict[Words, bool] = {}  # group key -> is an object
    for lines, groups in ((before, groups_old), (after, groups_new)):
        for line in lines:
            obj = model.object_of(line)
            key = obj if obj is not None else line
            kinds[key] = obj is not None
            groups.setdefault(key, []).append(line)
    deletes: list[Words] = []
    sets: list[Words] = []
    for key in dict.fromkeys([*groups_old, *groups_new]):
        o, n = groups_old.get(key, []), groups_new.get(key, [])
        if set(o) == set(n):
            continue
        if not kinds[key]:
            (sets if n else deletes).append(key if n else model.delete_words(key))
        elif o and not set(o) <= set(n):
            deletes.append(key)
            sets.extend(n)
        else:
            sets.extend(line for line in n if line not in set(o))
    sets.sort(key=position.__getitem__)
    return [" ".join(("delete", *d)) for d in deletes] + [" ".join(("set", *s)) for s in sets]


def apply_set(lines: Sequence[str], commands: Sequence[str]) -> set[Words]:
    """The config ``lines`` after ``commands`` as a candidate sees them: ``delete P`` removes
    every line under P, ``set L`` adds L. An independent check of :func:`remediate_set`."""
    config = {tuple(_bare(w) for w in words(line)) for line in lines if words(line)}
    for command in commands:
        found = tuple(_TOKEN.findall(command))
        verb, path = found[0], tuple(_bare(w) for w in found[1:])
        if verb == "delete":
            config = {line for line in config if line[: len(path)] != path}
        else:
            config.add(path)
    return config


def bare_config(lines: Sequence[str]) -> set[Words]:
    return apply_set(lines, [])


def in_scope(
    profile: RemediationProfile,
    running: Sequence[str],
    intended: Sequence[str],
    owns: Callable[[str], bool],
) -> list[str]:
    """The lines of ``running`` that are netgen's: owned, or in an object (or equal to a line)
    of the intended config."""
    model = SetModel(profile)
    wanted = {model.object_of(w) or w for w in map(words, intended) if w}
    return [
        line
        for line in running
        if (w := words(line)) and (owns(line) or (model.object_of(w) or w) in wanted)
    ]
