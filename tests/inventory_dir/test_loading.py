"""An inventory directory loads like the single file, and every diagnostic names the file,
line and column it is about."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from netgen import api
from netgen.core.errors import Diagnostic, UserError
from netgen.inventory.directory import load_inventory_dir, tree_digest
from netgen.inventory.load import load_inventory_document
from tests.inventory_dir.conftest import EXAMPLE, MAIN, site_text, write_tree

DUP_TUNNEL = "    tunnels:\n      - {name: dup_cf1, wan: isp-a, endpoint: cf1}\n"


def _errors(path: Path) -> list[Diagnostic]:
    with pytest.raises(UserError) as caught:
        api.validate(path)
    return caught.value.diagnostics


def _where(d: Diagnostic, root: Path) -> str:
    assert d.position is not None
    rel = Path(d.position.file).relative_to(root).as_posix()
    return f"{rel}:{d.position.line}:{d.position.column}"


def _example_both_ways(tmp_path: Path) -> tuple[Path, Path]:
    """The example inventory as one file (sites sorted by name, as a directory reads them)
    and as a directory, each with the example's lock."""
    data = yaml.safe_load((EXAMPLE / "inventory.yaml").read_text())
    sites = sorted(data.pop("sites"), key=lambda s: s["name"])
    single = tmp_path / "single"
    single.mkdir()
    (single / "inventory.yaml").write_text(yaml.safe_dump({**data, "sites": sites}))
    tree = write_tree(
        tmp_path / "tree",
        yaml.safe_dump(data, sort_keys=False),
        {f"{s['name']}.yaml": yaml.safe_dump(s, sort_keys=False) for s in sites},
    )
    for home in (single, tree):
        shutil.copy(EXAMPLE / "netgen.lock.yaml", home / "netgen.lock.yaml")
    return single / "inventory.yaml", tree


def test_directory_gives_the_same_model_and_byte_identical_output(tmp_path: Path) -> None:
    single, tree = _example_both_ways(tmp_path)
    one, many = api.open_session(single), api.open_session(tree)
    assert len(many.loaded.inventory.sites) == 4
    assert dataclasses.replace(many.loaded.inventory, file="", digest="") == dataclasses.replace(
        one.loaded.inventory, file="", digest=""
    )
    assert many.lock_path == tree / "netgen.lock.yaml"
    assert many.allocation.lock == one.allocation.lock

    def rendered(path: Path) -> dict[str, Any]:
        files = {f.path: f.content for f in api.render(path, None, allow_placeholders=True).files}
        manifest = json.loads(files.pop("MANIFEST.json"))
        return {"files": files, "manifest": manifest}

    a, b = rendered(single), rendered(tree)
    assert any(p.startswith("cloudflare/") for p in a["files"])
    assert a["files"] == b["files"]
    inv_a = a["manifest"]["inputs"].pop("inventory")
    inv_b = b["manifest"]["inputs"].pop("inventory")
    assert a["manifest"] == b["manifest"]
    assert inv_b == {"path": "tree", "sha256": many.loaded.inventory.digest}
    assert inv_a["sha256"] == hashlib.sha256(single.read_bytes()).hexdigest()


def test_site_files_are_read_in_sorted_name_order_and_others_ignored(tree: Path) -> None:
    sites = tree / "sites"
    (sites / "b.yaml").rename(sites / "0-b.yml")
    (sites / ".hidden.yaml").write_text("not: [a site\n")
    (sites / "README.md").write_text("# notes\n")
    (sites / "old").mkdir()
    (sites / "old" / "c.yaml").write_text(site_text("charlie", "10.3.0.0/16", "203.0.113.30"))
    (tree / "extra.yaml").write_text("ignored: true\n")
    doc = load_inventory_document(tree)
    assert [s["name"] for s in doc.data["sites"]] == ["bravo", "alpha"]
    assert not doc.problems
    assert api.validate(tree).sites == 2


def test_a_schema_error_in_a_site_file_is_reported_there(tree: Path) -> None:
    (tree / "sites" / "b.yaml").write_text(site_text("bravo", "10.2.0.300/16", "203.0.113.20"))
    (d,) = _errors(tree)
    assert d.code == "NG203" and _where(d, tree) == "sites/b.yaml:2:16"
    # the field is named inside its file: sites[i] would not say which file
    assert d.field == "lan_prefixes[0]"


def test_an_unknown_key_in_netgen_yaml_is_reported_there(tree: Path) -> None:
    (tree / "netgen.yaml").write_text(MAIN + "colour: red\n")
    (d,) = _errors(tree)
    assert (d.code, _where(d, tree)) == ("NG201", "netgen.yaml:8:1")
    assert "'colour'" in d.message


def test_duplicate_site_names_across_files_name_both_places(tree: Path) -> None:
    (tree / "sites" / "b.yaml").write_text(site_text("alpha", "10.2.0.0/16", "203.0.113.20"))
    found = {(d.code, _where(d, tree), d.message) for d in _errors(tree)}
    a = tree / "sites" / "a.yaml"
    assert ("NG303", "sites/b.yaml:1:1", f"site name 'alpha' is used twice (also on {a}:1)") in (
        found
    )
    assert (
        "NG303",
        "sites/b.yaml:4:5",
        f"device name 'alpha-r1' is used twice (also on {a}:4)",
    ) in found


def test_duplicate_explicit_tunnel_names_across_files(tree: Path) -> None:
    sites = tree / "sites"
    (sites / "a.yaml").write_text(
        site_text("alpha", "10.1.0.0/16", "203.0.113.10", tunnels=DUP_TUNNEL)
    )
    (sites / "b.yaml").write_text(
        site_text("bravo", "10.2.0.0/16", "203.0.113.20", tunnels=DUP_TUNNEL)
    )
    (d,) = [d for d in _errors(tree) if d.severity.value == "error"]
    assert (d.code, _where(d, tree)) == ("NG302", "sites/b.yaml:9:10")
    assert f"({sites / 'a.yaml'}:9)" in d.message


def test_every_file_reports_at_once(tree: Path) -> None:
    sites = tree / "sites"
    (sites / "a.yaml").write_text("name: alpha\nlan_prefixes: [\n")  # YAML syntax error
    (sites / "b.yaml").write_text(site_text("bravo", "10.2.0.300/16", "203.0.113.20"))
    (sites / "c.yaml").write_text("- name: charlie\n")  # a list, not a site
    (sites / "d.yaml").write_text("")  # empty
    found = {(d.code, _where(d, tree)) for d in _errors(tree)}
    assert found == {
        ("NG102", "sites/a.yaml:3:1"),
        ("NG203", "sites/b.yaml:2:16"),
        ("NG105", "sites/c.yaml:1:1"),
        ("NG105", "sites/d.yaml:1:1"),
    }


def test_hostile_input_limits_hold_in_every_site_file(tree: Path) -> None:
    (tree / "sites" / "b.yaml").write_text("name: &x bravo\nlan_prefixes: []\n")
    (d,) = _errors(tree)
    assert d.code == "NG106" and _where(d, tree).startswith("sites/b.yaml:1:")


def test_rule_and_allocation_errors_of_top_level_keys_point_into_netgen_yaml(tree: Path) -> None:
    (tree / "netgen.yaml").write_text(MAIN.replace("10.252.0.0/24", "10.252.0.0/31"))
    with pytest.raises(UserError) as caught:
        api.plan(tree)
    (d,) = caught.value.diagnostics
    assert (d.code, _where(d, tree)) == ("NG401", "netgen.yaml:7:3")


def test_schema_version_error_comes_with_the_site_files_errors(tree: Path) -> None:
    (tree / "netgen.yaml").write_text(MAIN.replace("netgen: 1", "netgen: 2"))
    (tree / "sites" / "b.yaml").write_text("[1, 2]\n")
    found = {(d.code, _where(d, tree)) for d in _errors(tree)}
    assert found == {("NG104", "netgen.yaml:1:1"), ("NG105", "sites/b.yaml:1:1")}


def test_sites_key_in_netgen_yaml_is_refused(tree: Path) -> None:
    (tree / "netgen.yaml").write_text(MAIN + "sites: []\n")
    (d,) = _errors(tree)
    assert (d.code, _where(d, tree)) == ("NG201", "netgen.yaml:8:1")
    assert d.hint is not None and "sites/<site>.yaml" in d.hint


def test_netgen_yaml_missing_or_not_a_mapping(tree: Path) -> None:
    main = tree / "netgen.yaml"
    main.unlink()
    (d,) = _errors(tree)
    assert d.code == "NG101" and d.position is not None and d.position.file == str(tree)
    assert d.hint is not None and "netgen split" in d.hint
    main.write_text("- netgen: 1\n")
    (d,) = _errors(tree)
    assert (d.code, _where(d, tree)) == ("NG105", "netgen.yaml:1:1")


def test_no_site_files_is_an_inventory_without_sites(tree: Path) -> None:
    for f in (tree / "sites").iterdir():
        f.unlink()
    assert api.validate(tree).sites == 0
    shutil.rmtree(tree / "sites")
    assert api.validate(tree).sites == 0


def test_digest_covers_every_file(tree: Path) -> None:
    first = load_inventory_dir(tree).digest
    assert load_inventory_dir(tree).digest == first
    files = ["netgen.yaml", "sites/a.yaml", "sites/b.yaml"]
    pairs = [(f, hashlib.sha256((tree / f).read_bytes()).hexdigest()) for f in files]
    assert first == tree_digest(pairs)
    listing = "".join(f"{d}  {f}\n" for f, d in pairs)
    assert first == hashlib.sha256(listing.encode()).hexdigest()
    site = tree / "sites" / "b.yaml"
    site.write_text(site.read_text() + "# a comment\n")
    edited = load_inventory_dir(tree).digest
    assert edited != first
    site.rename(tree / "sites" / "c.yaml")
    assert load_inventory_dir(tree).digest not in (first, edited)
