"""Allocation: no overlap, inside a pool, stable under permutation, sticky when tunnels are
added, orphans kept until pruned, pinned addresses win."""

from __future__ import annotations

import copy
import random
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netgen import api
from netgen.core.errors import UserError
from netgen.state.lock_read import load_lock


def inventory(
    sites: list[tuple[str, list[tuple[str, int]]]], pool: str = "10.252.0.0/22"
) -> dict[str, Any]:
    """sites: [(site, [(device, n_wan_links)])] with unique documentation WAN addresses."""
    out_sites = []
    host = 10
    for si, (site, devices) in enumerate(sites):
        devs = []
        for dev, n_wan in devices:
            wan = []
            for w in range(n_wan):
                wan.append(
                    {
                        "name": f"isp{w}",
                        "interface": f"eth{w}",
                        "address": f"203.0.113.{host}"
                        if host < 250
                        else f"198.51.100.{host - 240}",
                    }
                )
                host += 1
            devs.append({"name": dev, "vendor": "cisco_iosxe", "wan": wan})
        out_sites.append({"name": site, "lan_prefixes": [f"10.{10 + si}.0.0/16"], "devices": devs})
    return {
        "netgen": 1,
        "cloudflare": {
            "endpoints": [
                {"name": "cf1", "address": "192.0.2.10"},
                {"name": "cf2", "address": "192.0.2.20"},
            ],
            "interface_pool": [pool],
        },
        "sites": out_sites,
    }


def plan_of(
    tmp: Path, inv: dict[str, Any], *, write: bool = False, prune: bool = False
) -> api.PlanResult:
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "inventory.yaml"
    path.write_text(yaml.safe_dump(inv, sort_keys=False))
    return api.plan(path, write_lock=write, prune=prune)


def addresses(result: api.PlanResult) -> dict[str, str]:
    return {t["name"]: t["interface_address"] for t in result.tunnels}


site_shapes = st.lists(
    st.lists(st.integers(min_value=1, max_value=2), min_size=1, max_size=3), min_size=1, max_size=5
)


def _named(shape: list[list[int]]) -> list[tuple[str, list[tuple[str, int]]]]:
    return [
        (f"site{i:02d}", [(f"site{i:02d}-r{j}", n) for j, n in enumerate(devs)])
        for i, devs in enumerate(shape)
    ]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shape=site_shapes, seed=st.integers(min_value=0, max_value=10_000))
def test_allocation_properties(
    tmp_path_factory: pytest.TempPathFactory, shape: list[list[int]], seed: int
) -> None:
    tmp = tmp_path_factory.mktemp("alloc")
    inv = inventory(_named(shape))
    first = plan_of(tmp / "a", inv)
    got = {n: IPv4Interface(a) for n, a in addresses(first).items()}
    pool = IPv4Network("10.252.0.0/22")
    nets = [a.network for a in got.values()]
    # inside the pool, /31, Cloudflare's side is the even address
    assert all(n.subnet_of(pool) and n.prefixlen == 31 for n in nets)
    assert all(int(a.ip) % 2 == 0 for a in got.values())
    # no overlap
    assert len(set(nets)) == len(nets)
    # stable under permutation of sites and devices
    shuffled = copy.deepcopy(inv)
    rng = random.Random(seed)
    rng.shuffle(shuffled["sites"])
    for s in shuffled["sites"]:
        rng.shuffle(s["devices"])
    assert addresses(plan_of(tmp / "b", shuffled)) == addresses(first)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shape=site_shapes, extra=site_shapes)
def test_existing_pairs_kept_when_sites_are_added(
    tmp_path_factory: pytest.TempPathFactory, shape: list[list[int]], extra: list[list[int]]
) -> None:
    tmp = tmp_path_factory.mktemp("sticky")
    named = _named(shape)
    before = plan_of(tmp, inventory(named), write=True)
    # new sites sort *before* the existing ones, the worst case for a naive allocator
    added = [(f"a{name}", [(f"a{d}", n) for d, n in devs]) for name, devs in _named(extra)]
    after = plan_of(tmp, inventory(added + named), write=True)
    old, new = addresses(before), addresses(after)
    assert all(new[name] == addr for name, addr in old.items())
    indexes_before = {t["name"]: t["index"] for t in before.tunnels}
    assert all(
        t["index"] == indexes_before[t["name"]]
        for t in after.tunnels
        if t["name"] in indexes_before
    )
    statuses = {t["name"]: t["status"] for t in after.tunnels}
    assert all(statuses[n] == "kept" for n in old)
    assert all(statuses[n] == "new" for n in new if n not in old)


def test_plan_without_write_lock_never_writes(tmp_path: Path) -> None:
    result = plan_of(tmp_path, inventory(_named([[1]])))
    assert result.lock_changed and not result.lock_written
    assert not (tmp_path / "netgen.lock.yaml").exists()


def test_orphans_reserved_until_pruned(tmp_path: Path) -> None:
    two = _named([[1], [1]])
    first = plan_of(tmp_path, inventory(two), write=True)
    gone = {t["name"]: t["interface_address"] for t in first.tunnels if t["site"] == "site01"}
    shrunk = plan_of(tmp_path, inventory(two[:1]), write=True)
    assert {o["name"] for o in shrunk.orphans} == set(gone)
    assert all(o["status"] == "orphaned" for o in shrunk.orphans)
    assert any(d.code == "NG404" for d in shrunk.diagnostics)
    # a new site must not take the orphans' addresses
    regrown = plan_of(tmp_path, inventory(two[:1] + _named([[], [1]])[1:]), write=True)
    new_addrs = {t["interface_address"] for t in regrown.tunnels if t["status"] == "new"}
    assert not new_addrs & set(gone.values())
    lock = load_lock(tmp_path / "netgen.lock.yaml")
    assert set(gone) <= set(lock.tunnels)
    pruned = plan_of(tmp_path, inventory(two[:1]), write=True, prune=True)
    assert all(o["status"] == "released" for o in pruned.orphans)
    assert not set(gone) & set(load_lock(tmp_path / "netgen.lock.yaml").tunnels)


def test_pinned_address_wins_and_is_checked_against_the_lock(tmp_path: Path) -> None:
    inv = inventory(_named([[1], [1]]))
    first = plan_of(tmp_path, inv, write=True)
    taken = next(t for t in first.tunnels if t["site"] == "site01")["interface_address"]
    inv["sites"][0]["devices"][0]["tunnels"] = [
        {
            "name": "pinned_a",
            "wan": "isp0",
            "endpoint": "cf1",
            "interface_address": "10.252.3.10/31",
        },
        {"name": "pinned_b", "wan": "isp0", "endpoint": "cf2", "interface_address": taken},
    ]
    with pytest.raises(UserError) as info:
        plan_of(tmp_path, inv)
    assert [d.code for d in info.value.diagnostics if d.severity == "error"] == ["NG403"]
    inv["sites"][0]["devices"][0]["tunnels"][1]["interface_address"] = "10.252.3.12/31"
    result = plan_of(tmp_path, inv)
    assert addresses(result)["pinned_a"] == "10.252.3.10/31"


def test_pool_exhaustion_names_pool_and_count(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        plan_of(tmp_path, inventory(_named([[2], [2]]), pool="10.252.0.0/30"))
    (diag,) = info.value.diagnostics
    assert diag.code == "NG401"
    assert "10.252.0.0/30" in diag.message and "6 more /31" in diag.message


def test_lock_is_sorted_stable_and_secret_free(tmp_path: Path) -> None:
    plan_of(tmp_path, inventory(_named([[2], [1]])), write=True)
    text = (tmp_path / "netgen.lock.yaml").read_text()
    names = [
        line.strip().rstrip(":")
        for line in text.splitlines()
        if line.startswith("  ") and not line.startswith("    ")
    ]
    assert names == sorted(names)
    plan_of(tmp_path, inventory(_named([[2], [1]])), write=True)
    assert (tmp_path / "netgen.lock.yaml").read_text() == text
    assert "psk" not in text.lower()


def test_generated_names_are_valid_readable_and_unique(tmp_path: Path) -> None:
    long = [("a-very-long-site-name-indeed", [("dev1", 2), ("dev2", 2)])]
    result = plan_of(tmp_path, inventory(long))
    names = [t["name"] for t in result.tunnels]
    assert len(set(names)) == len(names) == 8
    assert all(len(n) <= 15 and n.replace("_", "").isalnum() for n in names)
    # the site part keeps its start and a stable hash of the whole name; the rest is whole
    assert {n.split("_", 1)[1] for n in names} == {
        f"{d}{w}_{e}" for d in "12" for w in "ab" for e in ("cf1", "cf2")
    }
    assert len({n.split("_")[0] for n in names}) == 1
    assert names[0].startswith("avery")


def test_generated_names_never_name_another_site_or_endpoint(tmp_path: Path) -> None:
    """chicago01 and chicago02 both became chicago0_1a_cf*, de-duplicated by overwriting the
    tail, so one of chicago01's names pointed at chicago02's tunnel to another endpoint."""
    sites = [(f"chicago0{i}", [(f"chicago0{i}-r1", 2)]) for i in (1, 2)] + [
        (f"site{i:05d}", [(f"s{i}-r1", 2)]) for i in range(3, 40)
    ]
    result = plan_of(tmp_path, inventory(sites))
    by_site: dict[str, set[str]] = {}
    for t in result.tunnels:
        site_part, middle, endpoint = t["name"].split("_")
        assert endpoint == t["endpoint"], t
        assert middle == {"isp0": "1a", "isp1": "1b"}[t["wan"]]
        by_site.setdefault(site_part, set()).add(t["site"])
    assert all(len(owners) == 1 for owners in by_site.values()), by_site
