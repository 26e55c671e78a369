"""`netgen diff` remediation and rollback over real git revisions, for every scenario the diff
issue names and every vendor whose configs are CLI text: the remediation applied to the old
config gives the new one and the rollback gives the old one back (hier_config's own
``future()`` for IOS-XE; the candidate model of ``set``/``delete`` for Junos and VyOS), and
the order is one the device accepts. Snapshots hold the reviewed commands."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hier_config import Platform, get_hconfig
from syrupy.assertion import SnapshotAssertion

from netgen import api
from netgen.remediate.set_commands import apply_set, bare_config
from netgen.remediate.text import config_lines
from netgen.state.lock import dump_lock
from netgen.state.lock_read import load_lock
from tests.scenarios import SCENARIOS, write_inventory

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

CLI_VENDORS = ("cisco_iosxe", "juniper_srx", "vyos")
FAKE_PSK = "FAKE-psk-never-shown-0000"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


Edit = Callable[[dict[str, Any], Path], None]


def _tunnels(inv: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = inv["sites"][0]["devices"][0]["tunnels"]
    return found


def add_site(inv: dict[str, Any], _: Path) -> None:
    site = yaml.safe_load(yaml.safe_dump(inv["sites"][1]))
    site["name"] = "lab"
    site["lan_prefixes"] = ["10.30.0.0/16"]
    site["devices"][0]["name"] = "lab-edge1"
    site["devices"][0]["wan"][0]["address"] = "203.0.113.70"
    site["devices"][0]["wan"][0]["gateway"] = "203.0.113.69"
    inv["sites"].append(site)


def remove_site(inv: dict[str, Any], _: Path) -> None:
    del inv["sites"][1]


def remove_tunnel(inv: dict[str, Any], _: Path) -> None:
    _tunnels(inv)[:] = [t for t in _tunnels(inv) if t["name"] != "hq_a_cf2"]


def crypto_profile(inv: dict[str, Any], _: Path) -> None:
    inv["defaults"]["ipsec"] = {"crypto": "cloudflare-cbc"}


def rotate_psk(_: dict[str, Any], repo: Path) -> None:
    """Cloudflare generated a new PSK for hq_a_cf1 (what `netgen import` records)."""
    path = repo / "netgen.lock.yaml"
    lock = load_lock(path)
    entry = lock.tunnels["hq_a_cf1"]
    assert entry.cloudflare is not None
    facts = entry.cloudflare.model_copy(update={"psk_generated_on": "2026-11-30T01:00:00Z"})
    tunnels = {**lock.tunnels, "hq_a_cf1": entry.model_copy(update={"cloudflare": facts})}
    path.write_text(dump_lock(lock.model_copy(update={"tunnels": tunnels})))


def mtu(inv: dict[str, Any], _: Path) -> None:
    _tunnels(inv)[0]["mtu"] = 1380


def move_wan(inv: dict[str, Any], _: Path) -> None:
    """hq_a_cf2 moves from ISP A to ISP B (taking the place of the GRE tunnel to cf2)."""
    _tunnels(inv)[:] = [t for t in _tunnels(inv) if t["name"] != "hq_b_cf2"]
    _tunnels(inv)[1]["wan"] = "isp-b"


def health_check(inv: dict[str, Any], _: Path) -> None:
    inv["defaults"]["health_check"] = {"type": "request"}


def reorder_tunnels(inv: dict[str, Any], _: Path) -> None:
    """Two suites on one device; the inventory lists the tunnels in another order. Interface
    numbers are sticky and proposals are ordered by name: no router changes."""
    tunnels = _tunnels(inv)
    tunnels[0], tunnels[1] = tunnels[1], tunnels[0]


EDITS: dict[str, Edit] = {
    "add-site": add_site,
    "remove-site": remove_site,
    "remove-tunnel": remove_tunnel,
    "crypto-profile": crypto_profile,
    "rotate-psk": rotate_psk,
    "mtu": mtu,
    "move-wan": move_wan,
    "health-check-type": health_check,
    "reorder-tunnels": reorder_tunnels,
}


def _base(vendor: str, edit: str) -> dict[str, Any]:
    inv = SCENARIOS["mixed"](vendor, None)
    if edit == "reorder-tunnels":
        _tunnels(inv)[1]["ipsec"] = {"crypto": "cloudflare-cbc"}
    return inv


def _rendered(repo: Path) -> dict[str, str]:
    session = api.open_session(repo / "inventory.yaml")
    files = api.render_files(session, allow_placeholders=True)
    return {f.path: f.content.decode() for f in files if f.path.startswith("sites/")}


def _scenario(tmp_path: Path, vendor: str, edit: str) -> tuple[Any, dict[str, str], dict[str, str]]:
    repo = tmp_path / "plan"
    write_inventory(repo, _base(vendor, edit))
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    old = _rendered(repo)
    inv = yaml.safe_load((repo / "inventory.yaml").read_text())
    EDITS[edit](inv, repo)
    (repo / "inventory.yaml").write_text(yaml.safe_dump(inv, sort_keys=False))
    new = _rendered(repo)
    return api.diff_revisions(repo / "inventory.yaml"), old, new


def _config(files: dict[str, str], device: str) -> str:
    return next((t for p, t in files.items() if f"/{device}." in p), "")


_PSK_MARK = re.compile(r" (?:fingerprint|generated) [^>]*>")
# edits that change only the Cloudflare side (health checks) or nothing at all
NO_ROUTER_CHANGE = {"health-check-type", "reorder-tunnels"}


def _check_roundtrip(vendor: str, old: str, new: str, forward: list[str], back: list[str]) -> None:
    comment = "!" if vendor == "cisco_iosxe" else "#"
    # a rotated PSK's placeholder carries the new fingerprint: the same line to the device
    forward = [_PSK_MARK.sub(">", line) for line in forward]
    back = [_PSK_MARK.sub(">", line) for line in back]
    a, b = config_lines(old, comment), config_lines(new, comment)
    if vendor == "cisco_iosxe":
        p = Platform.CISCO_IOS
        before, after = get_hconfig(p, "\n".join(a)), get_hconfig(p, "\n".join(b))
        assert list(before.future(get_hconfig(p, "\n".join(forward))).unified_diff(after)) == []
        assert list(after.future(get_hconfig(p, "\n".join(back))).unified_diff(before)) == []
    else:
        assert apply_set(a, forward) == bare_config(b)
        assert apply_set(b, back) == bare_config(a)


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("vendor", CLI_VENDORS)
def test_remediation_turns_old_into_new_and_rollback_back(
    tmp_path: Path, vendor: str, edit: str, snapshot: SnapshotAssertion
) -> None:
    result, old, new = _scenario(tmp_path, vendor, edit)
    if edit in NO_ROUTER_CHANGE:
        assert result.devices == []
    else:
        assert result.devices, f"{edit} changes nothing on {vendor}"
    for d in result.devices:
        assert d["remediation"] and d["rollback"], d["device"]
        if d["vendor"] in CLI_VENDORS:
            _check_roundtrip(
                d["vendor"],
                _config(old, d["device"]),
                _config(new, d["device"]),
                d["remediation"],
                d["rollback"],
            )
    hq = (
        next(d for d in result.devices if d["device"] == "hq-edge1")
        if any(d["device"] == "hq-edge1" for d in result.devices)
        else None
    )
    assert snapshot == {
        "tunnels": result.tunnels,
        "hq-edge1": None
        if hq is None
        else {
            "reasons": hq["reasons"],
            "remediation": hq["remediation"],
            "rollback": hq["rollback"],
        },
    }


def test_human_output_and_json_of_a_removed_tunnel(
    tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    """The CLI's plain (piped) output: summary first, then per device the diff, remediation
    and rollback; and the JSON document."""
    from typer.testing import CliRunner

    from netgen.cli.app import app

    _scenario(tmp_path, "juniper_srx", "remove-tunnel")
    inventory = str(tmp_path / "plan" / "inventory.yaml")
    human = CliRunner().invoke(app, ["diff", inventory, "--exit-code"])
    assert human.exit_code == 3
    assert human.output.index("- tunnel hq_a_cf2") < human.output.index("=== hq/hq-edge1")
    as_json = CliRunner().invoke(app, ["diff", inventory, "--json"])
    assert as_json.exit_code == 0
    document = json.loads(as_json.stdout)
    assert set(document) == {"from", "to", "tunnels", "devices", "cloudflare", "diagnostics"}
    assert set(document["devices"][0]) == {
        "site",
        "device",
        "vendor",
        "status",
        "reasons",
        "diff",
        "remediation",
        "rollback",
    }
    assert snapshot(name="human") == human.stdout
    assert snapshot(name="json") == document
