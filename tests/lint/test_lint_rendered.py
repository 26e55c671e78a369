"""netgen's own output lints clean: every vendor × scenario, with and without the inventory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netgen import api
from netgen.cloudflare.addressing import tunnel_sides
from netgen.lint import (
    Finding,
    Severity,
    Source,
    TunnelExpectation,
    expectations_for,
    lint_sources,
)
from tests.scenarios import SCENARIOS, identities_for, render_scenario, write_inventory
from tests.vendors.conftest import REGISTRY, vendor_cases


def scenario_expectations(inventory: Path, device: str = "hq-edge1") -> list[TunnelExpectation]:
    """What the plan says about each tunnel of ``device`` (identities as the fake API gave)."""
    session = api.open_session(inventory)
    inv = session.loaded.inventory
    out = []
    for name, tunnel in sorted(inv.tunnels.items()):
        if tunnel.device != device:
            continue
        sides = tunnel_sides(session.allocation.assignments[name].interface_address)
        endpoint = inv.endpoint(tunnel.endpoint)
        assert endpoint is not None
        settings = tunnel.settings
        ids = identities_for(name)
        kind = settings.ipsec.local_id
        if kind == "ipv4":
            link = next(d for d in inv.devices() if d.name == device).wan_link(tunnel.wan)
            assert link is not None
            local_id: str | None = str(link.address)
        else:
            local_id = {"fqdn": ids.fqdn_id, "user": ids.user_id, "hex": ids.hex_id}[kind]
        out.append(
            TunnelExpectation(
                name=name,
                endpoint_address=str(endpoint.address),
                customer_address=str(sides.customer),
                cloudflare_address=str(sides.cloudflare),
                prefixlen=sides.prefixlen,
                local_id=local_id,
                tunnel_type=settings.tunnel_type,
                replay_protection=settings.replay_protection,
                device=tunnel.device,
            )
        )
    return out


def errors(findings: list[Finding]) -> list[str]:
    return [f.format() for f in findings if f.severity is Severity.ERROR]


@pytest.mark.parametrize(("vendor", "version", "scenario"), vendor_cases())
def test_rendered_config_lints_clean(
    tmp_path: Path, vendor: str, version: str, scenario: str
) -> None:
    files = render_scenario(tmp_path, scenario, vendor, version)
    sources = [Source(path, text) for path, text in sorted(files.items())]
    profile = REGISTRY.vendors[vendor]
    if profile.lint is None:
        pytest.skip(f"{vendor} has no lint section")
    plain = lint_sources(sources, profile)
    assert errors(plain) == []
    assert not [f.format() for f in plain if f.rule == "CF021"], "parts were not checked"
    expectations = scenario_expectations(tmp_path / "inventory.yaml")
    assert expectations
    checked = lint_sources(sources, profile, expectations)
    assert errors(checked) == []
    assert [f.format() for f in checked if f.rule == "CF019"] == []


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_library_expectations_match_the_scenario(tmp_path: Path, scenario: str) -> None:
    """expectations_for (what the CLI uses) agrees with the scenario's identities."""
    inventory = write_inventory(tmp_path, SCENARIOS[scenario]("cisco_iosxe", None))
    ours = [e for e in expectations_for(*_planned(inventory)) if e.device == "hq-edge1"]
    assert ours == scenario_expectations(inventory)


def _planned(inventory: Path) -> tuple[Any, Any]:
    session = api.open_session(inventory)
    return session.loaded.inventory, session.allocation
