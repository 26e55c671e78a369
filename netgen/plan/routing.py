"""Routes of a device plan: administrative distances from priorities (ECMP for equal ones),
underlay host routes to the Cloudflare endpoints, and the overlay routes to the other sites."""

from __future__ import annotations

from netgen.inventory.model import Device, Tunnel
from netgen.plan.model import (
    HopGroup,
    NextHop,
    PlanInputs,
    RoutePlan,
    TunnelPlan,
    UnderlayRoute,
)


def distances(tunnels: list[Tunnel]) -> dict[str, int]:
    """Administrative distance per tunnel from its priority (lower priority wins).

    Equal priorities share distance 1 (ECMP); each worse priority rank adds 10.
    """
    ranks = sorted({t.priority for t in tunnels})
    return {t.name: 1 + 10 * ranks.index(t.priority) for t in tunnels}


def underlay_routes(plans: list[TunnelPlan]) -> tuple[UnderlayRoute, ...]:
    out: dict[tuple[str, str], UnderlayRoute] = {}
    for t in plans:
        if t.wan.gateway is None:
            continue
        key = (t.endpoint_address, t.wan.name)
        out.setdefault(
            key,
            UnderlayRoute(
                t.endpoint_name,
                t.endpoint_address,
                f"{t.endpoint_address}/32",
                t.wan,
                t.wan.gateway,
            ),
        )
    return tuple(out[k] for k in sorted(out))


def overlay_routes(
    inputs: PlanInputs, device: Device, plans: list[TunnelPlan]
) -> tuple[RoutePlan, ...]:
    if not plans:
        return ()
    hops = tuple(
        NextHop(t.name, t.interface, t.cloudflare_address, t.distance)
        for t in sorted(plans, key=lambda t: (t.distance, t.index))
    )
    groups = tuple(
        HopGroup(d, tuple(h for h in hops if h.distance == d))
        for d in sorted({h.distance for h in hops})
    )
    return tuple(
        RoutePlan(*inputs.prefix_texts[n], hops, groups)
        for n in inputs.remote_prefixes.get(device.site, [])
    )
