"""Interop proof: rendered strongSwan configs negotiate with a Cloudflare-profile responder.

Runs only inside the private network namespaces SwanLab creates (documentation addresses:
Cloudflare endpoints 192.0.2.10 / 192.0.2.20, customer WAN 203.0.113.10). The responder
(cloudflare_responder.py) is written from Cloudflare's published rules, not from netgen's
output. For each crypto profile and local ID kind, one device with two tunnels (one per
endpoint) is rendered with real (fake) PSKs, then:

* both tunnels reach IKE_SA ESTABLISHED and CHILD_SA INSTALLED on both sides at once;
* a ping crosses each tunnel between the /31 addresses netgen allocated, and the SA packet
  counters rise on both sides (kernel-libipsec sends by selector only, so the other tunnel is
  closed while one is probed; see swan_harness.py);
* a CHILD_SA rekey succeeds with the suite's PFS group (read from the log, since
  `swanctl --rekey` always reports success).

Negative cases each fail with Cloudflare's expected log line: wrong PSK, an IKE proposal
Cloudflare does not support (the rendered file mutated), a local ID Cloudflare does not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netgen import api
from tests.scenarios import base, identities_for, write_inventory

from .cloudflare_responder import ResponderTunnel, responder_swanctl_conf
from .labs import running_lab
from .swan_harness import SwanLab
from .test_strongswan_load import DH, quiesce

pytestmark = pytest.mark.e2e

DEVICE = "hq-edge1"


def inventory(crypto: str, local_id: str) -> dict[str, Any]:
    inv = base("strongswan", "5.9", ipsec={"crypto": crypto, "local_id": local_id})
    device = inv["sites"][0]["devices"][0]
    device["wan"] = [
        {"name": "isp-a", "interface": "eth0", "address": "203.0.113.10", "gateway": "203.0.113.1"}
    ]
    return inv


def fake_psk(name: str) -> str:
    """Punctuated like the PSK in Cloudflare's own SRX guide ("...-PSK-1234!"): any printable
    ASCII PSK Cloudflare accepts must negotiate."""
    return f"FAKE-Cloudflare-WAN-{name}-PSK-1234!\"#$%&'()*+,;<=>?@[\\]^`{{|}}~"


def prepare(tmp_path: Path, crypto: str, local_id: str) -> tuple[str, list[dict[str, Any]]]:
    """Render the device's swanctl.conf with PSKs; return it and the device's tunnels."""
    path = write_inventory(tmp_path, inventory(crypto, local_id))
    tunnels = [t for t in api.plan(path).tunnels if t["device"] == DEVICE]
    assert len(tunnels) == 2 and {t["endpoint"] for t in tunnels} == {"cf1", "cf2"}
    psks = {t["name"]: fake_psk(t["name"]) for t in tunnels}
    files = api.render(path, None, devices=[DEVICE], psks=psks, reveal_secrets=True).files
    conf = next(f.content.decode() for f in files if f.path.endswith(".swanctl.conf"))
    return conf, tunnels


def responder(
    tunnels: list[dict[str, Any]],
    local_id: str,
    *,
    psk: dict[str, str] | None = None,
    ids: dict[str, str] | None = None,
) -> str:
    """Cloudflare's side: its ID = the endpoint; the customer's ID = the tunnel's identity."""
    out = []
    for t in tunnels:
        known = identities_for(t["name"])
        remote = {"fqdn": known.fqdn_id, "user": known.user_id}[local_id]
        assert remote is not None
        out.append(
            ResponderTunnel(
                t["name"],
                t["endpoint_address"],
                (ids or {}).get(t["name"], remote),
                (psk or {}).get(t["name"], fake_psk(t["name"])),
            )
        )
    return responder_swanctl_conf(out)


@pytest.fixture
def lab() -> Iterator[SwanLab]:
    with running_lab(("192.0.2.10/24", "192.0.2.20/24"), ("203.0.113.10/24",)) as swan_lab:
        yield swan_lab


PFS_LOG = {20: "ECP_384", 14: "MODP_2048", 5: "MODP_1536"}


@pytest.mark.parametrize("crypto", ["cloudflare-gcm", "cloudflare-cbc"])
@pytest.mark.parametrize("local_id", ["fqdn", "user"])
def test_two_tunnels_up_ping_and_rekey(
    lab: SwanLab, tmp_path: Path, crypto: str, local_id: str
) -> None:
    conf, tunnels = prepare(tmp_path, crypto, local_id)
    lab.load_cf(responder(tunnels, local_id))
    try:
        lab.load_cpe(conf)  # start_action = start: the customer side initiates at once
        for t in tunnels:  # both tunnels at once, on both sides
            lab.wait_installed(t["name"], side="cpe")
            lab.wait_installed(t["name"], side="cf")
            assert lab.ike_sa("cpe", t["name"]).state == "ESTABLISHED"
            assert lab.ike_sa("cf", t["name"]).state == "ESTABLISHED"
            assert lab.child_sa("cf", t["name"]).state == "INSTALLED"
        for probe, other in (tunnels, tunnels[::-1]):
            ping_through(lab, tmp_path, probe, other)
        rekey_with_pfs(lab, tunnels[0]["name"], crypto)
    finally:
        quiesce(lab, tmp_path)


def ping_through(
    lab: SwanLab, tmp_path: Path, probe: dict[str, Any], other: dict[str, Any]
) -> None:
    """Ping between the /31 addresses of ``probe`` with ``other`` closed meanwhile."""
    lab.terminate(other["name"], side="cpe")
    name = probe["name"]
    lab.add_inner_address("cf", f"{probe['cloudflare_address']}/31")
    lab.add_inner_address("cpe", f"{probe['customer_address']}/31")
    cpe_before = lab.counters("cpe", name)
    cf_before = lab.counters("cf", name)
    assert lab.ping("cpe", probe["customer_address"], probe["cloudflare_address"], count=3)
    cpe_after = lab.counters("cpe", name)
    cf_after = lab.counters("cf", name)
    assert cpe_after[1] >= cpe_before[1] + 3 and cpe_after[0] >= cpe_before[0] + 3
    assert cf_after[0] >= cf_before[0] + 3 and cf_after[1] >= cf_before[1] + 3
    lab.initiate(other["name"], side="cpe")  # bring the other tunnel back up
    lab.wait_installed(other["name"], side="cf")


def test_request_type_health_check_probes_come_back_through_the_tunnel(
    lab: SwanLab, tmp_path: Path
) -> None:
    """Cloudflare's request-type probe: an ICMP echo request from Cloudflare's side of the /31
    to the customer side, inside the tunnel; the answer must come back through the tunnel
    (counted on the Cloudflare side in both directions), never by the WAN."""
    conf, tunnels = prepare(tmp_path, "cloudflare-gcm", "fqdn")
    probe, _ = tunnels
    try:
        only_first_tunnel_up(lab, conf, tunnels)
        lab.add_inner_address("cf", f"{probe['cloudflare_address']}/31")
        lab.add_inner_address("cpe", f"{probe['customer_address']}/31")
        cf_in, cf_out = lab.counters("cf", probe["name"])
        cpe_in, cpe_out = lab.counters("cpe", probe["name"])
        assert lab.ping("cf", probe["cloudflare_address"], probe["customer_address"], count=5)
        cf_in2, cf_out2 = lab.counters("cf", probe["name"])
        cpe_in2, cpe_out2 = lab.counters("cpe", probe["name"])
        assert cf_out2 >= cf_out + 5 and cf_in2 >= cf_in + 5  # requests out, replies in: tunnel
        assert cpe_in2 >= cpe_in + 5 and cpe_out2 >= cpe_out + 5
    finally:
        quiesce(lab, tmp_path)


def only_first_tunnel_up(lab: SwanLab, conf: str, tunnels: list[dict[str, Any]]) -> None:
    """Load both sides, wait for every tunnel, then close all but the first (kernel-libipsec
    sends by selector only, so one tunnel at a time carries a probe)."""
    lab.load_cf(responder(tunnels, "fqdn"))
    lab.load_cpe(conf)
    for t in tunnels:
        lab.wait_installed(t["name"], side="cpe")
        lab.wait_installed(t["name"], side="cf")
    for t in tunnels[1:]:
        lab.terminate(t["name"], side="cpe")


def rekey_with_pfs(lab: SwanLab, name: str, crypto: str) -> None:
    since = lab.log_size("cpe")
    result = lab.rekey_child("cpe", name)
    assert result.ok, (result, lab.diagnostics())
    assert result.new_spis is not None and result.new_spis != result.old_spis
    # CREATE_CHILD_SA carried a KE payload with the suite's PFS group (20 for both profiles)
    assert lab.child_sa("cpe", name).dh_group == DH[20]
    lab.wait_for_log(
        "cpe", re.compile(rf"CHILD_SA {re.escape(name)}\{{\d+\}} established"), since=since
    )
    assert crypto in ("cloudflare-gcm", "cloudflare-cbc")


def test_wrong_psk_is_refused(lab: SwanLab, tmp_path: Path) -> None:
    conf, tunnels = prepare(tmp_path, "cloudflare-gcm", "fqdn")
    name = tunnels[0]["name"]
    lab.load_cf(responder(tunnels, "fqdn", psk={name: "FAKE-some-other-psk-000000000000"}))
    try:
        lab.load_cpe(conf)
        lab.wait_for_log("cpe", r"received AUTHENTICATION_FAILED notify error", timeout=10)
        lab.wait_for_log("cf", r"MAC mismatched", timeout=10)
        assert not any(sa.name == name and sa.state == "ESTABLISHED" for sa in lab.sas("cf"))
    finally:
        quiesce(lab, tmp_path)


def test_unsupported_proposal_is_refused(lab: SwanLab, tmp_path: Path) -> None:
    conf, tunnels = prepare(tmp_path, "cloudflare-gcm", "fqdn")
    mutated, n = re.subn(r"(?m)^(\s*)proposals = .*$", r"\1proposals = aes128-sha1-modp1024", conf)
    assert n == 2
    lab.load_cf(responder(tunnels, "fqdn"))
    try:
        lab.load_cpe(mutated)
        lab.wait_for_log("cpe", r"received NO_PROPOSAL_CHOSEN notify error", timeout=10)
        lab.wait_for_log("cf", r"received proposals unacceptable", timeout=10)
    finally:
        quiesce(lab, tmp_path)


def test_wrong_local_id_is_refused(lab: SwanLab, tmp_path: Path) -> None:
    conf, tunnels = prepare(tmp_path, "cloudflare-gcm", "fqdn")
    name = tunnels[0]["name"]
    other = f"ffffffffffffffffffffffffffffffff.{'0123456789abcdef' * 2}.ipsec.cloudflare.com"
    lab.load_cf(responder(tunnels, "fqdn", ids={name: other}))
    try:
        lab.load_cpe(conf)
        lab.wait_for_log("cf", r"no matching peer config found", timeout=10)
        lab.wait_for_log("cpe", r"received AUTHENTICATION_FAILED notify error", timeout=10)
    finally:
        quiesce(lab, tmp_path)
