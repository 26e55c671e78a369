"""The strongSwan vendor's output against real software, in private network namespaces only.

* ``swanctl.conf``: every scenario strongSwan supports is rendered and loaded into a real
  charon (SwanLab, kernel-libipsec). With PSKs revealed, the generated connections come up
  against the Cloudflare-profile responder (tests/e2e/cloudflare_responder.py, written from
  Cloudflare's rules, not from netgen) and a CHILD_SA rekey proves the PFS group. The lab's
  customer side carries the scenario's WAN addresses (203.0.113.10, 198.51.100.20) and the
  Cloudflare side the endpoints (192.0.2.10, 192.0.2.20), so ``local_addrs``/``remote_addrs``
  are used exactly as rendered.
* ``network.sh``: run twice (idempotence) as root inside a fresh network namespace whose only
  links are veth pairs with both ends in that namespace, and inside a private mount namespace
  with a temporary directory over strongswan.d. This kernel has no XFRM-interface or GRE
  support, so a PATH shim turns ``ip link add ... type xfrm`` / ``ip tunnel add`` into TUN
  devices of the same name; every other command (sysctl, ip rule/route/addr, nft) is real.
  Packets injected into those TUN devices check the health-check paths end to end.

Identities and PSKs for the responder come from the neutral inventory and
``tests.scenarios.identities_for``, never from the rendered file.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from netgen import api
from netgen.cloudflare.crypto import CryptoSuite
from netgen.vendors.registry import load_registry
from tests.scenarios import SCENARIO_NEEDS, SCENARIOS, identities_for, render_scenario

from .cloudflare_responder import ResponderTunnel, responder_swanctl_conf
from .labs import running_lab
from .swan_harness import SwanLab

VENDOR = "strongswan"
VERSION = "5.9"
DEVICE = "hq-edge1"
PROFILE = load_registry().vendors[VENDOR]
SUPPORTED = [s for s in SCENARIOS if all(PROFILE.can(c) for c in SCENARIO_NEEDS[s])]
IPSEC_SCENARIOS = [s for s in SUPPORTED if "ipsec" in SCENARIO_NEEDS[s]]

# strongSwan's names in `swanctl --list-sas` for Cloudflare's algorithms
ENC = {
    "aes-128-gcm": "AES_GCM_16_128",
    "aes-256-gcm": "AES_GCM_16_256",
    "aes-128-cbc": "AES_CBC_128",
    "aes-256-cbc": "AES_CBC_256",
}
PRF = {"sha256": "PRF_HMAC_SHA2_256", "sha384": "PRF_HMAC_SHA2_384", "sha512": "PRF_HMAC_SHA2_512"}
INTEG = {"sha256": "HMAC_SHA2_256_128", "sha1": "HMAC_SHA1_96"}
DH = {20: "ECP_384", 14: "MODP_2048", 5: "MODP_1536"}

# PSKs with characters a naive `secret = "..."` would break on (the generated file hex-encodes)
_netns_counter = itertools.count()
TRICKY_PSKS = ('FAKE "quoted" psk', "FAKE\\back\\slash", "FAKE #{not a comment}", "FAKE-plain")


@dataclass(frozen=True)
class ExpectedTunnel:
    name: str
    endpoint: str
    wan_address: str
    behind_nat: bool
    remote_id: str  # the customer's IKE ID as the responder must expect it (swanctl syntax)
    psk: str
    suite: CryptoSuite


def expected_tunnels(inventory: Path) -> list[ExpectedTunnel]:
    """The scenario device's IPsec tunnels, from the neutral inventory (not the rendered file)."""
    inv = api.open_session(inventory).loaded.inventory
    device = next(d for d in inv.devices() if d.name == DEVICE)
    out = []
    for i, name in enumerate(device.tunnels):
        t = inv.tunnels[name]
        if t.settings.tunnel_type != "ipsec":
            continue
        endpoint = inv.endpoint(t.endpoint)
        link = device.wan_link(t.wan)
        assert endpoint is not None and link is not None
        ids = identities_for(name)
        assert ids.fqdn_id and ids.user_id and ids.hex_id
        kind = t.settings.ipsec.local_id
        remote_id = {
            "fqdn": str(ids.fqdn_id),
            "user": str(ids.user_id),
            "hex": f"keyid:{ids.hex_id}",
            "ipv4": str(link.address),
        }[kind]
        out.append(
            ExpectedTunnel(
                name,
                str(endpoint.address),
                str(link.address),
                link.behind_nat,
                remote_id,
                TRICKY_PSKS[i % len(TRICKY_PSKS)],
                t.settings.ipsec.crypto,
            )
        )
    return out


def responder_for(tunnels: list[ExpectedTunnel]) -> str:
    return responder_swanctl_conf(
        [
            ResponderTunnel(
                t.name,
                t.endpoint,
                t.remote_id,
                t.psk,
                t.wan_address if t.remote_id == t.wan_address else None,
            )
            for t in tunnels
        ]
    )


def render(tmp_path: Path, scenario: str, **kwargs: object) -> dict[str, str]:
    files = render_scenario(tmp_path, scenario, VENDOR, VERSION, **kwargs)
    return {Path(p).name.removeprefix(f"{DEVICE}."): text for p, text in files.items()}


def quiesce(lab: SwanLab, tmp_path: Path) -> None:
    """Unload the customer side's connections and close its IKE_SAs before the lab stops.

    The generated config re-initiates whatever the peer closes (close_action = start,
    keyingtries = 0). Without this, the responder's DELETEs during the lab's shutdown make the
    customer daemon re-initiate while it is itself shutting down.
    """
    empty = tmp_path / "empty-swanctl.conf"
    empty.write_text("connections {\n}\n")
    lab.swanctl("cpe", "--load-conns", "--file", str(empty))
    for sa in lab.sas("cpe"):
        lab.swanctl("cpe", "--terminate", "--ike", sa.name, "--force", "--timeout", "2")


@pytest.fixture
def wan_lab() -> Iterator[SwanLab]:
    """Like conftest's ``lab``, but the customer side holds the scenarios' WAN addresses."""
    with running_lab(
        ("192.0.2.10/24", "192.0.2.20/24"), ("203.0.113.10/24", "198.51.100.20/24")
    ) as swan_lab:
        yield swan_lab


# ---------------------------------------------------------------------------------------------
# swanctl.conf in a real charon


@pytest.mark.e2e
@pytest.mark.parametrize("scenario", IPSEC_SCENARIOS)
def test_default_output_loads(lab: SwanLab, tmp_path: Path, scenario: str) -> None:
    """The default output (PSK placeholders) loads without any error or discarded section.

    The conftest lab's customer side is 192.0.2.2, so the initiations that start_action = start
    triggers fail inside the lab's namespace; only the load result is checked here.
    """
    conf = render(tmp_path, scenario)["swanctl.conf"]
    try:
        res = lab.load_cpe(conf)  # raises unless "successfully loaded", no failed/discarded
        n = len(expected_tunnels(tmp_path / "inventory.yaml"))
        assert f"successfully loaded {n} connections" in res.output, res.describe()
        assert "loaded ike secret 'ike-" in res.output
    finally:
        quiesce(lab, tmp_path)


@pytest.mark.e2e
@pytest.mark.parametrize("scenario", IPSEC_SCENARIOS)
def test_tunnels_come_up_against_cloudflare_profile(
    wan_lab: SwanLab, tmp_path: Path, scenario: str
) -> None:
    lab = wan_lab
    placeholder_conf = render(tmp_path, scenario)["swanctl.conf"]
    tunnels = expected_tunnels(tmp_path / "inventory.yaml")
    psks = {t.name: t.psk for t in tunnels}
    conf = render(tmp_path, scenario, psks=psks, reveal_secrets=True)["swanctl.conf"]
    assert "<redacted:psk:" in placeholder_conf and "<redacted:psk:" not in conf

    lab.load_cf(responder_for(tunnels))  # responder first: loading the customer side initiates
    try:
        lab.load_cpe(conf)
        check_tunnels_up(lab, tunnels)
    finally:
        quiesce(lab, tmp_path)


def check_tunnels_up(lab: SwanLab, tunnels: list[ExpectedTunnel]) -> None:
    for t in tunnels:
        cpe_child = lab.wait_installed(t.name, side="cpe", timeout=10)
        lab.wait_installed(t.name, side="cf", timeout=10)
        ike = lab.ike_sa("cpe", t.name)
        s = t.suite
        assert ike.remote_host == t.endpoint, ike
        assert ike.remote_id == t.endpoint
        assert ike.local_id == t.remote_id.removeprefix("keyid:")
        assert ike.encr_alg == ENC[s.ike_encryption]
        assert ike.prf_alg == PRF[s.ike_prf]
        assert ike.dh_group == DH[s.ike_dh_group]
        assert ike.integ_alg == ("" if s.ike_integrity is None else INTEG[s.ike_integrity])
        if not t.behind_nat:
            assert ike.local_host == t.wan_address, ike
        assert cpe_child.encr_alg == ENC[s.esp_encryption]
        assert cpe_child.integ_alg == ("" if s.esp_integrity is None else INTEG[s.esp_integrity])
        assert cpe_child.local_ts == cpe_child.remote_ts == ("0.0.0.0/0",)
        cf_ike = lab.ike_sa("cf", t.name)
        assert cf_ike.remote_id == ike.local_id  # Cloudflare side matched the ID and the PSK

    # The PFS group is only negotiated at a CHILD_SA rekey (strongswan-netns.md): rekey one.
    first = tunnels[0]
    result = lab.rekey_child("cpe", first.name)
    assert result.ok, (result, lab.diagnostics())
    assert lab.child_sa("cpe", first.name).dh_group == DH[first.suite.esp_pfs_group]


# ---------------------------------------------------------------------------------------------
# network.sh in a private network namespace

IP_SHIM = """#!/bin/bash
# netgen test shim: this kernel has no XFRM interfaces and no ip_gre; TUN devices stand in.
printf '%s\\n' "$*" >> "${NETGEN_IP_LOG:?}"
if [[ "$1" == link && "$2" == add && " $* " == *" type xfrm "* ]]; then
    exec /usr/sbin/ip tuntap add dev "$3" mode tun
fi
if [[ "$1" == tunnel && "$2" == add ]]; then
    exec /usr/sbin/ip tuntap add dev "$3" mode tun
fi
if [[ "$1" == tunnel && "$2" == change ]]; then
    exit 0
fi
exec /usr/sbin/ip "$@"
"""

# Runs inside the namespace: attach to TUN devices, inject one IPv4 packet into one of them, and
# report on which device(s) packets come out.
PACKET_PROBE = r"""
import fcntl, os, select, struct, sys, time
TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454CA, 0x0001, 0x1000
inject_dev, pkt_hex, *devs = sys.argv[1:]
fds = {}
for d in devs:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", d.encode(), IFF_TUN | IFF_NO_PI))
    fds[d] = fd
time.sleep(0.2)  # carrier up: routes via these devices lose their linkdown flag
for fd in fds.values():  # drain (e.g. router solicitations)
    while select.select([fd], [], [], 0)[0]:
        os.read(fd, 65535)
os.write(fds[inject_dev], bytes.fromhex(pkt_hex))
deadline = time.monotonic() + 1.0
while time.monotonic() < deadline:
    ready, _, _ = select.select(list(fds.values()), [], [], 0.1)
    for fd in ready:
        data = os.read(fd, 65535)
        if data[:1] and data[0] >> 4 == 4:
            name = next(d for d, f in fds.items() if f == fd)
            print(name, data.hex())
"""


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def icmp_packet(src: str, dst: str, icmp_type: int, ttl: int = 64) -> bytes:
    """An IPv4 ICMP echo request (type 8) or reply (type 0) with identifier/sequence 1/1."""
    body = bytes([icmp_type, 0, 0, 0, 0, 1, 0, 1]) + b"netgen-test"
    body = body[:2] + _checksum(body).to_bytes(2, "big") + body[4:]
    header = bytearray(20)
    header[0], header[8], header[9] = 0x45, ttl, 1
    header[2:4] = (20 + len(body)).to_bytes(2, "big")
    header[12:16] = ipaddress.IPv4Address(src).packed
    header[16:20] = ipaddress.IPv4Address(dst).packed
    header[10:12] = _checksum(bytes(header)).to_bytes(2, "big")
    return bytes(header) + body


@dataclass(frozen=True)
class Emitted:
    device: str
    src: str
    dst: str
    icmp_type: int


class Netns:
    """A throwaway network namespace with veth pairs as the WAN links (both ends inside)."""

    def __init__(self, tmp: Path) -> None:
        self.name = f"ngsw-{os.getpid()}-{next(_netns_counter)}"
        self.tmp = tmp
        self.created = False

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        res = subprocess.run(
            ["ip", "netns", "exec", self.name, *argv],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if check and res.returncode != 0:
            raise AssertionError(f"{argv} failed rc={res.returncode}\n{res.stdout}\n{res.stderr}")
        return res

    def __enter__(self) -> Netns:
        res = subprocess.run(
            ["ip", "netns", "add", self.name], capture_output=True, text=True, check=False
        )
        if res.returncode != 0:
            pytest.skip(f"cannot create a network namespace: {res.stderr.strip()}")
        self.created = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.created:
            subprocess.run(["ip", "netns", "del", self.name], check=False)

    def probe(self, inject: str, packet: bytes, devices: list[str]) -> list[Emitted]:
        out = self.run(sys.executable, "-c", PACKET_PROBE, inject, packet.hex(), *devices).stdout
        emitted = []
        for line in out.splitlines():
            dev, data_hex = line.split()
            data = bytes.fromhex(data_hex)
            if data[9] != 1:  # ICMP only
                continue
            emitted.append(
                Emitted(
                    dev,
                    str(ipaddress.IPv4Address(data[12:16])),
                    str(ipaddress.IPv4Address(data[16:20])),
                    data[20],
                )
            )
        return emitted


def _network_sh_prerequisites() -> Path:
    if os.geteuid() != 0:
        pytest.skip("needs root (network and mount namespaces)")
    for tool in ("ip", "nft", "unshare", "mount", "sysctl"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing")
    if not Path("/dev/net/tun").exists():
        pytest.skip("/dev/net/tun is missing")
    for d in (Path("/etc/strongswan.d"), Path("/etc/strongswan/strongswan.d")):
        if d.is_dir():
            return d
    pytest.skip("no strongswan.d directory to mount a temporary directory over")


def run_network_sh(
    ns: Netns, script: Path, swan_dir: Path, confd: Path, shim_dir: Path, log: Path
) -> subprocess.CompletedProcess[str]:
    inner = 'mount --bind "$1" "$2" && PATH="$3:$PATH" NETGEN_IP_LOG="$4" exec bash "$5"'
    return ns.run(
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "bash",
        "-c",
        inner,
        "sh",
        str(confd),
        str(swan_dir),
        str(shim_dir),
        str(log),
        str(script),
        check=False,
    )


@dataclass
class NetworkRun:
    ns: Netns
    files: dict[str, str]
    plan_tunnels: list[tuple[str, str, str]]  # (interface, customer cidr, cloudflare address)
    drop_in: str
    runs: list[subprocess.CompletedProcess[str]]
    ip_log: str


@contextlib.contextmanager
def network_sh_applied(tmp_path: Path, scenario: str) -> Iterator[NetworkRun]:
    swan_dir = _network_sh_prerequisites()
    files = render(tmp_path / "render", scenario)
    script = tmp_path / "network.sh"
    script.write_text(files["network.sh"])
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    (shim_dir / "ip").write_text(IP_SHIM)
    (shim_dir / "ip").chmod(0o755)
    confd = tmp_path / "strongswan.d"
    confd.mkdir()
    log = tmp_path / "ip.log"
    inv = api.open_session(tmp_path / "render" / "inventory.yaml").loaded.inventory
    device = next(d for d in inv.devices() if d.name == DEVICE)
    with Netns(tmp_path) as ns:
        for i, link in enumerate(device.wan):
            ns.run("ip", "link", "add", link.interface, "type", "veth", "peer", "name", f"peer{i}")
            ns.run("ip", "link", "set", link.interface, "up")
            ns.run("ip", "link", "set", f"peer{i}", "up")
            # behind NAT the interface has a private address; the gateway stays on-link
            gw = ipaddress.IPv4Address(str(link.gateway))
            addr = f"{gw + 98}/24" if link.behind_nat else f"{link.address}/24"
            ns.run("ip", "addr", "add", addr, "dev", link.interface)
        ns.run("ip", "link", "set", "lo", "up")
        runs = [run_network_sh(ns, script, swan_dir, confd, shim_dir, log) for _ in range(2)]
        drop_in = (confd / "netgen-cloudflare.conf").read_text() if runs[0].returncode == 0 else ""
        tunnels = []
        for line in ns.run("ip", "-4", "-o", "addr", "show").stdout.splitlines():
            m = re.match(r"\d+: (\S+)\s+inet (\S+)", line)
            if m and (m.group(1).startswith(("xfrm", "cfgre"))) and "/31" in m.group(2):
                iface = ipaddress.IPv4Interface(m.group(2))
                cf = ipaddress.IPv4Address(int(iface.ip) ^ 1)
                tunnels.append((m.group(1), m.group(2), str(cf)))
        yield NetworkRun(ns, files, tunnels, drop_in, runs, log.read_text() if log.exists() else "")


def _assert_runs_ok(run: NetworkRun) -> None:
    for i, r in enumerate(run.runs, 1):
        assert r.returncode == 0, f"run {i}: rc={r.returncode}\n{r.stdout}\n{r.stderr}"
    assert "wrote " in run.runs[0].stderr  # first run writes the drop-in ...
    assert "wrote " not in run.runs[1].stderr  # ... the second finds it unchanged
    assert "WARNING" not in run.runs[1].stderr, run.runs[1].stderr


def check_strongswan_conf_parses(tmp_path: Path, text: str) -> None:
    """strongSwan's own settings parser accepts the drop-in (swanctl aborts on a bad file)."""
    swanctl = shutil.which("swanctl") or "/usr/sbin/swanctl"
    if not Path(swanctl).exists():
        return
    conf = tmp_path / "drop-in-strongswan.conf"
    conf.write_text(text)
    res = subprocess.run(
        [swanctl, "--version", "--uri", f"unix://{tmp_path}/no-daemon.vici"],
        env={"STRONGSWAN_CONF": str(conf), "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert "invalid config file" not in res.stderr + res.stdout, res.stderr
    assert "syntax error" not in res.stderr + res.stdout, res.stderr


@pytest.mark.e2e
@pytest.mark.parametrize("scenario", SUPPORTED)
def test_network_sh_applies_twice_in_netns(tmp_path: Path, scenario: str) -> None:
    with network_sh_applied(tmp_path, scenario) as run:
        _assert_runs_ok(run)
        ns = run.ns
        assert "install_routes = no" in run.drop_in
        check_strongswan_conf_parses(tmp_path, run.drop_in)
        inv = api.open_session(tmp_path / "render" / "inventory.yaml").loaded.inventory
        device = next(d for d in inv.devices() if d.name == DEVICE)
        n_tunnels = len(device.tunnels)
        assert len(run.plan_tunnels) == n_tunnels, run.plan_tunnels

        rules = ns.run("ip", "-4", "rule", "show").stdout
        routes = ns.run("ip", "-4", "route", "show", "table", "all").stdout
        used = {inv.tunnels[n].wan for n in device.tunnels}
        for pos, link in enumerate(device.wan, 1):
            if link.name not in used:
                continue
            table = f"{180 + pos}"  # 181 + position in the device's wan list
            endpoints = sorted(
                {
                    str(e.address)
                    for n in device.tunnels
                    if inv.tunnels[n].wan == link.name
                    for e in [inv.endpoint(inv.tunnels[n].endpoint)]
                    if e
                }
            )
            if link.behind_nat:
                assert f"from {link.address} " not in rules
                for ep in endpoints:
                    main_route = f"{ep} via {link.gateway} dev {link.interface} \n"
                    assert main_route in routes.replace(" \n", " \n"), routes
            else:
                ignored = run.drop_in.split("ignore_routing_tables = ")[1].split("\n")[0]
                assert table in ignored.split()
                # exactly one rule per priority after two runs
                assert len(re.findall(rf"^{table}:", rules, re.M)) == 1, rules
                assert f"{table}:\tfrom {link.address} lookup {table}" in rules, rules
                for ep in endpoints:
                    assert f"{ep} via {link.gateway} dev {link.interface} table {table}" in routes

        for iface, cidr, _cf in run.plan_tunnels:
            out = ns.run(
                "sysctl",
                "-n",
                f"net.ipv4.conf.{iface}.rp_filter",
                f"net.ipv4.conf.{iface}.accept_local",
            ).stdout.split()
            assert out == ["2", "1"], (iface, out)
            host = ipaddress.IPv4Interface(cidr)
            assert int(host.ip) & 1 == 1  # the customer side (odd) of Cloudflare's /31
        assert ns.run("sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "1"

        nft = ns.run("nft", "list", "table", "inet", "netgen_cloudflare").stdout
        for iface, _cidr, _cf in run.plan_tunnels:
            mss = 1360 if iface.startswith("xfrm") else 1436
            for direction in ("iifname", "oifname"):
                assert (
                    f'{direction} "{iface}" tcp flags syn tcp option maxseg size > {mss} '
                    f"tcp option maxseg size set {mss}"
                ) in nft, nft


@pytest.mark.e2e
def test_network_sh_mixed_routes(tmp_path: Path) -> None:
    """ECMP over the two IPsec tunnels (metric 1), GRE backups as a second ECMP group."""
    with network_sh_applied(tmp_path, "mixed") as run:
        _assert_runs_ok(run)
        routes = run.ns.run("ip", "-4", "route", "show", "10.20.0.0/15").stdout
        groups = re.findall(
            r"^10\.20\.0\.0/15 metric (\d+).*\n((?:\s+nexthop .*\n)+)", routes, re.M
        )
        by_metric = {int(m): re.findall(r"dev (\S+)", hops) for m, hops in groups}
        assert by_metric == {1: ["xfrm1", "xfrm2"], 11: ["cfgre3", "cfgre4"]}, routes
        # first run creates the GRE tunnels, the second one re-applies their parameters
        log = run.ip_log.splitlines()
        for verb in ("add", "change"):
            gre3 = f"tunnel {verb} cfgre3 mode gre local 198.51.100.20 remote 192.0.2.10 ttl 64"
            gre4 = f"tunnel {verb} cfgre4 mode gre local 198.51.100.20 remote 192.0.2.20 ttl 32"
            assert f"{gre3} dev eth1" in log, log
            assert f"{gre4} dev eth1" in log, log


@pytest.mark.e2e
def test_reply_probe_is_forwarded_back_into_its_tunnel(tmp_path: Path) -> None:
    """Cloudflare's reply-type probe (echo reply, src = our tunnel address) is forwarded back
    into the same tunnel; with accept_local = 0 the kernel drops it (control)."""
    with network_sh_applied(tmp_path, "ipsec-dual-isp") as run:
        _assert_runs_ok(run)
        devs = [t[0] for t in run.plan_tunnels]
        iface, cidr, cf = run.plan_tunnels[1]
        ours = str(ipaddress.IPv4Interface(cidr).ip)
        out = run.ns.probe(iface, icmp_packet(ours, cf, icmp_type=0), devs)
        assert [(e.device, e.src, e.dst, e.icmp_type) for e in out] == [(iface, ours, cf, 0)]
        run.ns.run("sysctl", "-q", "-w", f"net.ipv4.conf.{iface}.accept_local=0")
        assert run.ns.probe(iface, icmp_packet(ours, cf, icmp_type=0), devs) == []


@pytest.mark.e2e
def test_legacy_health_check_reply_leaves_by_the_probed_tunnel(tmp_path: Path) -> None:
    """Echo requests to the legacy target are answered through the tunnel they came in on."""
    with network_sh_applied(tmp_path, "legacy-hc") as run:
        _assert_runs_ok(run)
        ns = run.ns
        # the public source of Cloudflare's prober must be reachable for loose rp_filter
        ns.run("ip", "route", "replace", "default", "via", "203.0.113.1", "dev", "eth0")
        devs = [t[0] for t in run.plan_tunnels]
        prober, target = "192.0.2.99", "172.64.240.253"
        for iface in devs:
            out = ns.probe(iface, icmp_packet(prober, target, icmp_type=8), devs)
            got = [(e.device, e.src, e.dst, e.icmp_type) for e in out]
            assert got == [(iface, target, prober, 0)], (iface, got)
        rules = ns.run("ip", "rule", "show").stdout
        for iface in devs:
            mark = f"{7200 + int(iface.removeprefix('xfrm'))}"
            assert f"from {target} fwmark {hex(int(mark))} lookup {mark}" in rules, rules
