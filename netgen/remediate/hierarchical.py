"""Remediation for hierarchical CLIs applied line by line (IOS-XE), with hier_config.

hier_config computes what to negate and what to add; it does not know that IOS applies each
line at once, so netgen orders the result (vendor profile ``remediation``):

- removals by dependency: ``remove_first`` negations (routes, then tunnel interfaces) before
  anything is added, ``remove_last`` negations (IPsec profile → IKEv2 profile → keyring →
  policy → proposal → transform set) after the additions that stop referencing them;
- sections whose children's order matters (``ordered``: an IKEv2 policy's proposals) are
  rebuilt when only the order changed, which hier_config would not report;
- a section netgen only adds to (``shared``: the LAN interface that carries its route-map) is
  never negated as a whole: only the children netgen set are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from hier_config import HConfig, Platform, WorkflowRemediation, get_hconfig
from hier_config.child import HConfigChild

from netgen.vendors.registry import RemediationProfile

Block = tuple[str, list[str]]  # top-level line, child lines (indented)


def parse(profile: RemediationProfile, lines: Sequence[str]) -> HConfig:
    return get_hconfig(Platform[profile.hier_config_platform or ""], "\n".join(lines))


def _child_lines(node: HConfigChild, depth: int = 1) -> list[str]:
    out = []
    for child in node.children:
        out.append(" " * depth + child.text)
        out.extend(_child_lines(child, depth + 1))
    return out


def _blocks(config: HConfig) -> list[Block]:
    return [(c.text, _child_lines(c)) for c in config.children]


def _children_texts(config: HConfig, text: str) -> list[str] | None:
    section = config.get_child(equals=text)
    return None if section is None else [c.text for c in section.children]


def _keep_shared(profile: RemediationProfile, blocks: list[Block], before: HConfig) -> list[Block]:
    """``no <section>`` of a section netgen only adds to becomes the negation of its
    children (netgen's additions to someone else's interface)."""
    out = []
    for text, children in blocks:
        if text.startswith("no ") and _rank(profile.shared, text[3:]) is not None:
            old = _children_texts(before, text[3:]) or []
            out.append((text[3:], [f" no {c}" for c in old]))
        else:
            out.append((text, children))
    return out


def _reordered(
    profile: RemediationProfile, blocks: list[Block], before: HConfig, after: HConfig
) -> list[Block]:
    """Rebuild ordered sections whose children kept their set but changed their order."""
    patterns = [re.compile(r) for r in profile.ordered]
    out = list(blocks)
    for section in after.children:
        if not any(p.search(section.text) for p in patterns):
            continue
        old = _children_texts(before, section.text)
        new = [c.text for c in section.children]
        if old is None or old == new:
            continue
        common_old = [c for c in old if c in new]
        common_new = [c for c in new if c in old]
        if common_old == common_new:
            continue  # only additions/removals: hier_config's own lines are right
        rebuilt = (section.text, [f" no {c}" for c in old] + [f" {c}" for c in new])
        out = [b for b in out if b[0] != section.text]
        out.append(rebuilt)
    return out


def _rank(patterns: Sequence[str], text: str) -> int | None:
    for i, p in enumerate(patterns):
        if re.search(p, text):
            return i
    return None


def _ordered(profile: RemediationProfile, blocks: list[Block]) -> list[Block]:
    first: list[tuple[int, int, Block]] = []
    last: list[tuple[int, int, Block]] = []
    middle: list[Block] = []
    for i, block in enumerate(blocks):
        if (r := _rank(profile.remove_first, block[0])) is not None:
            first.append((r, i, block))
        elif (r := _rank(profile.remove_last, block[0])) is not None:
            last.append((r, i, block))
        else:
            middle.append(block)
    return [b for *_, b in sorted(first)] + middle + [b for *_, b in sorted(last)]


def _commands(
    profile: RemediationProfile,
    config: HConfig,
    before: HConfig,
    after: HConfig,
) -> list[str]:
    blocks = _reordered(profile, _keep_shared(profile, _blocks(config), before), before, after)
    return [line for text, children in _ordered(profile, blocks) for line in (text, *children)]


def remediate_hierarchical(
    profile: RemediationProfile, old: Sequence[str], new: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(remediation, rollback) commands in paste order between configs ``old`` and ``new``."""
    before, after = parse(profile, old), parse(profile, new)
    workflow = WorkflowRemediation(before, after)
    return (
        _commands(profile, workflow.remediation_config, before, after),
        _commands(profile, workflow.rollback_config, after, before),
    )


def in_scope(
    lines: Sequence[str], intended: Sequence[str], owns: Callable[[str], bool]
) -> list[str]:
    """The parts of running config ``lines`` that are netgen's: sections it owns, whole; of a
    section it does not own but adds to (a LAN interface), only the children it sets (equal
    to the intended config's, or owned as ``parent child``)."""
    sections: dict[str, set[str]] = {}
    parent = ""
    for line in intended:
        if line[:1].isspace():
            sections[parent].add(line.strip())
        else:
            parent = line
            sections.setdefault(line, set())
    out: list[str] = []
    mode = "skip"
    for line in lines:
        if not line[:1].isspace():
            parent = line
            mode = "all" if owns(line) else "children" if line in sections else "skip"
            if mode != "skip":
                out.append(line)
        elif mode == "all" or (
            mode == "children"
            and (line.strip() in sections[parent] or owns(f"{parent} {line.strip()}"))
        ):
            out.append(line)
    return out
