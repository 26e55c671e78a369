"""Records of the neutral model built by hand for speed stay what the generic way builds."""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Interface
from pathlib import Path

from netgen.api import session as session_mod
from netgen.inventory.model import Tunnel

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme" / "inventory.yaml"


def test_named_is_replace_of_the_name_for_every_example_tunnel() -> None:
    tunnels = session_mod.open_session(EXAMPLE).loaded.inventory.tunnels
    assert tunnels
    for tunnel in tunnels.values():
        renamed = tunnel.named("other_1a_cf9")
        assert renamed == dataclasses.replace(tunnel, name="other_1a_cf9")
        assert renamed.name == "other_1a_cf9" and tunnel.name != "other_1a_cf9"


def test_named_keeps_every_field_set_away_from_its_default() -> None:
    some = next(iter(session_mod.open_session(EXAMPLE).loaded.inventory.tunnels.values()))
    full = dataclasses.replace(
        some,
        pinned_address=IPv4Interface("169.254.250.1/31"),
        priority=7,
        description="field test",
        generated=not some.generated,
        origins=(("mtu", ("sites", 0, "defaults", "mtu")),),
    )
    renamed = full.named("x")
    for field in dataclasses.fields(Tunnel):
        expected = "x" if field.name == "name" else getattr(full, field.name)
        assert getattr(renamed, field.name) == expected, field.name
