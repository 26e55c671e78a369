"""`netgen pull` and `netgen apply` against a stateful fake of Cloudflare's Magic API served
over real HTTP on 127.0.0.1 (tests/cloudflare_fake), driven through the official SDK exactly as
against the real API. The fake validates every request body against Cloudflare's schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from netgen import api
from netgen.cli.app import app
from netgen.core.errors import UserError
from netgen.state.lock_read import load_lock
from netgen.state.secrets import load_store
from tests.scenarios import SCENARIOS, write_inventory

pytest.importorskip("cloudflare")

from tests.cloudflare_fake import FakeCloudflare


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudflare]:
    with FakeCloudflare() as server:
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", server.base_url)
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", server.token)
        yield server


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    """Two sites: hq (2 IPsec + 2 GRE over two ISPs) and branch (2 IPsec); no lock ids yet."""
    return write_inventory(tmp_path, SCENARIOS["mixed"]("cisco_iosxe", None), with_identities=False)


def _edit(path: Path, change: Any) -> None:
    inv = yaml.safe_load(path.read_text())
    change(inv)
    path.write_text(yaml.safe_dump(inv, sort_keys=False))


def _names(fake: FakeCloudflare, kind: str) -> set[str]:
    return {str(o["name"]) for o in fake.objects(kind)}


def _writes(fake: FakeCloudflare) -> list[tuple[str, str | None, str | None]]:
    return [(r.method, r.kind, r.action) for r in fake.writes()]


def test_first_apply_creates_everything_then_a_second_is_a_no_op(
    fake: FakeCloudflare, inventory: Path
) -> None:
    plan = api.plan(inventory)
    result = api.apply(inventory)
    assert result.verified is True
    gre = {b["name"] for b in plan.payloads["gre_tunnels"]}
    ipsec = {b["name"] for b in plan.payloads["ipsec_tunnels"]}
    assert _names(fake, "gre_tunnels") == gre and _names(fake, "ipsec_tunnels") == ipsec
    assert len(fake.objects("routes")) == len(plan.payloads["routes"])
    # every IPsec tunnel got a PSK from psk_generate, straight into the secrets store
    assert fake.count("POST", "ipsec_tunnels") == 2 * len(ipsec)
    store = load_store(inventory.parent / "netgen.secrets.yaml")
    lock = load_lock(inventory.parent / "netgen.lock.yaml")
    for name in ipsec:
        entry = lock.tunnels[name]
        assert entry.cloudflare is not None and entry.cloudflare.id
        assert entry.cloudflare.remote_identities is not None
        assert store.tunnels[name].psk.reveal() == fake.psk_of(entry.cloudflare.id)
    # safe order: tunnels, then PSKs, then routes
    actions = _writes(fake)
    assert actions.index(("POST", "routes", "create")) > max(
        i for i, a in enumerate(actions) if a[1] != "routes"
    )
    fake.clear_requests()
    again = api.apply(inventory)
    assert again.changeset.empty and again.verified is None
    assert fake.writes() == []


def test_a_site_added_creates_only_its_tunnels_and_routes(
    fake: FakeCloudflare, inventory: Path
) -> None:
    api.apply(inventory)
    fake.clear_requests()

    def add(inv: dict[str, Any]) -> None:
        site = json.loads(json.dumps(inv["sites"][1]))
        site["name"] = "lab"
        site["lan_prefixes"] = ["10.30.0.0/16"]
        site["devices"][0]["name"] = "lab-edge1"
        site["devices"][0]["wan"][0]["address"] = "203.0.113.70"
        inv["sites"].append(site)

    _edit(inventory, add)
    result = api.apply(inventory)
    created = {c.name for c in result.applied if c.action == "create" and c.kind != "routes"}
    assert created == {"lab_1a_cf1", "lab_1a_cf2"}
    assert {c.action for c in result.applied} == {"create"}
    assert all(r.action in ("create", "psk_generate") for r in fake.writes())
    assert result.verified is True


def test_a_removed_tunnel_loses_its_routes_then_itself(
    fake: FakeCloudflare, inventory: Path
) -> None:
    api.apply(inventory)
    tunnel_id = load_lock(inventory.parent / "netgen.lock.yaml").tunnels["hq_a_cf2"].cloudflare
    assert tunnel_id is not None
    fake.clear_requests()

    def remove(inv: dict[str, Any]) -> None:
        tunnels = inv["sites"][0]["devices"][0]["tunnels"]
        tunnels[:] = [t for t in tunnels if t["name"] != "hq_a_cf2"]

    _edit(inventory, remove)
    result = api.apply(inventory)
    assert [(c.action, c.kind) for c in result.applied] == [
        ("delete", "routes"),
        ("delete", "ipsec_tunnels"),
    ]
    assert "hq_a_cf2" not in _names(fake, "ipsec_tunnels")
    entry = load_lock(inventory.parent / "netgen.lock.yaml").tunnels["hq_a_cf2"]
    assert entry.cloudflare is None  # its /31 stays reserved until --prune
    assert result.verified is True


def test_an_mtu_change_is_an_update_with_the_field(fake: FakeCloudflare, inventory: Path) -> None:
    api.apply(inventory)
    fake.clear_requests()
    _edit(inventory, lambda inv: inv["sites"][0]["devices"][0]["tunnels"][2].update(mtu=1400))
    result = api.apply(inventory, dry_run=True)
    (change,) = result.changeset.changes
    assert (change.action, change.kind, change.name) == ("update", "gre_tunnels", "hq_b_cf1")
    assert change.fields["mtu"] == [1476, 1400]
    assert fake.writes() == []  # the dry run wrote nothing
    api.apply(inventory)
    (write,) = fake.writes()
    assert (write.method, write.body["mtu"] if write.body else None) == ("PUT", 1400)
    assert {o["name"]: o["mtu"] for o in fake.objects("gre_tunnels")}["hq_b_cf1"] == 1400


def test_unmanaged_objects_are_listed_and_never_touched(
    fake: FakeCloudflare, inventory: Path
) -> None:
    fake.add_tunnel(
        "ipsec_tunnels",
        name="legacy_vpn",
        cloudflare_endpoint="192.0.2.99",
        interface_address="10.9.0.0/31",
    )
    fake.add_tunnel("routes", prefix="10.99.0.0/16", nexthop="10.9.0.1", priority=100)
    result = api.apply(inventory)
    assert {u.name for u in result.changeset.unmanaged} == {
        "legacy_vpn",
        "10.99.0.0/16 via 10.9.0.1",
    }
    assert "legacy_vpn" in _names(fake, "ipsec_tunnels")
    legacy = next(o["id"] for o in fake.objects("ipsec_tunnels") if o["name"] == "legacy_vpn")
    route = fake.objects("routes")[0]["id"]
    assert not any(r.path.endswith((legacy, route)) for r in fake.writes())
    assert result.verified is True


def test_a_rate_limit_is_retried_by_the_sdk(fake: FakeCloudflare, inventory: Path) -> None:
    fake.fail_next(429, times=2, on="POST")
    result = api.apply(inventory)
    assert result.verified is True
    assert [r.status for r in fake.requests if r.method == "POST"][:3] == [429, 429, 200]


def test_a_server_error_midway_stops_and_a_rerun_finishes_without_duplicates(
    fake: FakeCloudflare, inventory: Path
) -> None:
    fake.fail_after(3, 500, times=6)  # the 4th write fails for good (the SDK retries 5 times)
    with pytest.raises(UserError) as err:
        api.apply(inventory)
    (diag,) = err.value.diagnostics
    assert diag.code == "NG634" and "changes were applied" in diag.message
    created_before = _names(fake, "gre_tunnels") | _names(fake, "ipsec_tunnels")
    assert created_before  # what was created is in the lock already
    lock = load_lock(inventory.parent / "netgen.lock.yaml")
    for name in created_before:
        entry = lock.tunnels[name].cloudflare
        assert entry is not None and entry.id
    result = api.apply(inventory)
    assert result.verified is True
    creates = [
        r.body["name"]
        for r in fake.requests
        if r.action == "create" and r.kind != "routes" and r.status == 200 and r.body
    ]
    assert len(creates) == len(set(creates))  # nothing created twice


def test_dry_run_sends_no_write_and_writes_nothing_locally(
    fake: FakeCloudflare, inventory: Path
) -> None:
    result = api.apply(inventory, dry_run=True)
    assert result.changeset.counts()["create"] > 0
    assert fake.writes() == []
    assert not (inventory.parent / "netgen.lock.yaml").exists()
    assert not (inventory.parent / "netgen.secrets.yaml").exists()


def test_wrong_token_is_a_clear_error_without_the_token(
    fake: FakeCloudflare, inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "FAKE-wrong-token-never-printed-0123"
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", secret)
    for args in (["apply", str(inventory), "--auto-approve"], ["pull", str(inventory)]):
        out = CliRunner().invoke(app, args)
        assert out.exit_code == 1, out.output
        assert "NG633" in out.output and "10000" in out.output
        assert "Traceback" not in out.output and secret not in out.output


def test_apply_without_a_terminal_or_flag_refuses(fake: FakeCloudflare, inventory: Path) -> None:
    out = CliRunner().invoke(app, ["apply", str(inventory)])
    assert out.exit_code == 2 and "NG635" in out.output
    assert fake.requests == []


def test_cli_apply_then_pull_and_save(
    fake: FakeCloudflare, inventory: Path, tmp_path: Path
) -> None:
    out = CliRunner().invoke(app, ["apply", str(inventory), "--auto-approve"])
    assert out.exit_code == 0, out.output
    assert "+ create ipsec_tunnels hq_a_cf1" in out.output and "verified" in out.output
    out = CliRunner().invoke(app, ["apply", str(inventory), "--auto-approve"])
    assert "no changes" in out.output
    (inventory.parent / "netgen.lock.yaml").unlink()  # pull rebuilds the ids from the account
    out = CliRunner().invoke(app, ["pull", str(inventory), "--save", str(tmp_path / "saved")])
    assert out.exit_code == 0, out.output
    lock = load_lock(inventory.parent / "netgen.lock.yaml")
    entry = lock.tunnels["hq_a_cf1"].cloudflare
    assert entry is not None and entry.id
    saved = sorted(p.name for p in (tmp_path / "saved").iterdir())
    assert saved == ["gre_tunnels.json", "ipsec_tunnels.json", "routes.json"]
    store = load_store(inventory.parent / "netgen.secrets.yaml")
    for path in (tmp_path / "saved").iterdir():
        text = path.read_text()
        assert not any(e.psk.reveal() in text for e in store.tunnels.values())
    out = CliRunner().invoke(app, ["apply", str(inventory), "--json", "--dry-run"])
    doc = json.loads(out.stdout)
    assert doc["changes"] == [] and doc["dry_run"] is True


def test_plan_json_splits_create_and_existing(fake: FakeCloudflare, inventory: Path) -> None:
    before = api.plan(inventory).to_json()["payloads"]
    assert before["existing"]["ipsec_tunnels"] == [] and before["create"]["ipsec_tunnels"]
    api.apply(inventory)
    after = api.plan(inventory).to_json()["payloads"]
    assert after["create"] == {"gre_tunnels": [], "ipsec_tunnels": [], "routes": []}
    assert {b["name"] for b in after["existing"]["ipsec_tunnels"]} == {
        b["name"] for b in before["create"]["ipsec_tunnels"]
    }


def test_no_output_carries_the_token_or_a_psk(fake: FakeCloudflare, inventory: Path) -> None:
    """Human, JSON and --debug output of pull and apply, and the error path: neither the token
    nor any PSK Cloudflare generated (plain, base64 or hex) ever appears."""
    import base64

    outputs = []
    for args in (
        ["apply", str(inventory), "--auto-approve", "--debug"],
        ["apply", str(inventory), "--json", "--dry-run"],
        ["pull", str(inventory), "--json"],
        ["pull", str(inventory), "--debug"],
    ):
        out = CliRunner().invoke(app, args)
        assert out.exit_code == 0, out.output
        outputs.append(out.output)
    fake.fail_next(500, times=6, on="GET")
    outputs.append(
        CliRunner().invoke(app, ["apply", str(inventory), "--dry-run", "--debug"]).output
    )
    psks = [fake.psk_of(str(o["id"])) for o in fake.objects("ipsec_tunnels")]
    assert psks and all(psks)
    forms = [fake.token]
    for psk in psks:
        assert psk is not None
        forms += [psk, base64.b64encode(psk.encode()).decode(), psk.encode().hex()]
    for text in outputs:
        for form in forms:
            assert form not in text
