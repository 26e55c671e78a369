"""A device's config cut into paste blocks: consecutive lines of one kind (``crypto ikev2``,
``interface Tunnel``, ``security ike``, ``protocols static`` ...), each pasted and checked
before the next, in the file's order (the templates write configs in paste order)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    title: str
    text: str


def _kind(line: str, set_style: bool) -> str:
    words = line.split()
    if set_style and words[:1] == ["set"]:
        return " ".join(words[1:3])
    if words[:1] == ["interface"] and len(words) > 1:
        return "interface " + words[1].rstrip("0123456789/.:")
    return " ".join(words[:2])


def paste_blocks(text: str, comment_prefix: str) -> list[Block]:
    """Blocks in file order, commands only (comments and ``end`` are left out: the page
    explains each block, and a comment pasted into some CLIs is an error)."""
    set_style = any(line.startswith("set ") for line in text.splitlines())
    blocks: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(comment_prefix) or stripped == "end":
            continue
        if line[:1].isspace() and blocks:
            blocks[-1][1].append(line)
            continue
        kind = _kind(line, set_style)
        if not blocks or kind != blocks[-1][0]:
            blocks.append((kind, []))
        blocks[-1][1].append(line)
    return [Block(title, "\n".join(lines) + "\n") for title, lines in blocks]
