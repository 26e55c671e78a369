"""Fleet benchmark: netgen's pipeline against a bare floor pipeline, same run, same data.

    python benchmarks/fleet.py --devices 10000 [--workdir DIR] [--vendors a,b]

Builds a synthetic inventory (devices round-robin over the vendors, 2 WAN links, 2 Cloudflare
endpoints, so 4 IPsec tunnels per device), then measures:

- floor: YAML load (CSafeLoader, GC paused), pydantic validation of a plain mirror model, /31
  allocation with ints, one compiled Jinja template per vendor rendered from dict contexts,
  one file written per output -- no netgen logic;
- netgen: load with positions, validate + rules, allocate, plan, render, write (api.render).

Reports seconds, tunnels/s and peak RSS after each stage, and the netgen/floor ratio
(target: within 1.3x, peak memory under 500 MiB). Each pipeline runs in its own subprocess
so peak RSS is per pipeline.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
VENDOR_WAN = {
    "cisco_iosxe": ("GigabitEthernet1", "GigabitEthernet2"),
    "juniper_srx": ("ge-0/0/0.0", "ge-0/0/1.0"),
    "strongswan": ("eth0", "eth1"),
    "vyos": ("eth0", "eth1"),
}


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_fleet(directory: Path, devices: int, vendors: list[str]) -> Path:
    """Inventory with one device per site; LANs 10.0.0.0/8 /24s, WAN 198.18.x (benchmark
    addresses are never used on a network)."""
    lines = [
        "netgen: 1",
        "account: {id: 0123456789abcdef0123456789abcdef, product: magic-wan}",
        "cloudflare:",
        "  endpoints: [{name: cf1, address: 192.0.2.10}, {name: cf2, address: 192.0.2.20}]",
        f"  interface_pool: [172.16.0.0/{14 if devices <= 30000 else 12}]",  # 4 /31s a device
        "defaults: {tunnel_type: ipsec, ipsec: {local_id: fqdn}}",
        "sites:",
    ]
    for i in range(devices):
        vendor = vendors[i % len(vendors)]
        wan_a, wan_b = VENDOR_WAN[vendor]
        lan = f"10.{(i >> 8) & 255}.{i & 255}.0/24"
        # public documentation addresses would run out; use 100.64/10 is not public, so the
        # benchmark uses distinct addresses from 11.0.0.0/8 (never contacted)
        wa = IPv4Address(int(IPv4Address("11.0.0.0")) + 2 * i)
        wb = IPv4Address(int(IPv4Address("12.0.0.0")) + 2 * i)
        lines += [
            f"  - name: site{i:05d}",
            f"    tunnel_prefix: s{i}",  # site00086_1a_cf1 would exceed Cloudflare's 15 chars
            f'    address: "{i} Benchmark Road"',
            f"    lan_prefixes: [{lan}]",
            "    devices:",
            f"      - name: site{i:05d}-r1",
            f"        vendor: {vendor}",
            "        wan:",
            f"          - {{name: isp-a, interface: {wan_a}, address: {wa}, gateway: {wa + 1}}}",
            f"          - {{name: isp-b, interface: {wan_b}, address: {wb}, gateway: {wb + 1}}}",
        ]
    path = directory / "inventory.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def add_identities(inventory: Path) -> None:
    """Record fake API identities in the lock, as `netgen import` would."""
    from netgen import api
    from netgen.state.lock import CloudflareFacts, LockFile, RemoteIdentities, dump_lock

    session = api.open_session(inventory)
    tunnels = {}
    for n, (name, entry) in enumerate(session.allocation.lock.tunnels.items()):
        tid = f"{n:032x}"
        acct = "0123456789abcdef0123456789abcdef"
        ids = RemoteIdentities(
            fqdn_id=f"{tid}.{acct}.ipsec.cloudflare.com",
            user_id=f"ipsec@{tid}.{acct}.ipsec.cloudflare.com",
            hex_id=f"{acct}_{tid}",
        )
        tunnels[name] = entry.model_copy(
            update={"cloudflare": CloudflareFacts(id=tid, remote_identities=ids)}
        )
    (inventory.parent / "netgen.lock.yaml").write_text(dump_lock(LockFile(tunnels=tunnels)))


class Timer:
    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.stages: list[dict[str, Any]] = []

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages.append(
            {
                "stage": stage,
                "seconds": round(now - self.t0, 3),
                "peak_rss_mib": round(rss_mib(), 1),
            }
        )
        self.t0 = now


def run_floor(inventory: Path, out: Path) -> list[dict[str, Any]]:
    import jinja2
    from pydantic import BaseModel

    from netgen.core.resources import data_dir

    class Wan(BaseModel):
        name: str
        interface: str
        address: IPv4Address
        gateway: IPv4Address

    class Device(BaseModel):
        name: str
        vendor: str
        wan: list[Wan]

    class Site(BaseModel):
        name: str
        address: str
        lan_prefixes: list[str]
        devices: list[Device]

    class Inv(BaseModel):
        netgen: int
        account: dict[str, str]
        cloudflare: dict[str, Any]
        defaults: dict[str, Any]
        sites: list[Site]

    t = Timer()
    gc.disable()
    data = yaml.load(inventory.read_bytes(), Loader=yaml.CSafeLoader)
    t.mark("load")
    inv = Inv.model_validate(data)
    del data
    t.mark("validate")
    base = int(IPv4Address("172.16.0.0"))
    pairs = {}
    n = 0
    for s in inv.sites:
        for d in s.devices:
            for w in d.wan:
                for ep in ("cf1", "cf2"):
                    pairs[(d.name, w.name, ep)] = base + 2 * n
                    n += 1
    t.mark("allocate")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    floor_tpl = env.from_string(FLOOR_TEMPLATE)
    texts = []
    for s in inv.sites:
        for d in s.devices:
            ctx = {
                "device": d.name,
                "tunnels": [
                    {
                        "name": f"{d.name}-{w.name}-{ep}",
                        "src": str(w.address),
                        "dst": ep,
                        "addr": str(IPv4Address(pairs[(d.name, w.name, ep)] + 1)),
                        "psk": "x",
                    }
                    for w in d.wan
                    for ep in ("cf1", "cf2")
                ],
            }
            texts.append((s.name, d.name, floor_tpl.render(ctx)))
    t.mark("render")
    for site, dev, text in texts:
        p = out / "sites" / site
        p.mkdir(parents=True, exist_ok=True)
        (p / f"{dev}.cfg").write_text(text)
    t.mark("write")
    gc.enable()
    return t.stages


# ~120 lines per device, like the IOS-XE config netgen renders
FLOOR_TEMPLATE = """! {{ device }}
{% for t in tunnels %}
crypto ikev2 proposal P-{{ t.name }}
 encryption aes-gcm-256
 prf sha256
 group 20
!
crypto ikev2 keyring K-{{ t.name }}
 peer {{ t.name }}
  address {{ t.dst }}
  pre-shared-key {{ t.psk }}
 !
!
crypto ikev2 profile {{ t.name }}
 match identity remote address {{ t.dst }} 255.255.255.255
 identity local fqdn {{ t.name }}.example
 authentication remote pre-share
 authentication local pre-share
 keyring local K-{{ t.name }}
 lifetime 86400
 dpd 30 10 periodic
!
crypto ipsec profile {{ t.name }}
 set transform-set T
 set pfs group20
 set security-association replay disable
!
interface Tunnel{{ loop.index }}
 ip address {{ t.addr }} 255.255.255.254
 ip mtu 1450
 ip tcp adjust-mss 1360
 tunnel source {{ t.src }}
 tunnel destination {{ t.dst }}
 tunnel mode ipsec ipv4
 tunnel protection ipsec profile {{ t.name }}
!
{% endfor %}
end
"""


def run_netgen(inventory: Path, out: Path) -> list[dict[str, Any]]:
    from netgen import api
    from netgen.core.documents import paused_gc
    from netgen.render.output import write_tree

    t = Timer()
    with paused_gc():
        session = api.open_session(inventory)
        t.mark("load+validate+allocate")
        job = api.render_job(session)
        write_tree(out, job.files(), manifest_header=job.manifest_header)
        t.mark("plan+render+write (streamed, as `netgen render -o DIR`)")
    return t.stages


def child(kind: str, inventory: Path, out: Path) -> None:
    stages = run_floor(inventory, out) if kind == "floor" else run_netgen(inventory, out)
    print(json.dumps(stages))


def measure(kind: str, inventory: Path, out: Path) -> tuple[float, list[dict[str, Any]]]:
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(inventory), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    total = time.perf_counter() - start
    return total, json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--devices", type=int, default=10000)
    ap.add_argument("--vendors", default="")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    from netgen.vendors.registry import load_registry

    vendors = args.vendors.split(",") if args.vendors else load_registry().ids()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="netgen-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    inventory = write_fleet(work, args.devices, vendors)
    add_identities(inventory)
    tunnels = args.devices * 4
    results: dict[str, Any] = {"devices": args.devices, "tunnels": tunnels, "vendors": vendors}
    for kind in ("floor", "netgen"):
        runs = [measure(kind, inventory, work / f"out-{kind}") for _ in range(args.repeat)]
        total, stages = min(runs, key=lambda r: r[0])
        results[kind] = {
            "seconds": round(total, 2),
            "tunnels_per_second": round(tunnels / total),
            "peak_rss_mib": max(s["peak_rss_mib"] for s in stages),
            "stages": stages,
        }
    results["ratio"] = round(results["netgen"]["seconds"] / results["floor"]["seconds"], 2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
