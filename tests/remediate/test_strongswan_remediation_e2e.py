"""The strongSwan remediation scripts run for real, in private network namespaces only.

The generated script is run unchanged with ``bash``, as on a router, from a "packet" directory
that also holds the device's files (rendered with fake PSKs revealed). It runs in a throwaway
network namespace (veth WAN links eth0 203.0.113.10/24 and eth1 198.51.100.20/24, both ends
inside it) and a private mount namespace in which /etc/swanctl and strongswan.d are temporary
directories. As in tests/e2e/test_strongswan_load.py, a PATH shim turns ``ip link add ... type
xfrm`` / ``ip tunnel add`` into TUN devices (this kernel has no XFRM interfaces or GRE); every
other ip, nft and sysctl command is real.

* Host state: after the old network.sh plus the remediation, links, addresses, routes, rules
  and the nftables ruleset equal a fresh namespace where only the new network.sh ran; again
  after running the script a second time; and the rollback gives the old state back.
* IKE (SwanLab, real charon-systemd with kernel-libipsec): a ``swanctl`` shim sends the
  script's swanctl commands to the lab's customer-side daemon over its own vici socket. With
  both tunnels up, the remediation for "second tunnel removed" closes and unloads the second
  one, while the first keeps its IKE_SA and CHILD_SA (same unique ids) and carries a ping. A
  changed tunnel comes back with its new proposals, the other one untouched.

Documentation addresses only (RFC 5737 outside the tunnels, RFC 1918 /31s inside).
"""

from __future__ import annotations

import json
import shlex
import stat
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from netgen import api
from netgen.remediate.strongswan import remediate_strongswan
from tests.e2e.labs import running_lab
from tests.e2e.swan_harness import SwanLab, _find_swanctl, poll
from tests.e2e.test_interop import fake_psk, responder
from tests.e2e.test_strongswan_load import IP_SHIM, Netns, _network_sh_prerequisites, quiesce
from tests.scenarios import SCENARIOS, write_inventory

from .test_strongswan_remediation import (
    CONF,
    DEVICE,
    FIRST,
    NETWORK,
    SECOND,
    Files,
    render_device,
    second_changed,
    second_removed,
    two_tunnels,
)

pytestmark = pytest.mark.e2e

WAN_LINKS = (("eth0", "203.0.113.10/24", "peer0"), ("eth1", "198.51.100.20/24", "peer1"))
SWANCTL_SUBDIRS = ("conf.d", "x509", "x509ca", "x509aa", "x509ocsp", "x509crl", "x509ac")
SWANCTL_SUBDIRS_KEYS = ("pubkey", "private", "rsa", "ecdsa", "bliss", "pkcs8", "pkcs12")
LOG_SWANCTL = """#!/bin/bash
printf '%s\\n' "$*" >> {log}
"""
FORWARD_SWANCTL = LOG_SWANCTL + 'exec env STRONGSWAN_CONF={conf} {swanctl} "$@" --uri {uri}\n'


class Host:
    """The router's side for the scripts: a throwaway netns, and per run a private mount
    namespace with temporary /etc/swanctl and strongswan.d and the PATH shims."""

    def __init__(self, ns: Netns, root: Path, swanctl_shim: str, strongswan_d: Path) -> None:
        self.ns, self.root, self.host_strongswan_d = ns, root, strongswan_d
        self.etc_swanctl = root / "etc-swanctl"
        for sub in (*SWANCTL_SUBDIRS, *SWANCTL_SUBDIRS_KEYS):
            (self.etc_swanctl / sub).mkdir(parents=True)
        (self.etc_swanctl / "swanctl.conf").write_text("include conf.d/*.conf\n")
        self.strongswan_d = root / "strongswan.d"
        self.strongswan_d.mkdir()
        self.shims = root / "shim"
        self.shims.mkdir()
        for name, text in (("ip", IP_SHIM), ("swanctl", swanctl_shim)):
            (self.shims / name).write_text(text)
            (self.shims / name).chmod(0o755)
        for iface, address, peer in WAN_LINKS:
            ns.run("ip", "link", "add", iface, "type", "veth", "peer", "name", peer)
            for dev in (iface, peer):
                ns.run("ip", "link", "set", dev, "up")
            ns.run("ip", "addr", "add", address, "dev", iface)
        ns.run("ip", "link", "set", "lo", "up")

    @property
    def installed_conf(self) -> Path:
        return self.etc_swanctl / "conf.d" / f"{DEVICE}.conf"

    def run(self, script: Path) -> subprocess.CompletedProcess[str]:
        """``bash script`` as root inside the namespaces; /etc/swanctl and the host's
        strongswan.d directory are the temporary ones for this run only."""
        inner = (
            'mount --bind "$1" /etc/swanctl && mount --bind "$2" "$3" && '
            'PATH="$4:$PATH" NETGEN_IP_LOG="$5" exec bash "$6"'
        )
        return self.ns.run(
            "unshare", "--mount", "--propagation", "private", "bash", "-c", inner, "sh",
            str(self.etc_swanctl), str(self.strongswan_d), str(self.host_strongswan_d),
            str(self.shims), str(self.root / "ip.log"), str(script),
            check=False,
        )  # fmt: skip

    def state(self) -> dict[str, list[str]]:
        """Links (name, flags, MTU, alias), IPv4 addresses, routes of every table, rules, and
        the nftables ruleset: what network.sh and the remediation manage (not sysctls)."""

        def show(*argv: str) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = json.loads(self.ns.run("ip", "-j", *argv).stdout or "[]")
            return found

        links = [
            f"{i['ifname']} {sorted(i.get('flags', []))} mtu {i.get('mtu')} {i.get('ifalias', '')}"
            for i in show("link", "show")
        ]
        addrs = [
            f"{i['ifname']} {a['local']}/{a['prefixlen']}"
            for i in show("-4", "addr", "show")
            for a in i.get("addr_info", [])
        ]
        return {
            "links": sorted(links),
            "addresses": sorted(addrs),
            "routes": sorted(
                json.dumps(r, sort_keys=True) for r in show("-4", "route", "show", "table", "all")
            ),
            "rules": sorted(json.dumps(r, sort_keys=True) for r in show("-4", "rule", "show")),
            "nft": self.ns.run("nft", "list", "ruleset").stdout.splitlines(),
        }


def host_prerequisites() -> Path:
    """Skip unless root, netns, TUN, ip/nft/unshare, /etc/swanctl and a strongswan.d exist
    (temporary directories are mounted over the last two, privately); the strongswan.d."""
    strongswan_d = _network_sh_prerequisites()
    if not Path("/etc/swanctl").is_dir():
        pytest.skip("no /etc/swanctl to mount a temporary directory over")
    return strongswan_d


@contextmanager
def host(root: Path, swanctl_shim: str | None = None) -> Iterator[Host]:
    strongswan_d = host_prerequisites()
    root.mkdir(parents=True)
    shim = swanctl_shim or LOG_SWANCTL.format(log=shlex.quote(str(root / "swanctl.log")))
    with Netns(root) as ns:
        yield Host(ns, root, shim, strongswan_d)


def packet(directory: Path, files: Files, script: list[str] | None = None) -> Path:
    """A directory as an operator gets it: the device's files and the script next to them."""
    directory.mkdir(parents=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    path = directory / "remediate.sh"
    path.write_text("\n".join(script or []) + "\n")
    path.chmod(0o755)
    return path


def run_ok(h: Host, script: Path) -> subprocess.CompletedProcess[str]:
    res = h.run(script)
    assert res.returncode == 0, f"{script}: rc={res.returncode}\n{res.stdout}\n{res.stderr}"
    return res


def fresh_state(root: Path, files: Files) -> dict[str, list[str]]:
    """The host state of a namespace where only ``files``' network.sh ran (if any)."""
    with host(root) as h:
        if NETWORK in files:
            run_ok(h, packet(root / "packet", files, None).parent / NETWORK)
        return h.state()


# ---------------------------------------------------------------------------------------------
# host state: old + remediation == new, and back


def scenario(name: str) -> Callable[[], dict[str, Any]]:
    return lambda: SCENARIOS[name]("strongswan", "5.9")


TRANSITIONS: dict[str, tuple[Callable[[], dict[str, Any]], Callable[[], dict[str, Any]] | None]] = {
    "tunnel-removed": (two_tunnels, second_removed),
    "tunnel-changed": (two_tunnels, second_changed),
    "policy-routing-added": (scenario("ipsec-dual-isp"), scenario("full-tunnel")),
    "health-check-targets-added": (scenario("ipsec-dual-isp"), scenario("legacy-hc")),
    "gre-backups-added": (scenario("ipsec-dual-isp"), scenario("mixed")),
    "device-removed": (two_tunnels, None),
}


@pytest.mark.parametrize("transition", TRANSITIONS)
def test_host_state_after_remediation_and_rollback(tmp_path: Path, transition: str) -> None:
    host_prerequisites()
    make_old, make_new = TRANSITIONS[transition]
    old = render_device(tmp_path / "inv", make_old())
    new = render_device(tmp_path / "inv", make_new()) if make_new else {}
    script, rollback = remediate_strongswan(old, new, DEVICE)
    expected_old = fresh_state(tmp_path / "fresh-old", old)
    expected_new = fresh_state(tmp_path / "fresh-new", new)
    assert expected_old != expected_new

    with host(tmp_path / "host") as h:
        run_ok(h, packet(tmp_path / "p-add", old, remediate_strongswan({}, old, DEVICE)[0]))
        assert h.state() == expected_old
        assert h.installed_conf.read_text() == old[CONF]
        assert stat.S_IMODE(h.installed_conf.stat().st_mode) == 0o600

        forward = packet(tmp_path / "p-new", new, script)
        for attempt in (1, 2):  # the second run finds everything done already
            run_ok(h, forward)
            assert h.state() == expected_new, f"run {attempt}"
            if new:
                assert h.installed_conf.read_text() == new[CONF]
            else:
                assert not h.installed_conf.exists()

        run_ok(h, packet(tmp_path / "p-old", old, rollback))
        assert h.state() == expected_old
        assert h.installed_conf.read_text() == old[CONF]


def test_link_moved_to_another_wan_is_created_anew(tmp_path: Path) -> None:
    """network.sh skips `ip link add` for a link that exists: the script deletes it first."""
    inv = SCENARIOS["ipsec-dual-isp"]("strongswan", "5.9")
    device = inv["sites"][0]["devices"][0]
    device["tunnels"] = [{"name": FIRST, "wan": "isp-a", "endpoint": "cf1"}]
    old = render_device(tmp_path / "inv", inv)
    device["tunnels"][0]["wan"] = "isp-b"
    new = render_device(tmp_path / "inv", inv)
    script, _ = remediate_strongswan(old, new, DEVICE)
    with host(tmp_path / "host") as h:
        run_ok(h, packet(tmp_path / "p-add", old, remediate_strongswan({}, old, DEVICE)[0]))
        log = h.root / "ip.log"
        log.write_text("")
        run_ok(h, packet(tmp_path / "p-new", new, script))
        calls = log.read_text().splitlines()
        assert calls.index("link del xfrm1") < calls.index(
            "link add xfrm1 type xfrm dev eth1 if_id 1"
        )
        assert h.state() == fresh_state(tmp_path / "fresh-new", new)


# ---------------------------------------------------------------------------------------------
# IKE: the lab's charon


@pytest.fixture
def lab() -> Iterator[SwanLab]:
    """Cloudflare endpoints 192.0.2.10 and .20; the customer side holds the WAN address."""
    with running_lab(("192.0.2.10/24", "192.0.2.20/24"), ("203.0.113.10/24",)) as swan_lab:
        yield swan_lab


def forwarding_shim(lab: SwanLab, log: Path) -> str:
    """swanctl that logs its arguments and talks to the lab's customer-side daemon."""
    daemon = lab._daemon("cpe")  # its private strongswan.conf and vici socket
    swanctl = _find_swanctl()
    assert swanctl is not None
    q = shlex.quote
    return FORWARD_SWANCTL.format(
        log=q(str(log)), conf=q(str(daemon.conf)), swanctl=q(str(swanctl)), uri=q(daemon.uri)
    )


def lab_tunnels(inventory: Path) -> list[dict[str, Any]]:
    return [t for t in api.plan(inventory).tunnels if t["device"] == DEVICE]


def revealed(directory: Path, inv: dict[str, Any]) -> tuple[Files, Files, list[dict[str, Any]]]:
    """The device's files with placeholders (what `netgen diff` compares) and with the fake
    PSKs revealed (what the operator's packet holds), and its tunnels."""
    path = write_inventory(directory, inv)
    tunnels = lab_tunnels(path)
    psks = {t["name"]: fake_psk(t["name"]) for t in tunnels}
    masked = render_device(directory, inv)
    return masked, render_device(directory, inv, psks=psks, reveal_secrets=True), tunnels


def ids(lab: SwanLab, name: str) -> tuple[int, int, int]:
    """(customer IKE_SA, customer CHILD_SA, Cloudflare IKE_SA) unique ids of tunnel ``name``."""
    ike = lab.ike_sa("cpe", name)
    return ike.uniqueid, ike.child(name).uniqueid, lab.ike_sa("cf", name).uniqueid


def no_sa(lab: SwanLab, side: Any, name: str) -> bool:
    return not [sa for sa in lab.sas(side) if sa.name == name]


@contextmanager
def both_tunnels_up(
    lab: SwanLab,
    tmp_path: Path,
    old_masked: Files,
    old_packet: Files,
    tunnels: list[dict[str, Any]],
) -> Iterator[Host]:
    """The device installed by its "added" script: both tunnels up, network.sh applied."""
    host_prerequisites()  # skip before the responder is loaded
    lab.load_cf(responder(tunnels, "fqdn"))
    root = tmp_path / "host"
    with host(root, forwarding_shim(lab, tmp_path / "swanctl.log")) as h:
        try:
            run_ok(
                h,
                packet(
                    tmp_path / "p-add", old_packet, remediate_strongswan({}, old_masked, DEVICE)[0]
                ),
            )
            for t in tunnels:
                lab.wait_installed(t["name"], side="cpe")
                lab.wait_installed(t["name"], side="cf")
            yield h
        finally:
            quiesce(lab, tmp_path)


def test_removed_tunnel_goes_and_the_other_stays_up(lab: SwanLab, tmp_path: Path) -> None:
    old_masked, old_packet, tunnels = revealed(tmp_path / "inv", two_tunnels())
    new_masked, new_packet, _ = revealed(tmp_path / "inv", second_removed())
    script, rollback = remediate_strongswan(old_masked, new_masked, DEVICE)
    for psk in (fake_psk(FIRST), fake_psk(SECOND)):
        assert psk.encode().hex() not in "\n".join(script + rollback)
    first = next(t for t in tunnels if t["name"] == FIRST)

    with both_tunnels_up(lab, tmp_path, old_masked, old_packet, tunnels) as h:
        before = ids(lab, FIRST)
        log_start = (tmp_path / "swanctl.log").read_text()
        forward = packet(tmp_path / "p-new", new_packet, script)
        for _attempt in (1, 2):  # again: nothing left to do, nothing disturbed
            run_ok(h, forward)
            assert ids(lab, FIRST) == before
            assert no_sa(lab, "cpe", SECOND)
            poll(f"{SECOND} deleted on the Cloudflare side", lambda: no_sa(lab, "cf", SECOND), 10)
            conns = lab.swanctl("cpe", "--list-conns").stdout
            assert f"{FIRST}:" in conns and f"{SECOND}:" not in conns
            assert "xfrm2" not in str(h.state()["links"]) and "xfrm1" in str(h.state()["links"])
        calls = (tmp_path / "swanctl.log").read_text().removeprefix(log_start).splitlines()
        assert calls[:2] == [f"--terminate --ike {SECOND} --force", "--load-all"]

        # the first tunnel carries traffic (kernel-libipsec: the one SA left takes it)
        lab.add_inner_address("cf", f"{first['cloudflare_address']}/31")
        lab.add_inner_address("cpe", f"{first['customer_address']}/31")
        cpe_in, cpe_out = lab.counters("cpe", FIRST)
        assert lab.ping("cpe", first["customer_address"], first["cloudflare_address"], count=3)
        assert lab.counters("cpe", FIRST) >= (cpe_in + 3, cpe_out + 3)

        # rollback: the second tunnel is back, the first still untouched
        run_ok(h, packet(tmp_path / "p-old", old_packet, rollback))
        lab.wait_installed(SECOND, side="cpe")
        lab.wait_installed(SECOND, side="cf")
        assert ids(lab, FIRST) == before


def test_changed_tunnel_is_renegotiated_and_the_other_untouched(
    lab: SwanLab, tmp_path: Path
) -> None:
    old_masked, old_packet, tunnels = revealed(tmp_path / "inv", two_tunnels())
    new_masked, new_packet, _ = revealed(tmp_path / "inv", second_changed())
    script, _ = remediate_strongswan(old_masked, new_masked, DEVICE)

    with both_tunnels_up(lab, tmp_path, old_masked, old_packet, tunnels) as h:
        first, second = ids(lab, FIRST), ids(lab, SECOND)
        assert lab.ike_sa("cpe", SECOND).encr_alg == "AES_GCM_16_256"
        run_ok(h, packet(tmp_path / "p-new", new_packet, script))
        assert ids(lab, FIRST) == first
        lab.wait_installed(SECOND, side="cpe")
        lab.wait_installed(SECOND, side="cf")
        changed = lab.ike_sa("cpe", SECOND)
        assert changed.uniqueid != second[0]
        assert changed.encr_alg == "AES_CBC_256" and changed.integ_alg == "HMAC_SHA2_256_128"
        assert changed.child(SECOND).encr_alg == "AES_CBC_256"
        assert len([sa for sa in lab.sas("cpe") if sa.name == SECOND]) == 1
        assert "mtu 1400" in str(h.state()["links"])
