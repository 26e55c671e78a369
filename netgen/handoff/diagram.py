"""The site diagram's geometry, drawn by templates/handoff (inline SVG, no scripts).

Devices on the left, each with its WAN links; Cloudflare's endpoints on the right; one line per
tunnel from its WAN link to its endpoint, coloured by type and labelled with the tunnel's name,
type and both /31 addresses. Each line runs level from its link (its label sits above that
part, where no other line passes) and turns towards the endpoint only at the end. Sized to be
readable at 100% on A4 (the SVG scales to the page).
"""

from __future__ import annotations

from dataclasses import dataclass

from netgen.plan.model import DevicePlan

WIDTH = 840
LEFT_W = 250
BEND_X = 610  # tunnels run level from their link to here (labels sit on this part), then turn
RIGHT_X = 640
RIGHT_W = 190
ROW = 30  # vertical space per tunnel on a WAN link
LINK_PAD = 44  # a WAN link box: its two text lines, then its tunnels
DEVICE_PAD = 34  # a device box: its name, then its links
GAP = 18


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Edge:
    tunnel: str
    kind: str  # ipsec | gre
    interface: str
    x1: int
    y1: int
    bend: int  # x where the level part ends
    x2: int
    y2: int
    label: str


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    devices: tuple[Box, ...]
    links: tuple[Box, ...]
    endpoints: tuple[Box, ...]
    edges: tuple[Edge, ...]


def site_diagram(plans: list[DevicePlan]) -> Diagram:
    devices, links, starts = [], [], []
    y = GAP
    for plan in plans:
        top = y
        y += DEVICE_PAD
        for wan in plan.wan_links:
            tunnels = [t for t in plan.tunnels if t.wan.name == wan.name]
            height = LINK_PAD + ROW * len(tunnels)
            links.append(
                Box(
                    16,
                    y,
                    LEFT_W - 32,
                    height,
                    f"WAN {wan.name}",
                    (f"{wan.interface}  {wan.address}" + (" (NAT)" if wan.behind_nat else ""),),
                )
            )
            for i, t in enumerate(tunnels):
                starts.append((t, y + LINK_PAD + ROW * i + ROW // 2 - 4))
            y += height + 10
        devices.append(Box(4, top, LEFT_W - 8, y - top, plan.device, (f"{plan.vendor_name}",)))
        y += GAP
    endpoints_seen = dict.fromkeys(
        (t.endpoint_name, t.endpoint_address) for plan in plans for t in plan.tunnels
    )
    height = max(y, GAP + len(endpoints_seen) * 90)
    step = height / (len(endpoints_seen) + 1) if endpoints_seen else 0
    endpoints, anchor = [], {}
    for i, (name, address) in enumerate(sorted(endpoints_seen)):
        cy = int(step * (i + 1))
        endpoints.append(Box(RIGHT_X, cy - 30, RIGHT_W, 60, f"Cloudflare {name}", (address,)))
        anchor[name] = cy
    edges = tuple(
        Edge(
            t.name,
            t.type,
            t.interface,
            LEFT_W - 16,
            sy,
            BEND_X,
            RIGHT_X,
            anchor[t.endpoint_name],
            f"{t.name} {'IPsec' if t.type == 'ipsec' else 'GRE'} · CF {t.cloudflare_address}"
            f" / you {t.customer_address}",
        )
        for t, sy in starts
    )
    return Diagram(WIDTH, height, tuple(devices), tuple(links), tuple(endpoints), edges)
