"""An inventory split into files: ``DIR/netgen.yaml`` holds every top-level key but ``sites``,
``DIR/sites/<anything>.yaml`` one site each (what one item of ``sites:`` is in a single file).

The directory is read as the one document the single file would be: the site files, in sorted
file-name order, become the ``sites:`` list. Each file is loaded on its own through the
hostile-input loader (:func:`netgen.core.documents.load_yaml_file`) and keeps its own
positions; :class:`TreePositionIndex` sends ``("sites", i, ...)`` to site file ``i`` and every
other path to netgen.yaml, so every diagnostic names the file it is about.

A site file that cannot be read or is not a mapping does not stop the others: its problem is
kept in :attr:`LoadedDocument.problems` and reported with every schema and rule error of the
rest. Only a broken netgen.yaml stops the load (the rest cannot be validated without it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from netgen.core.documents import LoadedDocument, PathKey, PositionIndex, load_yaml_file
from netgen.core.errors import Diagnostic, Position, UserError, sort_diagnostics

MAIN_FILE: Final = "netgen.yaml"
SITES_DIR: Final = "sites"
SITE_SUFFIXES: Final = (".yaml", ".yml")
LAYOUT_HINT: Final = (
    "an inventory directory holds netgen.yaml (every top-level key but `sites`) and "
    "sites/<site>.yaml, one site per file; `netgen split` makes one from an inventory file"
)


def is_site_file_name(name: str) -> bool:
    """A file of sites/ that holds a site: ``*.yaml`` or ``*.yml``, not hidden."""
    return not name.startswith(".") and name.endswith(SITE_SUFFIXES)


def site_files(directory: Path) -> list[Path]:
    """The site files of an inventory directory, in sorted file-name order (subdirectories of
    sites/ are not read). No sites/ directory: no sites."""
    sites = directory / SITES_DIR
    if not sites.is_dir():
        return []
    found = [p for p in sites.iterdir() if is_site_file_name(p.name) and not p.is_dir()]
    return sorted(found, key=lambda p: p.name)


def tree_digest(pairs: list[tuple[str, str]]) -> str:
    """SHA-256 over the sorted (relative POSIX path, file SHA-256) pairs of a directory's
    files: deterministic, and it changes when any file is added, removed, renamed or edited."""
    listing = "".join(f"{digest}  {rel}\n" for rel, digest in sorted(pairs))
    return hashlib.sha256(listing.encode()).hexdigest()


class TreePositionIndex(PositionIndex):
    """Positions of an inventory directory: ``("sites", i, *rest)`` is ``rest`` in site file
    ``i``, every other path is in netgen.yaml. ``file`` is the directory (the inventory)."""

    def __init__(self, directory: str, main: PositionIndex, sites: list[PositionIndex]) -> None:
        super().__init__(directory)
        self.main = main
        self.sites = sites

    def _site(self, path: PathKey) -> PositionIndex | None:
        if len(path) >= 2 and path[0] == SITES_DIR:
            i = path[1]
            if isinstance(i, int) and 0 <= i < len(self.sites):
                return self.sites[i]
        return None

    def position(self, path: PathKey) -> Position:
        site = self._site(path)
        return site.position(path[2:]) if site is not None else self.main.position(path)

    def local_path(self, path: PathKey) -> PathKey:
        """A site's fields are named from the top of its file (``lan_prefixes[0]``): the
        file names the site, and ``sites[i]`` would count only the files that loaded."""
        return path[2:] if self._site(path) is not None else path


def load_inventory_dir(
    directory: Path, load: Callable[[Path], LoadedDocument] = load_yaml_file
) -> LoadedDocument:
    """Read an inventory directory as one document (see the module docstring).

    Raises:
        UserError: every problem of every file when netgen.yaml is missing, unreadable or not
            a mapping. Problems of site files are returned in ``problems`` instead.
    """
    problems: list[Diagnostic] = []
    main_path = directory / MAIN_FILE
    if not main_path.exists() and not main_path.is_symlink():
        problems.append(
            Diagnostic(
                "NG101",
                f"the inventory directory has no {MAIN_FILE}",
                position=Position(str(directory)),
                hint=LAYOUT_HINT,
            )
        )
        main = None
    else:
        main = _load_one(main_path, problems, load)
    sites_dir = directory / SITES_DIR
    if sites_dir.exists() and not sites_dir.is_dir():
        problems.append(
            Diagnostic(
                "NG101",
                "sites is not a directory",
                position=Position(str(sites_dir)),
                hint=LAYOUT_HINT,
            )
        )
    docs = [(p, _load_one(p, problems, load)) for p in site_files(directory)]
    main_data = _main_data(main, problems)
    if main is None or main_data is None:
        raise UserError(sort_diagnostics(problems))
    sites: list[Any] = []
    indexes: list[PositionIndex] = []
    pairs = [(MAIN_FILE, main.digest)]
    for path, doc in docs:
        if doc is None:
            continue
        pairs.append((f"{SITES_DIR}/{path.name}", doc.digest))
        if isinstance(doc.data, dict):
            sites.append(doc.data)
            indexes.append(doc.index)
        else:
            problems.append(_not_a_site(doc))
    data = {**main_data, SITES_DIR: sites}
    index = TreePositionIndex(str(directory), main.index, indexes)
    return LoadedDocument(data, index, tree_digest(pairs), directory, problems)


def _load_one(
    path: Path, problems: list[Diagnostic], load: Callable[[Path], LoadedDocument]
) -> LoadedDocument | None:
    """One file through the hostile-input loader (``load``: it or its cache); its problems
    are collected, not raised."""
    try:
        return load(path)
    except UserError as exc:
        problems.extend(exc.diagnostics)
        return None


def _main_data(main: LoadedDocument | None, problems: list[Diagnostic]) -> dict[str, Any] | None:
    """netgen.yaml's top-level keys, or None (with the problem) when it is not a mapping."""
    if main is None:
        return None
    data = main.data
    if not isinstance(data, dict):
        problems.append(
            Diagnostic(
                "NG105",
                f"{MAIN_FILE} must be a YAML mapping (netgen, account, cloudflare, defaults)",
                position=main.index.position(()),
                hint=LAYOUT_HINT,
            )
        )
        return None
    if SITES_DIR in data:
        problems.append(
            Diagnostic(
                "NG201",
                f"unknown key 'sites' in {MAIN_FILE} of an inventory directory",
                position=main.index.position((SITES_DIR,)),
                hint="move each site into its own file sites/<site>.yaml (the site's keys at "
                "the top level of the file)",
                field=SITES_DIR,
            )
        )
        data = {k: v for k, v in data.items() if k != SITES_DIR}
    return data


def _not_a_site(doc: LoadedDocument) -> Diagnostic:
    got = "empty" if doc.data is None else f"a {'list' if isinstance(doc.data, list) else 'value'}"
    return Diagnostic(
        "NG105",
        f"a site file must hold one site as a YAML mapping (this one is {got})",
        position=doc.index.position(()),
        hint="write the site's keys (name, lan_prefixes, devices ...) at the top level of the "
        "file, not as a list item",
    )
