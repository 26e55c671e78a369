"""Router-side correctness of the plan (issue: configs that carry the site's traffic and pass
Cloudflare's health checks on every vendor)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netgen import api
from netgen.core.errors import UserError
from tests.scenarios import SCENARIOS, write_inventory


def _device(inv: dict) -> dict:  # type: ignore[type-arg]
    device: dict = inv["sites"][0]["devices"][0]  # type: ignore[type-arg]
    return device


def test_mss_follows_an_mtu_set_alone(tmp_path: Path) -> None:
    """`mtu: 1380` alone was NG351 ("leave mss unset" although it was unset)."""
    inv = SCENARIOS["ipsec-dual-isp"]("cisco_iosxe", None)
    inv["defaults"]["mtu"] = 1380
    path = write_inventory(tmp_path, inv)
    session = api.open_session(path)
    mss = {t.settings.mss for t in session.loaded.inventory.tunnels.values()}
    assert mss == {1340}
    api.validate(path)


def test_an_explicit_mss_above_mtu_minus_40_names_every_tunnel_of_its_line(
    tmp_path: Path,
) -> None:
    inv = SCENARIOS["ipsec-dual-isp"]("cisco_iosxe", None)
    _device(inv)["defaults"] = {"mtu": 1380, "mss": 1360}
    path = write_inventory(tmp_path, inv, with_identities=False)
    with pytest.raises(UserError) as info:
        api.validate(path)
    (diag,) = [d for d in info.value.diagnostics if d.code == "NG351"]
    assert "hq_1a_cf1" in diag.message and "hq_1b_cf2" in diag.message
    text = path.read_text().splitlines()
    assert diag.position is not None and diag.position.line is not None
    assert "mss" in text[diag.position.line - 1]


def _ipsec_payloads(tmp_path: Path, vendor: str, **hc: str) -> list[dict]:  # type: ignore[type-arg]
    inv = SCENARIOS["ipsec-dual-isp"](vendor, None)
    if hc:
        inv["defaults"]["health_check"] = hc
    path = write_inventory(tmp_path, inv)
    files = {f.path: f for f in api.render(path, None).files}
    body: list[dict] = json.loads(files["cloudflare/ipsec_tunnels.json"].content)  # type: ignore[type-arg]
    return [b for b in body if b["name"].startswith("hq_")]


def test_srx_tunnels_default_to_request_health_checks(tmp_path: Path) -> None:
    """A stateful firewall: Cloudflare says request; the vendor profile sets the default."""
    srx = _ipsec_payloads(tmp_path / "srx", "juniper_srx")
    assert srx and {b["health_check"]["type"] for b in srx} == {"request"}
    ios = _ipsec_payloads(tmp_path / "ios", "cisco_iosxe")
    assert {b["health_check"]["type"] for b in ios} == {"reply"}
    chosen = _ipsec_payloads(tmp_path / "srx-reply", "juniper_srx", type="reply")
    assert {b["health_check"]["type"] for b in chosen} == {"reply"}


@pytest.mark.parametrize("vendor", ["juniper_srx", "strongswan", "vyos"])
def test_multi_wan_without_a_gateway_is_an_error_at_the_link(tmp_path: Path, vendor: str) -> None:
    """The per-link source routing was silently left out: tunnels over the second ISP left by
    the first with the wrong source and never came up."""
    inv = SCENARIOS["ipsec-dual-isp"](vendor, None)
    del _device(inv)["wan"][1]["gateway"]
    path = write_inventory(tmp_path, inv, with_identities=False)
    with pytest.raises(UserError) as info:
        api.validate(path)
    found = [d for d in info.value.diagnostics if d.code == "NG510"]
    assert len(found) == 1 and "isp-b" in found[0].message
    line = path.read_text().splitlines()[found[0].position.line - 1]  # type: ignore[union-attr,operator]
    assert "isp-b" in line


def test_multi_wan_without_a_gateway_is_fine_where_the_vendor_needs_none(tmp_path: Path) -> None:
    inv = SCENARIOS["ipsec-dual-isp"]("cisco_iosxe", None)
    del _device(inv)["wan"][1]["gateway"]
    api.validate(write_inventory(tmp_path, inv, with_identities=False))


def test_vyos_accepts_reply_probes_on_every_tunnel_interface(tmp_path: Path) -> None:
    inv = SCENARIOS["mixed"]("vyos", "1.5")
    path = write_inventory(tmp_path, inv)
    result = api.render(path, None, devices=["hq-edge1"])
    (text,) = [f.content.decode() for f in result.files if f.path.endswith(".vyos")]
    interfaces = {
        line.split()[3] for line in text.splitlines() if line.startswith("set interfaces")
    }
    for iface in interfaces:
        assert f"set system sysctl parameter net.ipv4.conf.{iface}.accept_local value '1'" in text


def test_check_after_a_site_render_finds_no_drift(tmp_path: Path) -> None:
    """MANIFEST.json recorded the last command's --site filter, so a full --check right after
    a --site render reported it as drift."""
    import subprocess
    import sys

    path = write_inventory(tmp_path, SCENARIOS["mixed"]("vyos", "1.5"))
    out = tmp_path / "out"

    def netgen(*args: str) -> int:
        cmd = [sys.executable, "-m", "netgen", *args]
        return subprocess.run(cmd, capture_output=True, check=False).returncode

    assert netgen("render", str(path), "-o", str(out)) == 0
    assert netgen("render", str(path), "-o", str(out), "--site", "hq") == 0
    assert netgen("render", str(path), "-o", str(out), "--check") == 0
    assert netgen("render", str(path), "-o", str(out), "--device", "branch-edge1") == 0
    assert netgen("render", str(path), "-o", str(out), "--check") == 0


def test_unknown_vendor_is_reported_with_the_schema_errors(tmp_path: Path) -> None:
    """Three errors in one file came back as two: NG507 waited for the schema to pass."""
    inv = SCENARIOS["ipsec-dual-isp"]("cisco_iosxe", None)
    _device(inv)["vendor"] = "ciscoo"
    _device(inv)["wan"][0]["address"] = "not-an-address"
    inv["sites"][1]["devices"][0]["colour"] = "blue"
    path = write_inventory(tmp_path, inv, with_identities=False)
    with pytest.raises(UserError) as info:
        api.validate(path)
    codes = sorted(d.code for d in info.value.diagnostics)
    assert codes == ["NG201", "NG203", "NG507"]
    (ng507,) = [d for d in info.value.diagnostics if d.code == "NG507"]
    line = path.read_text().splitlines()[ng507.position.line - 1]  # type: ignore[union-attr,operator]
    assert "vendor: ciscoo" in line


def test_explicit_tunnels_may_omit_their_name(tmp_path: Path) -> None:
    inv = SCENARIOS["mixed"]("cisco_iosxe", None)
    first = _device(inv)["tunnels"][0]
    del first["name"]
    path = write_inventory(tmp_path, inv)
    tunnels = api.open_session(path).loaded.inventory.tunnels
    (named,) = [
        t
        for t in tunnels.values()
        if t.device == "hq-edge1" and t.wan == first["wan"] and t.endpoint == first["endpoint"]
    ]
    assert named.name == "hq_1a_cf1" and named.generated
    assert named.description == first["description"] and named.priority == first["priority"]
    api.render(path, None, devices=["hq-edge1"])


def test_tunnel_prefix_names_a_long_site(tmp_path: Path) -> None:
    inv = SCENARIOS["ipsec-dual-isp"]("cisco_iosxe", None)
    inv["sites"][0]["name"] = "headquarters-new-york"
    inv["sites"][0]["tunnel_prefix"] = "nyhq"
    path = write_inventory(tmp_path, inv, with_identities=False)
    names = {
        t.name
        for t in api.open_session(path).loaded.inventory.tunnels.values()
        if t.device == "hq-edge1"
    }
    assert names == {"nyhq_1a_cf1", "nyhq_1a_cf2", "nyhq_1b_cf1", "nyhq_1b_cf2"}


def test_documented_name_example_is_what_netgen_generates(tmp_path: Path) -> None:
    inv = SCENARIOS["ipsec-dual-isp"]("cisco_iosxe", None)
    inv["sites"][0]["name"] = "chicago01"
    inv["sites"][1]["name"] = "chicago02"
    path = write_inventory(tmp_path, inv, with_identities=False)
    names = set(api.open_session(path).loaded.inventory.tunnels)
    assert {"chicawpm_1a_cf1", "chica7gj_1a_cf1"} <= names
    assert "chicawpm_1a_cf1" in (Path(__file__).parents[2] / "docs" / "inventory.md").read_text()


GUIDE_PSK = "FAKE-Cloudflare-WAN-T1-PSK-1234!"  # the shape of the PSK in Cloudflare's SRX guide


@pytest.mark.parametrize("vendor", ["cisco_iosxe", "juniper_srx", "strongswan", "vyos"])
def test_a_punctuated_psk_from_the_secrets_store_renders(tmp_path: Path, vendor: str) -> None:
    """NG704 refused Cloudflare's own example PSK, forcing a rotation on adoption."""
    path = write_inventory(tmp_path, SCENARIOS["ipsec-dual-isp"](vendor, None))
    api.secrets_set(path, "hq_1a_cf1", GUIDE_PSK)
    result = api.render(path, None, devices=["hq-edge1"], reveal_secrets=True)
    text = "".join(f.content.decode() for f in result.files if f.path.startswith("sites/"))
    assert GUIDE_PSK in text or GUIDE_PSK.encode().hex() in text


@pytest.mark.parametrize(
    ("vendor", "char"), [("juniper_srx", '"'), ("vyos", "'"), ("cisco_iosxe", "?")]
)
def test_a_psk_a_vendor_cannot_carry_names_the_vendor_and_character(
    tmp_path: Path, vendor: str, char: str
) -> None:
    psk = f"FAKE-psk-with-{char}-0123456789"
    path = write_inventory(tmp_path, SCENARIOS["ipsec-dual-isp"](vendor, None))
    api.secrets_set(path, "hq_1a_cf1", psk)  # Cloudflare accepts it: stored
    with pytest.raises(UserError) as info:
        api.render(path, None, devices=["hq-edge1"], reveal_secrets=True)
    (diag,) = info.value.diagnostics
    assert diag.code == "NG704" and repr(char) in diag.message
    assert psk not in diag.format()


def _via(tmp_path: Path, vendor: str, via: list[str], *, lan: bool = True) -> Any:
    inv = SCENARIOS["ipsec-dual-isp"](vendor, None)
    inv["sites"] = inv["sites"][:1]  # one site: no other site's LAN to route to
    _device(inv)["defaults"] = {"via_cloudflare": via}
    if not lan:
        del _device(inv)["lan_interface"]
    return write_inventory(tmp_path, inv)


@pytest.mark.parametrize("vendor", ["cisco_iosxe", "juniper_srx", "strongswan", "vyos"])
def test_a_one_site_inventory_routes_its_via_cloudflare_prefixes(
    tmp_path: Path, vendor: str
) -> None:
    """A one-site inventory rendered no route at all; ordinary prefixes become routes."""
    path = _via(tmp_path, vendor, ["100.96.0.0/12"])
    (plan,) = [p for p in api.device_plans(api.plan_inputs(api.open_session(path)))]
    assert [r.prefix for r in plan.routes] == ["100.96.0.0/12"]
    assert plan.policy_routes == ()
    assert {h.interface for h in plan.routes[0].next_hops} == {t.interface for t in plan.tunnels}


def test_a_default_route_via_cloudflare_is_policy_routed_from_the_lan(tmp_path: Path) -> None:
    path = _via(tmp_path, "strongswan", ["0.0.0.0/0"])
    result = api.render(path, None, devices=["hq-edge1"])
    (script,) = [f.content.decode() for f in result.files if f.path.endswith("network.sh")]
    assert "ip rule add iif 'eth2' to 10.10.0.0/16 lookup main priority 179" in script
    assert "ip rule add iif 'eth2' to 0.0.0.0/0 lookup 180 priority 180" in script
    assert "table 180" in script
    routes = [line for line in script.splitlines() if line.startswith("ip route replace 0.0.0.0/0")]
    assert routes and all(" table 180 " in line for line in routes)


def test_policy_routing_needs_a_lan_interface(tmp_path: Path) -> None:
    path = _via(tmp_path / "nolan", "strongswan", ["0.0.0.0/0"], lan=False)
    with pytest.raises(UserError) as info:
        api.validate(path)
    assert "NG511" in {d.code for d in info.value.diagnostics}
