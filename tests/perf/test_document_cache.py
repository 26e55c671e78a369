"""Parsed inventory files come back from the cache only while their bytes are unchanged, equal
to a fresh parse, and never hide an error or change where it is reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from netgen import api
from netgen.core import document_cache
from netgen.core.cache import open_cache
from netgen.core.document_cache import plain
from netgen.core.errors import UserError
from netgen.inventory.load import load_inventory_document
from tests.perf.test_incremental_parallel import _fleet


class Parses:
    """Counts real YAML parses (the cache's misses)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: list[str] = []
        real = document_cache.__dict__["load_yaml_text"]

        def counting(raw: bytes, file: str) -> Any:
            self.files.append(Path(file).name)
            return real(raw, file)

        monkeypatch.setattr(document_cache, "load_yaml_text", counting)


def _split(tmp_path: Path, sites: int = 5) -> Path:
    path = _fleet(tmp_path / "plan", sites)
    target = tmp_path / "tree"
    api.split_inventory(path, target)
    (path.parent / "netgen.lock.yaml").rename(target / "netgen.lock.yaml")
    return target


def test_only_changed_files_are_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _split(tmp_path)
    cache = open_cache(tree)
    fresh = load_inventory_document(tree)
    parses = Parses(monkeypatch)
    first = load_inventory_document(tree, cache)
    assert len(parses.files) == 6  # netgen.yaml and five sites: nothing cached yet
    again = load_inventory_document(tree, cache)
    assert len(parses.files) == 6
    assert again.data == first.data == fresh.data and again.digest == fresh.digest
    site = tree / "sites" / "s003.yaml"
    site.write_text(site.read_text().replace("10.103.0.0/16", "10.203.0.0/16"))
    changed = load_inventory_document(tree, cache)
    assert parses.files[6:] == ["s003.yaml"]
    assert changed.data == load_inventory_document(tree).data != fresh.data


def test_errors_and_their_positions_are_the_same_from_the_cache(tmp_path: Path) -> None:
    tree = _split(tmp_path)
    site = tree / "sites" / "s002.yaml"
    site.write_text(site.read_text().replace("lan_prefixes:", "lan_prefixes_typo:"))
    found = []
    for cache in (False, True, True):
        with pytest.raises(UserError) as err:
            api.validate(tree, cache=cache)
        found.append([d.format() for d in err.value.diagnostics])
    assert found[0] == found[1] == found[2]
    assert any("s002.yaml:" in line and "lan_prefixes_typo" in line for line in found[0])


def test_a_file_that_does_not_parse_is_never_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _split(tmp_path)
    site = tree / "sites" / "s004.yaml"
    site.write_text(site.read_text() + "broken: [\n")
    parses = Parses(monkeypatch)
    found = []
    for _ in range(2):
        with pytest.raises(UserError) as err:
            api.validate(tree)
        found.append([d.format() for d in err.value.diagnostics])
    assert found[0] == found[1] and "NG102" in found[0][0]
    assert parses.files.count("s004.yaml") == 2


def test_documents_that_json_cannot_hold_are_parsed_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("when: 2026-11-30\n1: int key\n")
    parses = Parses(monkeypatch)
    cache = open_cache(tmp_path)
    docs = [load_inventory_document(path, cache) for _ in range(2)]
    assert parses.files == ["doc.yaml", "doc.yaml"]
    assert docs[0].data == docs[1].data == yaml.safe_load(path.read_text())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": [1, "x", None, True, 1.5]}, True),
        ({1: "x"}, False),
        ({"a": float("nan")}, False),
        ({"a": (1, 2)}, False),
        ({"a": b"x"}, False),
    ],
)
def test_plain(value: Any, expected: bool) -> None:
    assert plain(value) is expected
