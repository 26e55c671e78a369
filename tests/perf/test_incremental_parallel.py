"""Speed must never change output: renders that skip unchanged devices (input digests in
MANIFEST.json), renders and validations remembered in the cache (netgen.api.memo) and renders
on several cores are byte-identical to a fresh serial render without the cache (outputs,
diagnostics, lock), for random sequences of edits; an unchanged render changes nothing on
disk; a hand edit is still drift and is repaired."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netgen import api
from netgen.api import parallel
from netgen.core.errors import UserError
from tests.scenarios import SCENARIOS, write_inventory


def _fleet(directory: Path, sites: int) -> Path:
    inv = SCENARIOS["ipsec-dual-isp"]("cisco_iosxe", None)
    template = inv["sites"][1]
    vendors = ["cisco_iosxe", "juniper_srx", "vyos", "strongswan"]
    wan = {
        "cisco_iosxe": "GigabitEthernet1",
        "juniper_srx": "ge-0/0/0.0",
        "vyos": "eth0",
        "strongswan": "eth0",
    }
    for i in range(2, sites):
        site = yaml.safe_load(yaml.safe_dump(template))
        vendor = vendors[i % 4]
        site["name"] = f"s{i:03d}"
        site["lan_prefixes"] = [f"10.{100 + i}.0.0/16"]
        site["devices"][0].update(name=f"s{i:03d}-r1", vendor=vendor)
        site["devices"][0]["wan"][0].update(interface=wan[vendor], address=f"203.0.113.{i}")
        inv["sites"].append(site)
    return write_inventory(directory, inv)


def _tree(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    return _fleet(tmp_path / "plan", 12)


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_unchanged_render_touches_nothing(
    fleet: Path, tmp_path: Path, jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_DEVICES", 2)
    out = tmp_path / "out"
    api.render(fleet, out, jobs=jobs)
    inodes = {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()}
    api.render(fleet, out, jobs=jobs, cache=False)  # every device read back, none rendered
    assert {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()} == inodes


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_hand_edit_is_drift_and_the_next_render_repairs_it(
    fleet: Path, tmp_path: Path, jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_DEVICES", 2)
    out = tmp_path / "out"
    api.render(fleet, out, jobs=jobs)
    before = _tree(out)
    victim = next(out.glob("sites/s005/*"))
    victim.write_bytes(victim.read_bytes() + b"# edited by hand\n")
    drift = api.render(fleet, out, check=True, jobs=jobs).drift
    assert drift == [(victim.relative_to(out).as_posix(), "changed")]
    api.render(fleet, out, jobs=jobs)
    assert _tree(out) == before


def test_workers_are_forked_only_when_enough_devices_need_rendering(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold render forks its workers; after a one-site edit the one device that changed is
    rendered in the parent (no pool, no templates compiled for nothing), and the output is
    still the fresh serial render's."""
    monkeypatch.setattr(parallel, "MIN_DEVICES", 2)
    forks: list[int] = []
    real = parallel.forked_workers

    def counted(task: Any, jobs: int) -> Any:
        forks.append(jobs)
        return real(task, jobs)

    monkeypatch.setattr(parallel, "forked_workers", counted)
    out = tmp_path / "out"
    api.render(fleet, out, jobs=2)
    assert forks == [2]
    inv = yaml.safe_load(fleet.read_text())
    inv["sites"][5].setdefault("defaults", {})["mtu"] = 1380
    fleet.write_text(yaml.safe_dump(inv, sort_keys=False))
    api.render(fleet, out, jobs=2)
    assert forks == [2]
    inv["sites"][6]["lan_prefixes"] = ["10.250.0.0/24"]  # every other site's routes change
    fleet.write_text(yaml.safe_dump(inv, sort_keys=False))
    api.render(fleet, out, jobs=2)
    assert forks == [2, 2]
    api.render(fleet, tmp_path / "fresh", jobs=1, cache=False)
    assert _tree(out) == _tree(tmp_path / "fresh")


def test_parallel_render_is_byte_identical(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_DEVICES", 2)
    api.render(fleet, tmp_path / "serial", jobs=1)
    api.render(fleet, tmp_path / "parallel", jobs=3)
    assert _tree(tmp_path / "serial") == _tree(tmp_path / "parallel")


def test_parallel_errors_are_the_serial_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_DEVICES", 2)
    path = _fleet(tmp_path / "plan", 10)
    (path.parent / "netgen.lock.yaml").unlink()  # identities missing: NG503 on every device
    found = []
    for jobs in (1, 2):
        with pytest.raises(UserError) as err:
            api.render(path, tmp_path / f"out{jobs}", jobs=jobs)
        found.append([d.format() for d in err.value.diagnostics])
        assert not (tmp_path / f"out{jobs}").exists()
    assert found[0] == found[1] and len(found[0]) > 10


def test_parallel_validate_finds_the_serial_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """validate plans on several cores: the same problems, and a problem is never
    remembered as clean (the second cached run reports it again)."""
    monkeypatch.setattr(parallel, "MIN_DEVICES", 2)
    path = _fleet(tmp_path / "plan", 12)
    inv = yaml.safe_load(path.read_text())
    for i in (2, 5, 9):  # a hostile interface name: the vendor's encoder refuses it (NG502)
        inv["sites"][i]["devices"][0]["wan"][0]["interface"] = 'eth0" ; reload'
    path.write_text(yaml.safe_dump(inv, sort_keys=False))
    found = []
    for jobs, cache in ((1, False), (3, False), (3, None), (3, None)):
        with pytest.raises(UserError) as err:
            api.validate(path, cache=cache, jobs=jobs)
        found.append([d.format() for d in err.value.diagnostics])
    assert found[0] == found[1] == found[2] == found[3]
    assert sum("NG502" in line for line in found[0]) >= 3


KINDS = ["mtu", "remove", "add", "crypto", "nothing", "lan", "endpoint", "wan", "identity"]
EDITS = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(2, 9)), min_size=1, max_size=4)


def _apply(inv: dict[str, Any], edit: str, i: int) -> None:
    sites = inv["sites"]
    target = sites[i % len(sites)]
    if edit == "mtu":
        target.setdefault("defaults", {})["mtu"] = random.Random(i).choice([1400, 1380, 1420])
    elif edit == "remove" and len(sites) > 3:
        sites.remove(target)
    elif edit == "add":
        new = yaml.safe_load(yaml.safe_dump(sites[-1]))
        new["name"] = f"n{i:03d}x{len(sites)}"
        new["lan_prefixes"] = [f"10.{200 + len(sites)}.{i}.0/24"]
        new["devices"][0]["name"] = f"{new['name']}-r1"
        new["devices"][0]["wan"][0]["address"] = f"198.51.100.{len(sites) + i}"
        sites.append(new)
    elif edit == "crypto":
        target.setdefault("defaults", {})["ipsec"] = {"crypto": "cloudflare-cbc"}
    elif edit == "lan":  # every other site's routes change
        target["lan_prefixes"] = [f"10.{150 + i}.{len(sites)}.0/24"]
    elif edit == "endpoint":  # every device's tunnels change
        inv["cloudflare"]["endpoints"][0]["address"] = f"192.0.2.{100 + i}"
    elif edit == "wan":
        target["devices"][0]["wan"][0]["address"] = f"198.51.100.{200 + i}"


def _edit_identity(lock: Path, i: int) -> None:
    """What `netgen import` does when Cloudflare reports another identity for a tunnel."""
    lines = lock.read_text().split("\n")
    hits = [n for n, line in enumerate(lines) if line.strip().startswith("fqdn_id:")]
    if hits:
        n = hits[i % len(hits)]
        lines[n] = lines[n].replace("fqdn_id: ", f"fqdn_id: x{i}", 1)
        lock.write_text("\n".join(lines))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=EDITS, jobs=st.sampled_from([1, 2]))
def test_incremental_renders_equal_fresh_ones(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    edits: list[tuple[str, int]],
    jobs: int,
) -> None:
    monkeypatch.setattr(parallel, "MIN_DEVICES", 2)  # jobs=2 forks even for 8 sites
    base = tmp_path_factory.mktemp("prop")
    path = _fleet(base / "plan", 8)
    out = base / "out"
    api.render(path, out, jobs=jobs)
    for edit, i in edits:
        inv = yaml.safe_load(path.read_text())
        _apply(inv, edit, i)
        path.write_text(yaml.safe_dump(inv, sort_keys=False))
        lock = path.with_name("netgen.lock.yaml")
        if edit == "identity":
            _edit_identity(lock, i)
        result = api.render(path, out, jobs=jobs, allow_placeholders=True)
        locked = lock.read_bytes()
        again = api.render(path, out, jobs=jobs, allow_placeholders=True)  # remembered
        fresh = base / f"fresh-{len(list(base.iterdir()))}"
        api.render(path, fresh, jobs=1, allow_placeholders=True, cache=False)
        assert _tree(out) == _tree(fresh), (edit, i)
        assert lock.read_bytes() == locked
        uncached = api.render(path, fresh, check=True, allow_placeholders=True, cache=False)
        assert result.diagnostics == uncached.diagnostics == again.diagnostics
        assert result.manifest() == again.manifest()
        assert api.validate(path) == api.validate(path) == api.validate(path, cache=False)


@pytest.mark.parametrize("edit", KINDS)
def test_every_kind_of_edit_re_renders_what_it_changes(tmp_path: Path, edit: str) -> None:
    path = _fleet(tmp_path / "plan", 6)
    out = tmp_path / "out"
    api.render(path, out, allow_placeholders=True)
    inv = yaml.safe_load(path.read_text())
    _apply(inv, edit, 3)
    path.write_text(yaml.safe_dump(inv, sort_keys=False))
    if edit == "identity":
        _edit_identity(path.with_name("netgen.lock.yaml"), 3)
    api.render(path, out, allow_placeholders=True)
    api.render(path, tmp_path / "fresh", allow_placeholders=True, cache=False)
    assert _tree(out) == _tree(tmp_path / "fresh")
