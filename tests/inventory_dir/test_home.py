"""The home of an inventory directory is the directory itself: the lock, the secrets store,
the writer lock and PSK file references live inside it; an inventory file's stay beside it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from netgen import api
from netgen.core.files import WRITER_LOCK_NAME, inventory_home
from netgen.state.lock import lock_path_for
from netgen.state.secrets import store_path_for
from tests.inventory_dir.conftest import PSK_FILE_TUNNELS, site_text


def test_inventory_home(tmp_path: Path) -> None:
    (tmp_path / "inv").mkdir()
    (tmp_path / "inventory.yaml").write_text("netgen: 1\n")
    assert inventory_home(tmp_path / "inv") == tmp_path / "inv"
    assert inventory_home(tmp_path / "inventory.yaml") == tmp_path
    assert lock_path_for(tmp_path / "inv") == tmp_path / "inv" / "netgen.lock.yaml"
    assert store_path_for(tmp_path / "inv") == tmp_path / "inv" / "netgen.secrets.yaml"
    assert lock_path_for(tmp_path / "inventory.yaml") == tmp_path / "netgen.lock.yaml"


def test_plan_writes_the_lock_inside_the_directory(tree: Path) -> None:
    result = api.plan(tree, write_lock=True)
    assert result.lock_written and result.lock_path == tree / "netgen.lock.yaml"
    assert (tree / "netgen.lock.yaml").is_file()
    assert (tree / WRITER_LOCK_NAME).exists()
    assert sorted(p.name for p in tree.parent.iterdir()) == ["inv"]
    # the lock is read back from there: nothing changes on a second plan
    again = api.plan(tree)
    assert not again.lock_changed and {t["status"] for t in again.tunnels} == {"kept"}


def test_secrets_store_and_psk_files_are_inside_the_directory(tree: Path) -> None:
    api.secrets_set(tree, "alpha_1a_cf1", "x" * 40)
    assert (tree / "netgen.secrets.yaml").is_file()
    assert not (tree.parent / "netgen.secrets.yaml").exists()
    listing = api.secrets_list(tree)
    assert any(r["tunnel"] == "alpha_1a_cf1" and r["source"] == "manual" for r in listing.rows)
    # psk: {file: ...} is relative to the directory
    (tree / "psk-b.txt").write_text("y" * 40 + "\n")
    (tree / "psk-b.txt").chmod(0o600)
    (tree / "sites" / "b.yaml").write_text(
        site_text("bravo", "10.2.0.0/16", "203.0.113.20", tunnels=PSK_FILE_TUNNELS)
    )
    session = api.open_session(tree)
    psks, diags = api.resolve_secrets(session)
    assert psks["bravo_x_cf1"] == "y" * 40 and not diags


def test_cli_reads_a_directory(tree: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "netgen", "validate", str(tree)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == f"{tree}: ok (2 sites, 2 devices, 4 tunnels)\n"
    (tree / "sites" / "b.yaml").write_text("name: bravo\nlan_prefixes: [10.2.0.300/16]\n")
    bad = subprocess.run(
        [sys.executable, "-m", "netgen", "validate", str(tree)], capture_output=True, text=True
    )
    assert bad.returncode == 1 and bad.stdout == ""
    assert f"{tree / 'sites' / 'b.yaml'}:2:16: error NG203" in bad.stderr
    assert f"{tree / 'sites' / 'b.yaml'}:1:1: error NG202" in bad.stderr  # devices missing
