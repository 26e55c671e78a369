"""via_cloudflare: the policy-routing lines network.sh generates, run for real in a private
network namespace.

This kernel has no XFRM interfaces, so network.sh as a whole cannot run here; the test runs
its section 6b (the rules and table 180) against veth stand-ins named like the plan's tunnel
interfaces, then asks the kernel where packets go: the LAN's traffic to the Internet through
the tunnels, the LAN's traffic to its own prefixes and the host's own traffic (IKE, ESP) not.
Documentation and private addresses only; nothing leaves the namespace.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from netgen import api
from tests.scenarios import SCENARIOS, write_inventory

pytestmark = pytest.mark.e2e


def _ip(ns: str, *args: str) -> str:
    out = subprocess.run(
        ["ip", "-n", ns, *args], capture_output=True, text=True, check=True, timeout=10
    )
    return out.stdout


@pytest.fixture
def netns() -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 for a private network namespace")
    name = f"ngpbr-{uuid.uuid4().hex[:8]}"
    try:
        subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot create a network namespace: {exc.stderr!r}")
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def _section(script: str) -> str:
    match = re.search(r"^# --- 6b\..*?(?=^# --- 7\.)", script, re.M | re.S)
    assert match, "network.sh has no via-Cloudflare section"
    return match.group(0)


def test_the_lans_traffic_goes_through_the_tunnels_and_the_hosts_does_not(
    tmp_path: Path, netns: str
) -> None:
    inv = SCENARIOS["full-tunnel"]("strongswan", None)
    path = write_inventory(tmp_path, inv)
    (plan,) = [
        p
        for p in api.device_plans(api.plan_inputs(api.open_session(path)))
        if p.device == "hq-edge1"
    ]
    result = api.render(path, None, devices=["hq-edge1"])
    (script,) = [f.content.decode() for f in result.files if f.path.endswith("network.sh")]

    # stand-ins: each tunnel interface with the customer side of its /31, the LAN, one WAN;
    # forwarding on, as network.sh's section 2 sets it
    _ip(netns, "link", "set", "lo", "up")
    subprocess.run(
        ["ip", "netns", "exec", netns, "sysctl", "-qw", "net.ipv4.ip_forward=1"], check=True
    )
    for t in plan.tunnels:
        _ip(netns, "link", "add", t.interface, "type", "veth", "peer", "name", f"p{t.number}")
        _ip(netns, "link", "set", t.interface, "up")
        _ip(netns, "link", "set", f"p{t.number}", "up")
        _ip(netns, "addr", "add", t.customer_cidr, "dev", t.interface)
    lan = plan.lan_interface
    assert lan is not None
    _ip(netns, "link", "add", lan, "type", "veth", "peer", "name", "lanpeer")
    _ip(netns, "link", "set", lan, "up")
    _ip(netns, "addr", "add", "10.10.0.1/16", "dev", lan)
    wan = plan.wan_links[0]
    _ip(netns, "link", "add", wan.interface, "type", "veth", "peer", "name", "wanpeer")
    _ip(netns, "link", "set", wan.interface, "up")
    _ip(netns, "addr", "add", f"{wan.address}/24", "dev", wan.interface)
    _ip(netns, "route", "add", "default", "via", str(wan.gateway), "dev", wan.interface)

    checked = subprocess.run(
        ["ip", "netns", "exec", netns, "bash", "-euo", "pipefail", "-c", _section(script)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert checked.returncode == 0, checked.stderr

    tunnels = {t.interface for t in plan.tunnels}

    def route_dev(*args: str) -> str:
        found = re.search(r"\bdev (\S+)", _ip(netns, "route", "get", *args))
        assert found, args
        return found.group(1)

    # the LAN's traffic to the Internet (documentation address) goes through a tunnel
    assert route_dev("198.51.100.99", "iif", lan, "from", "10.10.1.5") in tunnels
    # the LAN's traffic to its own prefix stays on the LAN
    assert route_dev("10.10.2.2", "iif", lan, "from", "10.10.1.5") == lan
    # the host's own traffic, IKE/ESP to the Cloudflare endpoints included, keeps the ISP
    assert route_dev("198.51.100.99") == wan.interface
    endpoint = plan.tunnels[0].endpoint_address
    assert route_dev(endpoint, "from", wan.address) == wan.interface
