"""The performance issue's table, measured on this machine in one go (``make bench``).

    python benchmarks/table.py --devices 10000

Builds the synthetic fleet of fleet.py (imported identities in the lock), measures the floor
pipeline of fleet.py in the same run, then runs the real CLI (``python -m netgen``) for each
row in its own process and reports wall time and peak RSS (``wait4``):

- render -o DIR, cold (default --jobs = CPUs) and --jobs 1;
- render -o DIR again, nothing changed; render --check, nothing changed;
- one site's MTU changed, render -o DIR;
- validate.

Figures only: nothing here asserts a time (targets are read off the table, never in tests).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fleet


def cli(*args: str | Path) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of one netgen process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "netgen", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"netgen {' '.join(map(str, args))} failed:\n{err.decode()}")
    return seconds, usage.ru_maxrss / 1024


def change_one_site(inventory: Path) -> None:
    text = inventory.read_text()
    changed = re.sub(r"(  - name: site00007\n)", r"\1    defaults: {mtu: 1400}\n", text, count=1)
    assert changed != text
    inventory.write_text(changed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--devices", type=int, default=10000)
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="netgen-table-"))
    work.mkdir(parents=True, exist_ok=True)
    vendors = ["cisco_iosxe", "juniper_srx", "strongswan", "vyos"]
    inventory = fleet.write_fleet(work, args.devices, vendors)
    fleet.add_identities(inventory)
    floor, _ = fleet.measure("floor", inventory, work / "out-floor")
    out = work / "out"
    rows: list[dict[str, Any]] = []

    def row(name: str, *cmd: str | Path) -> None:
        seconds, rss = cli(*cmd)
        rows.append(
            {
                "run": name,
                "seconds": round(seconds, 2),
                "x_floor": round(seconds / floor, 2),
                "peak_rss_mib": round(rss, 1),
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr)

    row("render -o DIR (cold, --jobs = CPUs)", "render", inventory, "-o", out)
    row("render -o DIR (cold, --jobs 1)", "render", inventory, "-o", work / "out1", "--jobs", "1")
    row("render -o DIR (nothing changed)", "render", inventory, "-o", out)
    row("render --check (nothing changed)", "render", inventory, "-o", out, "--check")
    change_one_site(inventory)
    row("render -o DIR (one site changed)", "render", inventory, "-o", out)
    row("validate", "validate", inventory)
    print(f"| run | seconds | × floor ({floor:.2f} s) | peak RSS |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['seconds']} | {r['x_floor']}× | {r['peak_rss_mib']} MiB |")
    print(f"\n{args.devices} devices, {args.devices * 4} tunnels, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
