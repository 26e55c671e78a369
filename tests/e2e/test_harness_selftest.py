"""Self-test of the strongSwan lab and the Cloudflare-profile responder.

The customer side here is a HAND-WRITTEN swanctl.conf shaped like the one netgen renders (one
connection per tunnel, FQDN/user/key-id local ID, remote ID = Cloudflare endpoint as IPv4,
`if_id_*` for XFRM interfaces, `replay_window = 0`). It proves the harness, not netgen.

Findings about kernel-libipsec that these tests pin down (strongSwan 5.9.8, Debian bookworm):

* All CHILD_SAs share one TUN device ``ipsec0``; ``if_id_in/out`` are accepted and ignored.
* Outbound packets are matched against policies by traffic selector only. With two CHILD_SAs
  that both use 0.0.0.0/0 <-> 0.0.0.0/0, every outbound packet takes the same CHILD_SA (the one
  whose policy was installed last), whatever its source address. Two tunnels to two endpoints
  can be ESTABLISHED/INSTALLED at once, and pings from both inner /31s pass, but only one
  CHILD_SA carries them. To prove that a given tunnel passes traffic, keep it the only (or the
  newest) tunnel while pinging (``test_two_tunnels_two_endpoints``).
* kernel-libipsec installs only one exclude route per identical selector pair, so the second
  peer's IKE/ESP would loop into ``ipsec0``; the harness keeps the underlay out of table 220
  (``SwanLab(underlay_bypass=True)``, the default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import pytest

from .cloudflare_responder import (
    ResponderTunnel,
    cloudflare_esp_proposals,
    cloudflare_ike_proposals,
    responder_swanctl_conf,
)
from .swan_harness import SwanLab, parse_sas

CPE_WAN = "192.0.2.2"
ACCOUNT = "0123456789abcdef0123456789abcdef"


@dataclass(frozen=True)
class Tunnel:
    name: str
    endpoint: str  # Cloudflare anycast endpoint (192.0.2.x in the lab)
    local_id: str  # customer IKE ID in swanctl syntax
    psk: str
    cf_inner: str  # Cloudflare side of the /31
    cpe_inner: str  # customer side of the /31
    if_id: int
    proposals: str = "aes256gcm16-prfsha256-ecp384"
    esp_proposals: str = "aes256gcm16-ecp384"
    start_action: str = "none"


TUNNEL_A = Tunnel(
    name="cf_a",
    endpoint="192.0.2.10",
    local_id=f"1f2e.{ACCOUNT}.ipsec.cloudflare.com",
    psk="FAKE-PSK-A-not-a-secret",
    cf_inner="10.252.0.0",
    cpe_inner="10.252.0.1",
    if_id=1,
)
TUNNEL_B = Tunnel(
    name="cf_b",
    endpoint="192.0.2.20",
    local_id=f"5a6b.{ACCOUNT}.ipsec.cloudflare.com",
    psk="FAKE-PSK-B-not-a-secret",
    cf_inner="10.252.0.2",
    cpe_inner="10.252.0.3",
    if_id=2,
)


def customer_conf(tunnels: list[Tunnel], psk_override: str | None = None) -> str:
    """Hand-written customer swanctl.conf, shaped like netgen's strongSwan output."""
    conns = []
    secrets = []
    for t in tunnels:
        conns.append(f"""\
    {t.name} {{
        version = 2
        local_addrs = {CPE_WAN}
        remote_addrs = {t.endpoint}
        proposals = {t.proposals}
        rekey_time = 86400s
        dpd_delay = 30s
        mobike = no
        local {{
            auth = psk
            id = {t.local_id}
        }}
        remote {{
            auth = psk
            id = {t.endpoint}
        }}
        children {{
            {t.name} {{
                local_ts = 0.0.0.0/0
                remote_ts = 0.0.0.0/0
                esp_proposals = {t.esp_proposals}
                start_action = {t.start_action}
                dpd_action = restart
                replay_window = 0
                if_id_in = {t.if_id}
                if_id_out = {t.if_id}
                rekey_time = 28800s
            }}
        }}
    }}""")
        secrets.append(f"""\
    ike-{t.name} {{
        id = {t.local_id}
        secret = "{psk_override or t.psk}"
    }}""")
    return "connections {\n" + "\n".join(conns) + "\n}\nsecrets {\n" + "\n".join(secrets) + "\n}\n"


def responder_for(tunnels: list[Tunnel]) -> str:
    return responder_swanctl_conf(
        [ResponderTunnel(t.name, t.endpoint, t.local_id, t.psk) for t in tunnels]
    )


def bring_up(lab: SwanLab, tunnels: list[Tunnel], **kw: str) -> None:
    lab.load_cf(responder_for(tunnels))
    lab.load_cpe(customer_conf(tunnels, **kw))


def add_inner(lab: SwanLab, tunnels: list[Tunnel]) -> None:
    for t in tunnels:
        lab.add_inner_address("cf", f"{t.cf_inner}/31")
        lab.add_inner_address("cpe", f"{t.cpe_inner}/31")


# ---------------------------------------------------------------------------------------------
# pure checks (no daemons)


def test_responder_proposals_only_cloudflare_set() -> None:
    ike = cloudflare_ike_proposals()
    esp = cloudflare_esp_proposals()
    assert len(ike) == 2 * 3 * 3 + 1 * 1 * 3 * 3
    assert len(esp) == 2 * 3 + 2 * 2 * 3
    assert ike[0] == "aes256gcm16-prfsha256-ecp384"
    assert esp[0] == "aes256gcm16-ecp384"
    allowed = {
        "aes128gcm16", "aes256gcm16", "aes128", "aes256", "sha256", "sha1",
        "prfsha256", "prfsha384", "prfsha512", "ecp384", "modp2048", "modp1536",
    }  # fmt: skip
    for p in ike + esp:
        assert set(p.split("-")) <= allowed, p
    assert not any("sha1" in p for p in ike)  # SHA-1 is ESP-only
    assert not any(re.search(r"\baes128-", p) for p in ike)  # CBC-128 is ESP-only
    assert all(p.rsplit("-", 1)[1] in {"ecp384", "modp2048", "modp1536"} for p in esp)  # PFS


def test_responder_conf_shape() -> None:
    conf = responder_swanctl_conf(
        [
            ResponderTunnel("t1", "192.0.2.10", "ipsec@1f2e.0123.ipsec.cloudflare.com", 'a"b'),
            ResponderTunnel("t2", "192.0.2.20", "keyid:0123_5a6b", "plain", "192.0.2.2"),
        ]
    )
    assert conf.count("version = 2") == 2
    assert conf.count("start_action = none") == 2
    assert conf.count("replay_window = 0") == 2
    assert "id = 192.0.2.10" in conf and "id = ipsec@1f2e.0123.ipsec.cloudflare.com" in conf
    assert "remote_addrs = %any" in conf and "remote_addrs = 192.0.2.2" in conf
    assert "secret = 0s" in conf  # the PSK with a quote is base64-encoded
    assert 'secret = "plain"' in conf
    with pytest.raises(ValueError):
        ResponderTunnel("t3", "192.0.2.10", "198.51.100.7", "x")  # IPv4 ID needs customer_endpoint
    with pytest.raises(ValueError):
        ResponderTunnel("bad name", "192.0.2.10", "a.b", "x")


def test_parse_pretty_list_sas() -> None:
    text = """\
list-sa event {
  t {
    uniqueid = 3
    state = ESTABLISHED
    local-id = a.b
    child-sas {
      t-7 {
        name = t
        uniqueid = 7
        state = INSTALLED
        spi-in = c1
        spi-out = c2
        packets-in = 5
        packets-out = 4
        local-ts = [
          0.0.0.0/0
        ]
      }
    }
  }
}
list-sas reply {
}
"""
    (sa,) = parse_sas(text)
    assert (sa.name, sa.uniqueid, sa.state, sa.local_id) == ("t", 3, "ESTABLISHED", "a.b")
    c = sa.child("t")
    assert (c.uniqueid, c.spi_in, c.packets_in, c.packets_out) == (7, "c1", 5, 4)
    assert c.local_ts == ("0.0.0.0/0",)


# ---------------------------------------------------------------------------------------------
# end to end


@pytest.mark.e2e
@pytest.mark.parametrize(
    "local_id",
    [
        pytest.param(TUNNEL_A.local_id, id="fqdn_id"),
        pytest.param(f"ipsec@{TUNNEL_A.local_id}", id="user_id"),
        pytest.param(f"keyid:{ACCOUNT}_1f2e", id="hex_id"),
    ],
)
def test_one_tunnel_up_and_ping(lab: SwanLab, local_id: str) -> None:
    t = replace(TUNNEL_A, local_id=local_id)
    bring_up(lab, [t])
    lab.initiate(t.name, t.name)

    cpe = lab.ike_sa("cpe", t.name)
    cf = lab.ike_sa("cf", t.name)
    assert (cpe.local_id, cpe.remote_id) == (local_id.removeprefix("keyid:"), t.endpoint)
    assert (cf.local_id, cf.remote_id) == (t.endpoint, cpe.local_id)
    assert (cpe.encr_alg, cpe.prf_alg, cpe.dh_group) == (
        "AES_GCM_16_256", "PRF_HMAC_SHA2_256", "ECP_384"
    )  # fmt: skip
    cpe_child, cf_child = cpe.child(t.name), cf.child(t.name)
    assert (cpe_child.spi_in, cpe_child.spi_out) == (cf_child.spi_out, cf_child.spi_in)
    assert cpe_child.encr_alg == "AES_GCM_16_256"
    assert cpe_child.local_ts == cpe_child.remote_ts == ("0.0.0.0/0",)

    add_inner(lab, [t])
    assert lab.ping("cpe", t.cpe_inner, t.cf_inner, count=3), lab.diagnostics()
    assert lab.ping("cf", t.cf_inner, t.cpe_inner), lab.diagnostics()
    cpe_in, cpe_out = lab.counters("cpe", t.name)
    cf_in, cf_out = lab.counters("cf", t.name)
    assert cpe_out >= 4 and cpe_in >= 4, (cpe_in, cpe_out)
    assert cf_in >= 4 and cf_out >= 4, (cf_in, cf_out)


@pytest.mark.e2e
def test_start_action_start_brings_tunnel_up(lab: SwanLab) -> None:
    t = replace(TUNNEL_A, start_action="start")
    lab.load_cf(responder_for([t]))  # responder first: loading the customer side initiates
    lab.load_cpe(customer_conf([t]))
    child = lab.wait_installed(t.name, side="cpe", timeout=5)
    assert child.state == "INSTALLED"
    lab.wait_installed(t.name, side="cf", timeout=5)


@pytest.mark.e2e
def test_child_rekey(lab: SwanLab) -> None:
    t = TUNNEL_A
    bring_up(lab, [t])
    lab.initiate(t.name, t.name)
    add_inner(lab, [t])
    assert lab.ping("cpe", t.cpe_inner, t.cf_inner)

    result = lab.rekey_child("cpe", t.name)
    assert result.ok, result
    assert result.new_spis is not None and set(result.new_spis).isdisjoint(result.old_spis)
    new = lab.child_sa("cpe", t.name)
    assert (new.spi_in, new.spi_out) == result.new_spis
    assert new.dh_group == "ECP_384"  # the rekey ran a PFS key exchange with DH 20
    assert lab.ping("cpe", t.cpe_inner, t.cf_inner, count=2), lab.diagnostics()
    assert lab.counters("cpe", t.name) >= (2, 2)
    assert lab.counters("cf", t.name) >= (2, 2)


@pytest.mark.e2e
def test_rekey_without_pfs_is_refused(lab: SwanLab) -> None:
    # The first CHILD_SA rides in IKE_AUTH without a key exchange, so a missing PFS group only
    # shows at the first rekey (hours later in production).
    t = replace(TUNNEL_A, esp_proposals="aes256gcm16")
    bring_up(lab, [t])
    lab.initiate(t.name, t.name)
    result = lab.rekey_child("cpe", t.name)
    assert not result.ok, result
    lab.wait_for_log("cf", "no acceptable proposal found")


@pytest.mark.e2e
def test_wrong_psk_fails(lab: SwanLab) -> None:
    t = TUNNEL_A
    bring_up(lab, [t], psk_override="FAKE-PSK-WRONG")
    res = lab.initiate(t.name, t.name, check=False)
    assert res.returncode != 0, res.describe()
    lab.wait_for_log("cpe", "received AUTHENTICATION_FAILED notify error")
    lab.wait_for_log("cf", r"tried \d+ shared keys? for .* but MAC mismatched")
    assert not [sa for sa in lab.sas("cpe") if sa.state == "ESTABLISHED"]


@pytest.mark.e2e
def test_unsupported_ike_proposal_fails(lab: SwanLab) -> None:
    t = replace(TUNNEL_A, proposals="aes128-sha1-modp1024")
    bring_up(lab, [t])
    res = lab.initiate(t.name, t.name, check=False)
    assert res.returncode != 0, res.describe()
    lab.wait_for_log("cpe", "received NO_PROPOSAL_CHOSEN notify error")
    lab.wait_for_log("cf", "received proposals unacceptable")


@pytest.mark.e2e
def test_two_tunnels_two_endpoints(lab: SwanLab) -> None:
    tunnels = [TUNNEL_A, TUNNEL_B]
    bring_up(lab, tunnels)
    for t in tunnels:
        lab.initiate(t.name, t.name)
    for t in tunnels:
        for side in ("cf", "cpe"):
            sa = lab.ike_sa(side, t.name)
            assert sa.child(t.name).state == "INSTALLED"
        assert lab.ike_sa("cpe", t.name).remote_host == t.endpoint
    add_inner(lab, tunnels)

    # Both inner /31s answer, but libipsec picks the outbound CHILD_SA by selector only, so
    # with identical 0.0.0.0/0 selectors one CHILD_SA carries everything.
    before = {t.name: lab.counters("cpe", t.name)[1] for t in tunnels}
    for t in tunnels:
        assert lab.ping("cpe", t.cpe_inner, t.cf_inner), lab.diagnostics()
    sent = {t.name: lab.counters("cpe", t.name)[1] - before[t.name] for t in tunnels}
    assert sorted(sent.values()) == [0, 2], sent

    # Per-tunnel data path: each tunnel alone carries its own ping.
    for t, other in ((TUNNEL_A, TUNNEL_B), (TUNNEL_B, TUNNEL_A)):
        lab.terminate(other.name)
        if not [sa for sa in lab.sas("cpe", t.name) if sa.state == "ESTABLISHED"]:
            lab.initiate(t.name, t.name)
        before_in, before_out = lab.counters("cpe", t.name)
        assert lab.ping("cpe", t.cpe_inner, t.cf_inner), lab.diagnostics()
        after_in, after_out = lab.counters("cpe", t.name)
        assert after_out > before_out and after_in > before_in
        cf_in, cf_out = lab.counters("cf", t.name)
        assert cf_in >= 1 and cf_out >= 1
        lab.initiate(other.name, other.name)
