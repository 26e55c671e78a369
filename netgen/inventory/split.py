"""`netgen split`: the text of an inventory file cut into netgen.yaml and one file per site.

Each site keeps its YAML as written (comments, quoting, key order): its lines are cut out of
the ``sites:`` list and un-indented, and netgen.yaml is the file without the ``sites:`` block.
Every cut is read back and compared with what the loader read; when one differs (flow style,
unusual layout) that part is written with ``yaml.safe_dump(sort_keys=False)`` instead, so the
directory always loads to the same document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from netgen.core.documents import LoadedDocument
from netgen.core.errors import Diagnostic, UserError, shown, sort_diagnostics
from netgen.inventory.directory import SITES_DIR
from netgen.inventory.schema import NAME_PATTERN

_SITE_NAME = re.compile(NAME_PATTERN)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present


@dataclass(frozen=True)
class SplitTexts:
    """netgen.yaml's text and (file name, text) of each site, in the inventory's order."""

    main: str
    sites: tuple[tuple[str, str], ...]
    dumped: tuple[str, ...]  # the parts written by yaml.safe_dump (not kept as written)


def split_document(doc: LoadedDocument, text: str) -> SplitTexts:
    """Cut ``text`` (the inventory file ``doc`` was loaded from) into its parts.

    Raises:
        UserError: the document is not a mapping, ``sites`` not a list of mappings, or a site
            has no name usable as a file name, or shares it with another site (ignoring case).
    """
    data = doc.data
    sites = _checked_sites(doc)
    names = [f"{site['name']}.yaml" for site in sites]
    main_data = {k: v for k, v in data.items() if k != SITES_DIR}
    node = yaml.compose(text.removeprefix("\ufeff"), Loader=_LOADER)
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    main_text, cuts = _cut(node, lines)
    dumped: list[str] = []
    if not _same(main_text, main_data):
        main_text = _dump(main_data)
        dumped.append("netgen.yaml")
    out = []
    for i, (name, site) in enumerate(zip(names, sites, strict=True)):
        cut = cuts[i] if cuts is not None and i < len(cuts) else None
        if cut is None or not _same(cut, site):
            cut = _dump(site)
            dumped.append(f"{SITES_DIR}/{name}")
        out.append((name, cut))
    return SplitTexts(main_text, tuple(out), tuple(dumped))


def _checked_sites(doc: LoadedDocument) -> list[dict[str, Any]]:
    data, index = doc.data, doc.index
    if not isinstance(data, dict):
        raise UserError.single("NG105", "the inventory must be a YAML mapping", file=index.file)
    sites = data.get(SITES_DIR) or []
    if not isinstance(sites, list):
        pos = index.position((SITES_DIR,))
        raise UserError([Diagnostic("NG203", "sites must be a list", position=pos)])
    problems: list[Diagnostic] = []
    seen: dict[str, int] = {}
    for i, site in enumerate(sites):
        name = site.get("name") if isinstance(site, dict) else None
        where = index.position((SITES_DIR, i, "name") if isinstance(site, dict) else (SITES_DIR, i))
        if not isinstance(name, str) or not _SITE_NAME.fullmatch(name):
            got = shown(name) if isinstance(name, str) else "none"
            message = f"site {i + 1} has no name usable as a file name (got {got})"
            hint = "give every site a valid `name:` first (netgen validate)"
            problems.append(Diagnostic("NG203", message, position=where, hint=hint))
        elif name.casefold() in seen:
            first = index.mention((SITES_DIR, seen[name.casefold()], "name"), (SITES_DIR, i))
            message = f"site name {name!r} is used twice (also on {first}; ignoring case)"
            hint = "each site becomes sites/<name>.yaml: rename one of the sites"
            problems.append(Diagnostic("NG303", message, position=where, hint=hint))
        else:
            seen[name.casefold()] = i
    if problems:
        raise UserError(sort_diagnostics(problems))
    return sites


def _cut(node: yaml.Node | None, lines: list[str]) -> tuple[str, list[str | None] | None]:
    """netgen.yaml's text (the lines of the ``sites:`` block removed) and each site's lines
    un-indented (None: not cut). Verified by the caller."""
    if not isinstance(node, yaml.MappingNode):
        return "".join(lines), None
    found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "sites"]
    if not found:
        return "".join(lines), []
    key, value = found[0]
    if not isinstance(value, yaml.SequenceNode) or value.flow_style or not value.value:
        last = _last_content_line(lines, value)
        return "".join(lines[: key.start_mark.line] + lines[last + 1 :]), None
    cuts: list[str | None] = []
    start = key.start_mark.line + 1
    for item in value.value:
        end = _last_content_line(lines, item)
        cuts.append(_unindent(lines[start : end + 1], item.start_mark.line - start, item))
        start = end + 1
    return "".join(lines[: key.start_mark.line] + lines[start:]), cuts


def _last_content_line(lines: list[str], item: yaml.Node) -> int:
    """The last line of ``item`` that is neither blank nor only a comment."""
    end = item.end_mark  # where the next token starts: on that line, only if text precedes it
    last = (
        end.line
        if end.line < len(lines) and lines[end.line][: end.column].strip()
        else end.line - 1
    )
    last = min(last, len(lines) - 1)
    while last > item.start_mark.line and lines[last].strip()[:1] in ("", "#"):
        last -= 1
    return last


def _unindent(block: list[str], first: int, item: yaml.Node) -> str | None:
    """The item's lines moved to column 1 (``- `` dropped); comments before it kept."""
    col = item.start_mark.column
    out: list[str] = []
    for n, line in enumerate(block):
        head = line[:col]
        if n == first and head.strip() == "-" and not isinstance(item, yaml.ScalarNode):
            out.append(line[col:])
        elif n != first and not head.strip():
            out.append(line[col:] if len(line) > col else line.lstrip(" "))
        elif n != first and line.strip()[:1] in ("", "#"):
            out.append(line.lstrip(" "))
        else:
            return None  # a layout this cut does not know: dumped instead
    text = "".join(out).lstrip("\r\n")
    return text if text.endswith("\n") else text + "\n"


def _same(text: str | None, data: Any) -> bool:
    if text is None:
        return False
    try:
        return bool(yaml.load(text, Loader=_LOADER) == data)
    except yaml.YAMLError:
        return False


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
