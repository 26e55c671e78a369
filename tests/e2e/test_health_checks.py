"""Cloudflare's reply-type health checks against a rendered strongSwan device, in namespaces.

A reply-type probe is an ICMP echo reply that Cloudflare encapsulates into the tunnel with the
customer side of the /31 as source and Cloudflare's side as destination: the router must take
a packet carrying its own address as source (Linux drops it as a martian unless accept_local
is set) and route it back into the tunnel. The Cloudflare-profile namespace sends such packets
from a raw socket into the tunnel and counts what comes back on its CHILD_SA. The customer
side gets exactly the sysctls the rendered network.sh sets on the tunnel's interface (applied
to the lab's kernel-libipsec TUN device, since this kernel has no XFRM interfaces); without
accept_local the same probes never come back.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netgen import api
from tests.scenarios import write_inventory

from .labs import running_lab
from .swan_harness import TUN_DEVICE, SwanLab
from .test_interop import DEVICE, fake_psk, inventory, only_first_tunnel_up
from .test_strongswan_load import quiesce

pytestmark = pytest.mark.e2e

# An ICMP echo reply with a chosen source, sent as a whole IP packet (IP_HDRINCL).
SEND_REPLY_PROBES = r"""
import socket, struct, sys
src, dst, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
def checksum(data):
    data += b"\0" * (len(data) % 2)
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF
icmp = struct.pack("!BBHHH", 0, 0, 0, 0x4E47, 1) + b"netgen-reply-probe"
icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0, 0, 64, 1, 0,
                   socket.inet_aton(src), socket.inet_aton(dst))
head = head[:10] + struct.pack("!H", checksum(head)) + head[12:]
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for _ in range(count):
    sock.sendto(head + icmp, (dst, 0))
"""


@pytest.fixture
def lab() -> Iterator[SwanLab]:
    with running_lab(("192.0.2.10/24", "192.0.2.20/24"), ("203.0.113.10/24",)) as swan_lab:
        yield swan_lab


def _render(tmp_path: Path) -> tuple[str, str, list[dict[str, Any]]]:
    path = write_inventory(tmp_path, inventory("cloudflare-gcm", "fqdn"))
    tunnels = [t for t in api.plan(path).tunnels if t["device"] == DEVICE]
    psks = {t["name"]: fake_psk(t["name"]) for t in tunnels}
    files = api.render(path, None, devices=[DEVICE], psks=psks, reveal_secrets=True).files
    conf = next(f.content.decode() for f in files if f.path.endswith(".swanctl.conf"))
    script = next(f.content.decode() for f in files if f.path.endswith(".network.sh"))
    return conf, script, tunnels


def _tunnel_sysctls(script: str, interface: str) -> dict[str, str]:
    """The per-interface sysctls network.sh sets on ``interface`` (rp_filter, accept_local)."""
    found = re.findall(rf"^sysctl -q -w net\.ipv4\.conf\.{interface}\.(\w+)=(\d+)$", script, re.M)
    return dict(found)


def _returned(lab: SwanLab, name: str, customer: str, cloudflare: str, count: int) -> int:
    """Send ``count`` reply-type probes from the Cloudflare side; how many came back."""
    before = lab.counters("cf", name)[0]
    sent = lab.run_in(
        "cf", sys.executable, "-c", SEND_REPLY_PROBES, customer, cloudflare, str(count)
    )
    assert sent.returncode == 0, sent.describe()
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and lab.counters("cf", name)[0] < before + count:
        time.sleep(0.05)
    return lab.counters("cf", name)[0] - before


def test_reply_type_probes_come_back_through_the_tunnel(lab: SwanLab, tmp_path: Path) -> None:
    conf, script, tunnels = _render(tmp_path)
    probe = tunnels[0]
    try:
        only_first_tunnel_up(lab, conf, tunnels)
        customer, cloudflare = probe["customer_address"], probe["cloudflare_address"]
        # customer side: the /31 on the tunnel device, forwarding on (network.sh section 2)
        lab.add_inner_address("cpe", f"{customer}/31")
        assert lab.run_in("cpe", "sysctl", "-qw", "net.ipv4.ip_forward=1").returncode == 0
        # Cloudflare side: its /31 address is not local there, so the probe enters the tunnel
        lab.wait_tun("cf")
        for argv in (
            ("ip", "link", "set", TUN_DEVICE, "up"),
            ("ip", "route", "replace", f"{cloudflare}/32", "dev", TUN_DEVICE),
        ):
            assert lab.run_in("cf", *argv).returncode == 0

        wanted = _tunnel_sysctls(script, "xfrm1")
        assert wanted.get("accept_local") == "1", wanted
        for key, value in wanted.items():
            lab.run_in("cpe", "sysctl", "-qw", f"net.ipv4.conf.{TUN_DEVICE}.{key}={value}")
            lab.run_in("cpe", "sysctl", "-qw", f"net.ipv4.conf.all.{key}=0")

        assert _returned(lab, probe["name"], customer, cloudflare, 5) >= 5

        # without network.sh's accept_local the same probes are dropped as martians
        lab.run_in("cpe", "sysctl", "-qw", f"net.ipv4.conf.{TUN_DEVICE}.accept_local=0")
        assert _returned(lab, probe["name"], customer, cloudflare, 5) == 0
    finally:
        quiesce(lab, tmp_path)
