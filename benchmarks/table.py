"""The performance issue's table, measured on this machine in one go (``make bench``).

    python benchmarks/table.py --devices 10000 [--workdir DIR] [--linearity]

Builds the synthetic fleet of fleet.py (imported identities in the lock), measures the floor
pipeline of fleet.py in the same run, then runs the real CLI (``python -m netgen``) for each
row in its own process and reports wall time and peak RSS (``wait4``, workers included):

- cold (no output; no cache, which the first row fills): render -o DIR with --jobs = CPUs,
  then with --jobs 1 --no-cache, validate (after emptying the cache it reads);
- nothing changed: render -o DIR, render --check, validate;
- one site's MTU changed in the single-file inventory: render -o DIR, validate;
- the same fleet as an inventory directory (``netgen split``): the first render and validate
  of it (its devices are those already rendered and validated), then one site file changed:
  render -o DIR, validate.

``--linearity`` runs the cold rows only (for 1k / 10k / 40k comparisons).
Figures only: nothing here asserts a time (targets are read off the table, never in tests).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
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


def change_one_site(inventory: Path, mtu: int) -> None:
    """Give site00007 its own MTU (a file: the inventory; a directory: its site file)."""
    if inventory.is_dir():
        path = inventory / "sites" / "site00007.yaml"
        text = path.read_text()
        changed = re.sub(r"(?m)^defaults: .*\n", "", text)
        changed = changed.replace(
            "name: site00007\n", f"name: site00007\ndefaults: {{mtu: {mtu}}}\n"
        )
    else:
        path = inventory
        text = path.read_text()
        changed = re.sub(
            r"(  - name: site00007\n)", rf"\1    defaults: {{mtu: {mtu}}}\n", text, count=1
        )
    assert changed != text
    path.write_text(changed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--devices", type=int, default=10000)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--linearity", action="store_true", help="the cold rows only")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="netgen-table-"))
    work.mkdir(parents=True, exist_ok=True)
    inventory = build_fleet(work, args.devices)
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

    one = ("--jobs", "1", "--no-cache")
    row("render -o DIR (cold, --jobs = CPUs)", "render", inventory, "-o", out)  # fills the cache
    row("render -o DIR (cold, --jobs 1)", "render", inventory, "-o", work / "out1", *one)
    for kind in ("documents", "validate", "planned"):  # what validate reads and fills
        shutil.rmtree(work / ".netgen-cache" / kind, ignore_errors=True)
    row("validate (cold)", "validate", inventory)
    if not args.linearity:
        row("render -o DIR (nothing changed)", "render", inventory, "-o", out)
        row("render --check (nothing changed)", "render", inventory, "-o", out, "--check")
        row("validate (nothing changed)", "validate", inventory)
        change_one_site(inventory, 1400)
        row("render -o DIR (one site changed, one file)", "render", inventory, "-o", out)
        row("validate (one site changed, one file)", "validate", inventory)
        tree = split(inventory, work / "tree")
        row("render -o DIR (inventory directory, first)", "render", tree, "-o", out)
        row("validate (inventory directory, first)", "validate", tree)
        change_one_site(tree, 1380)
        row("render -o DIR (one site changed, directory)", "render", tree, "-o", out)
        change_one_site(tree, 1360)
        row("validate (one site changed, directory)", "validate", tree)
    print(f"| run | seconds | × floor ({floor:.2f} s) | peak RSS |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['seconds']} | {r['x_floor']}× | {r['peak_rss_mib']} MiB |")
    print(f"\n{args.devices} devices, {args.devices * 4} tunnels, {os.cpu_count()} CPUs")


def _write_fleet(work: Path, devices: int) -> Path:
    vendors = ["cisco_iosxe", "juniper_srx", "strongswan", "vyos"]
    inventory = fleet.write_fleet(work, devices, vendors)
    fleet.add_identities(inventory)
    return inventory


def build_fleet(work: Path, devices: int) -> Path:
    """The fleet, written by a separate process. Linux counts the memory of the process that
    starts a child into the child's peak RSS (``ru_maxrss`` keeps the high-water mark of the
    address space ``exec`` replaces), so this process must stay small: building a 10k fleet
    here made every row read at least this process's 416 MiB."""
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import table; "
        "print(table._write_fleet(Path(sys.argv[2]), int(sys.argv[3])))"
    )
    here = str(Path(__file__).resolve().parent)
    args = [sys.executable, "-c", code, here, str(work), str(devices)]
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return Path(done.stdout.strip().splitlines()[-1])


def split(inventory: Path, target: Path) -> Path:
    """The inventory as a directory (`netgen split`), with the lock moved into it."""
    subprocess.run(
        [sys.executable, "-m", "netgen", "split", str(inventory), str(target)],
        check=True,
        capture_output=True,
    )
    shutil.copy2(inventory.with_name("netgen.lock.yaml"), target / "netgen.lock.yaml")
    return target


if __name__ == "__main__":
    main()
