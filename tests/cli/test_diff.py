"""`netgen diff` across real git revisions of an inventory and its lock, and of two output
directories: the summary, the reasons per device, the Cloudflare bodies, and the exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from netgen import api
from netgen.core.errors import UserError
from tests.scenarios import SCENARIOS, write_inventory

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "plan"
    inv = SCENARIOS["mixed"]("cisco_iosxe", None)
    write_inventory(repo, inv)
    _git(repo, "init", "-q")
    _commit(repo, "two sites")
    return repo


def _edit(repo: Path, change: Any) -> None:
    path = repo / "inventory.yaml"
    inv = yaml.safe_load(path.read_text())
    change(inv)
    path.write_text(yaml.safe_dump(inv, sort_keys=False))


def test_no_change_is_no_change(repo: Path) -> None:
    result = api.diff_revisions(repo / "inventory.yaml")
    assert not result.changed and result.devices == []


def test_an_mtu_change_names_the_field_and_only_its_devices_change(repo: Path) -> None:
    def mtu(inv: dict[str, Any]) -> None:
        inv["sites"][0]["devices"][0]["tunnels"][0]["mtu"] = 1380

    _edit(repo, mtu)
    result = api.diff_revisions(repo / "inventory.yaml")
    (change,) = result.tunnels["changed"]
    assert change["name"] == "hq_a_cf1"
    assert change["fields"]["mtu"] == [1450, 1380] and change["fields"]["mss"] == [1360, 1340]
    assert [d["device"] for d in result.devices] == ["hq-edge1"]
    (device,) = result.devices
    assert "mtu 1450 → 1380" in device["reasons"][0]
    assert "- ip mtu 1450\n" in device["diff"] and "+ ip mtu 1380\n" in device["diff"]
    assert "+ ip tcp adjust-mss 1340\n" in device["diff"]
    # IPsec tunnels have no MTU field at Cloudflare: nothing to update there
    assert result.cloudflare["update"]["ipsec_tunnels"] == []


def test_adding_a_site_says_why_the_other_routers_change(repo: Path) -> None:
    def add(inv: dict[str, Any]) -> None:
        site = json.loads(json.dumps(inv["sites"][1]))
        site["name"] = "lab"
        site["lan_prefixes"] = ["10.30.0.0/16"]
        device = site["devices"][0]
        device["name"] = "lab-edge1"
        device["wan"][0]["address"] = "203.0.113.70"
        device["wan"][0]["gateway"] = "203.0.113.69"
        inv["sites"].append(site)

    _edit(repo, add)
    result = api.diff_revisions(repo / "inventory.yaml")
    assert result.tunnels["added"] == ["lab_1a_cf1", "lab_1a_cf2"]
    by_device = {d["device"]: d for d in result.devices}
    assert by_device["lab-edge1"]["status"] == "added"
    assert by_device["hq-edge1"]["status"] == "changed"
    assert by_device["hq-edge1"]["reasons"] == ["routes to site lab added (site lab was added)"]
    assert "+ip route 10.30.0.0 255.255.0.0" in by_device["hq-edge1"]["diff"]
    created = result.cloudflare["create"]
    assert [b["name"] for b in created["ipsec_tunnels"]] == ["lab_1a_cf1", "lab_1a_cf2"]
    assert {r["prefix"] for r in created["routes"]} == {"10.30.0.0/16"}


def test_removing_a_site_deletes_its_tunnels_with_their_ids(repo: Path) -> None:
    _edit(repo, lambda inv: inv["sites"].pop(1))
    result = api.diff_revisions(repo / "inventory.yaml")
    assert result.tunnels["removed"] == ["branch_1a_cf1", "branch_1a_cf2"]
    deleted = result.cloudflare["delete"]["ipsec_tunnels"]
    assert [d["name"] for d in deleted] == ["branch_1a_cf1", "branch_1a_cf2"]
    assert all(len(d["id"]) == 32 for d in deleted)
    by_device = {d["device"]: d for d in result.devices}
    assert by_device["branch-edge1"]["status"] == "removed"
    assert "-ip route 10.20.0.0" in by_device["hq-edge1"]["diff"]


def test_revision_to_revision_and_errors(repo: Path) -> None:
    _edit(repo, lambda inv: inv["sites"].pop(1))
    _commit(repo, "branch closed")
    result = api.diff_revisions(repo / "inventory.yaml", "HEAD~1", "HEAD")
    assert (result.old, result.new) == ("HEAD~1", "HEAD")
    assert result.tunnels["removed"] == ["branch_1a_cf1", "branch_1a_cf2"]
    with pytest.raises(UserError) as info:
        api.diff_revisions(repo / "inventory.yaml", "no-such-revision")
    assert info.value.diagnostics[0].code == "NG803"


def test_outside_git_is_a_clear_error(tmp_path: Path) -> None:
    path = write_inventory(tmp_path / "loose", SCENARIOS["mixed"]("cisco_iosxe", None))
    with pytest.raises(UserError) as info:
        api.diff_revisions(path)
    assert info.value.diagnostics[0].code == "NG802"


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netgen", "diff", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_exit_code_json_and_directories(repo: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    api.render(repo / "inventory.yaml", old)
    assert _cli(repo / "inventory.yaml", "--exit-code").returncode == 0
    _edit(repo, lambda inv: inv["sites"].pop(1))
    out = _cli(repo / "inventory.yaml", "--exit-code", "--json")
    assert out.returncode == 3, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"from", "to", "tunnels", "devices", "cloudflare", "diagnostics"}
    assert set(doc["cloudflare"]) == {"create", "update", "delete"}
    new = tmp_path / "new"
    api.render(repo / "inventory.yaml", new)
    dirs = _cli(old, new, "--exit-code")
    assert dirs.returncode == 3
    assert "removed: branch/branch-edge1" in dirs.stdout
    assert "Traceback" not in dirs.stderr
    assert _cli(old, tmp_path).returncode == 1  # not an output directory: NG801


def test_a_gre_change_is_an_update_with_the_tunnel_id(repo: Path) -> None:
    def ttl(inv: dict[str, Any]) -> None:
        inv["sites"][0]["devices"][0]["tunnels"][2]["ttl"] = 40

    _edit(repo, ttl)
    result = api.diff_revisions(repo / "inventory.yaml")
    (body,) = result.cloudflare["update"]["gre_tunnels"]
    assert body["name"] == "hq_b_cf1" and body["ttl"] == 40 and len(body["id"]) == 32
    assert result.cloudflare["create"]["gre_tunnels"] == []
