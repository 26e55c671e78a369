"""`netgen split`: an inventory file into netgen.yaml + sites/<site>.yaml that loads to the same
document and renders the same bytes, each site kept as written where possible."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from netgen import api
from netgen.core.documents import load_yaml_file
from netgen.core.errors import UserError
from netgen.inventory.directory import load_inventory_dir
from tests.inventory_dir.conftest import EXAMPLE

COMMENTED = """\
# fleet header
netgen: 1
cloudflare:
  endpoints:
    - {name: cf1, address: 192.0.2.10}
    - {name: cf2, address: 192.0.2.20}
  interface_pool: [10.252.0.0/24]
sites:
  # --- New York ---
  - name: nyc01   # the office
    lan_prefixes: [10.10.0.0/16]
    devices:
      - name: nyc01-r1
        vendor: vyos
        platform_version: "1.4"
        # primary link
        wan:
          - {name: isp-a, interface: eth0, address: 203.0.113.10}

  # --- Amsterdam ---
  - name: ams01
    description: >-
      two lines
      of text
    devices:
      - name: ams01-r1
        vendor: vyos
        wan:
          - {name: isp-a, interface: eth0, address: 203.0.113.20}
  # end of sites
defaults:
  mtu: 1400
"""


def _copy_example(tmp_path: Path) -> Path:
    home = tmp_path / "plan"
    home.mkdir()
    for name in ("inventory.yaml", "netgen.lock.yaml"):
        shutil.copy(EXAMPLE / name, home / name)
    return home / "inventory.yaml"


def test_split_example_loads_the_same_and_renders_the_same_bytes(tmp_path: Path) -> None:
    source = _copy_example(tmp_path)
    target = tmp_path / "wan"
    result = api.split_inventory(source, target)
    names = ["nyc01", "ams01", "lon01", "fra01"]
    sites = tuple(target / "sites" / f"{n}.yaml" for n in names)
    assert result.files == (target / "netgen.yaml", *sites)
    assert result.dumped == ()
    assert result.state_files == (source.parent / "netgen.lock.yaml",)
    assert sorted(p.name for p in target.iterdir()) == ["netgen.yaml", "sites"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan", "wan"]  # no stage left

    original = load_yaml_file(source).data
    split = load_inventory_dir(target).data
    assert {k: v for k, v in split.items() if k != "sites"} == {
        k: v for k, v in original.items() if k != "sites"
    }
    assert sorted(split["sites"], key=lambda s: s["name"]) == sorted(
        original["sites"], key=lambda s: s["name"]
    )

    shutil.copy(source.parent / "netgen.lock.yaml", target / "netgen.lock.yaml")
    one = api.render(source, None, allow_placeholders=True).files
    many = api.render(target, None, allow_placeholders=True).files
    assert [f.path for f in one] == [f.path for f in many]
    for a, b in zip(one, many, strict=True):
        if a.path == "MANIFEST.json":
            ma, mb = json.loads(a.content), json.loads(b.content)
            ma["inputs"].pop("inventory"), mb["inputs"].pop("inventory")
            assert ma == mb
        else:
            assert a.content == b.content, a.path


def test_each_site_is_kept_as_written(tmp_path: Path) -> None:
    source = tmp_path / "inventory.yaml"
    source.write_text(COMMENTED)
    target = tmp_path / "wan"
    result = api.split_inventory(source, target)
    assert result.dumped == ()
    assert (target / "netgen.yaml").read_text() == (
        "# fleet header\nnetgen: 1\ncloudflare:\n  endpoints:\n"
        "    - {name: cf1, address: 192.0.2.10}\n    - {name: cf2, address: 192.0.2.20}\n"
        "  interface_pool: [10.252.0.0/24]\n  # end of sites\ndefaults:\n  mtu: 1400\n"
    )
    assert (target / "sites" / "nyc01.yaml").read_text() == (
        "# --- New York ---\n"
        "name: nyc01   # the office\n"
        "lan_prefixes: [10.10.0.0/16]\n"
        "devices:\n"
        "  - name: nyc01-r1\n"
        "    vendor: vyos\n"
        '    platform_version: "1.4"\n'
        "    # primary link\n"
        "    wan:\n"
        "      - {name: isp-a, interface: eth0, address: 203.0.113.10}\n"
    )
    assert (target / "sites" / "ams01.yaml").read_text() == (
        "# --- Amsterdam ---\n"
        "name: ams01\n"
        "description: >-\n"
        "  two lines\n"
        "  of text\n"
        "devices:\n"
        "  - name: ams01-r1\n"
        "    vendor: vyos\n"
        "    wan:\n"
        "      - {name: isp-a, interface: eth0, address: 203.0.113.20}\n"
    )
    original = yaml.safe_load(COMMENTED)
    loaded = load_inventory_dir(target).data
    assert loaded["sites"] == sorted(original["sites"], key=lambda s: s["name"])
    assert api.validate(target).sites == 2


def test_a_layout_the_cut_does_not_know_is_dumped_and_still_equal(tmp_path: Path) -> None:
    source = tmp_path / "inventory.yaml"
    data = yaml.safe_load(COMMENTED)
    source.write_text(yaml.safe_dump(data, sort_keys=False, default_flow_style=True, width=4000))
    result = api.split_inventory(source, tmp_path / "wan")
    assert result.dumped == ("netgen.yaml", "sites/nyc01.yaml", "sites/ams01.yaml")
    loaded = load_inventory_dir(tmp_path / "wan").data
    assert loaded == {**{k: v for k, v in data.items() if k != "sites"}, "sites": loaded["sites"]}
    assert sorted(loaded["sites"], key=lambda s: s["name"]) == sorted(
        data["sites"], key=lambda s: s["name"]
    )


def test_no_sites(tmp_path: Path) -> None:
    source = tmp_path / "inventory.yaml"
    source.write_text(COMMENTED.split("sites:\n")[0] + "sites: []\n")
    result = api.split_inventory(source, tmp_path / "wan")
    assert result.files == (tmp_path / "wan" / "netgen.yaml",)
    assert "sites" not in (tmp_path / "wan" / "netgen.yaml").read_text()
    assert list((tmp_path / "wan" / "sites").iterdir()) == []
    assert api.validate(tmp_path / "wan").sites == 0


def test_the_target_must_be_new_or_empty(tmp_path: Path) -> None:
    source = tmp_path / "inventory.yaml"
    source.write_text(COMMENTED)
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine\n")
    with pytest.raises(UserError) as info:
        api.split_inventory(source, occupied)
    assert info.value.diagnostics[0].code == "NG901"
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]
    with pytest.raises(UserError) as info:
        api.split_inventory(source, occupied / "keep.txt")
    assert info.value.diagnostics[0].code == "NG901"
    empty = tmp_path / "empty"
    empty.mkdir()
    api.split_inventory(source, empty)
    assert sorted(p.name for p in (empty / "sites").iterdir()) == ["ams01.yaml", "nyc01.yaml"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    with pytest.raises(UserError) as info:
        api.split_inventory(empty, tmp_path / "again")
    assert info.value.diagnostics[0].code == "NG101"


def test_sites_that_cannot_be_file_names_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "inventory.yaml"
    source.write_text(COMMENTED.replace("name: ams01", "name: NYC01"))
    with pytest.raises(UserError) as info:
        api.split_inventory(source, tmp_path / "wan")
    (d,) = info.value.diagnostics
    assert d.code == "NG303" and d.position is not None and d.position.line == 21
    assert "(also on line 10; ignoring case)" in d.message
    source.write_text(COMMENTED.replace("name: ams01", "name: ../ams01"))
    with pytest.raises(UserError) as info:
        api.split_inventory(source, tmp_path / "wan")
    assert [d.code for d in info.value.diagnostics] == ["NG203"]
    assert not (tmp_path / "wan").exists()


def test_cli_split(tmp_path: Path) -> None:
    source = _copy_example(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "netgen", "split", str(source), str(tmp_path / "wan")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"wrote {tmp_path / 'wan'} (4 site files)\n"
    assert f"move {source.parent / 'netgen.lock.yaml'} into {tmp_path / 'wan'}" in out.stderr
    again = subprocess.run(
        [sys.executable, "-m", "netgen", "split", str(source), str(tmp_path / "wan"), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 1
    assert [d["code"] for d in json.loads(again.stdout)["diagnostics"]] == ["NG901"]
