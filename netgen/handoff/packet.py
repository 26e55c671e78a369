"""One site's handoff packet as data: everything the page shows, computed here so the
template only lays it out (and escapes it: every string may come from the inventory)."""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping
from dataclasses import dataclass

from netgen.handoff.blocks import Block, paste_blocks
from netgen.handoff.diagram import Diagram, site_diagram
from netgen.plan.model import DevicePlan, TunnelPlan
from netgen.vendors.registry import HandoffCheck, Registry, TroubleshootingRow, VendorProfile

_TUNNEL_FIELDS = frozenset(
    {
        "tunnel",
        "interface",
        "endpoint_address",
        "cloudflare_address",
        "customer_address",
        "wan_interface",
        "wan_address",
        "wan_gateway",
        "wan_own_address",
    }
)


@dataclass(frozen=True)
class Check:
    command: str
    expect: str


@dataclass(frozen=True)
class Rollback:
    lines: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class DevicePacket:
    name: str
    vendor: str
    vendor_name: str
    platform_version: str
    apply: str
    firewall: tuple[str, ...]
    prechecks: tuple[Check, ...]
    blocks: tuple[Block, ...]
    verification: tuple[Check, ...]
    rollback: Rollback


@dataclass(frozen=True)
class TunnelRow:
    name: str
    device: str
    wan: str
    endpoint: str
    type: str
    cloudflare: str
    customer: str
    mtu: int
    mss: int
    health_check: str


@dataclass(frozen=True)
class Troubleshooting:
    vendor_name: str
    rows: tuple[TroubleshootingRow, ...]


@dataclass(frozen=True)
class Meta:
    revision: str
    digest: str
    version: str
    date: str


@dataclass(frozen=True)
class SitePacket:
    site: str
    address: str | None
    contact: str | None
    description: str | None
    meta: Meta
    diagram: Diagram
    tunnels: tuple[TunnelRow, ...]
    devices: tuple[DevicePacket, ...]
    troubleshooting: tuple[Troubleshooting, ...]
    checksums: tuple[tuple[str, str], ...]
    secrets_note: str


def sha256sums(files: Mapping[str, bytes]) -> list[tuple[str, str]]:
    """(name, sha256) of every file, sorted by name (the SHA256SUMS lines)."""
    return [(name, hashlib.sha256(data).hexdigest()) for name, data in sorted(files.items())]


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _values(t: TunnelPlan) -> dict[str, str]:
    return {
        "tunnel": t.name,
        "interface": t.interface,
        "endpoint_address": t.endpoint_address,
        "cloudflare_address": t.cloudflare_address,
        "customer_address": t.customer_address,
        "wan_interface": t.wan.interface,
        "wan_address": t.wan.address,
        "wan_gateway": t.wan.gateway or "the ISP's next hop",
        # the address configured on the router: behind NAT not the one Cloudflare sees
        "wan_own_address": (
            f"its private address (behind NAT; Cloudflare sees {t.wan.address})"
            if t.wan.behind_nat
            else t.wan.address
        ),
    }


def expand(checks: list[HandoffCheck], tunnels: tuple[TunnelPlan, ...]) -> tuple[Check, ...]:
    """Each check once, or once per tunnel when it names a tunnel value (duplicates dropped:
    a per-WAN-link check appears once per link)."""
    out: dict[Check, None] = {}
    for c in checks:
        if not (_fields(c.command) | _fields(c.expect)) & _TUNNEL_FIELDS:
            out[Check(c.command, c.expect)] = None
            continue
        for t in tunnels:
            if c.ipsec_only and t.ipsec is None:
                continue
            v = _values(t)
            out[Check(c.command.format(**v), c.expect.format(**v))] = None
    return tuple(out)


def _firewall(plan: DevicePlan) -> tuple[str, ...]:
    lines = []
    for wan in plan.wan_links:
        kinds = {t.type for t in plan.tunnels if t.wan.name == wan.name}
        endpoints = sorted({t.endpoint_address for t in plan.tunnels if t.wan.name == wan.name})
        allowed = []
        if "ipsec" in kinds:
            allowed.append("UDP 500 and 4500" + ("" if wan.behind_nat else " and ESP (IP 50)"))
        if "gre" in kinds:
            allowed.append("GRE (IP 47)")
        lines.append(
            f"{wan.name} ({wan.interface}): {' and '.join(allowed)} to and from "
            + ", ".join(endpoints)
        )
    return tuple(lines)


def device_blocks(profile: VendorProfile, files: Mapping[str, bytes]) -> tuple[Block, ...]:
    """Paste blocks of a one-file config; a vendor with several files (strongSwan) gets one
    block per file: the executable ones first (they prepare the host the others need), then
    in the order the vendor's outputs list them."""
    if len(profile.outputs) == 1:
        text = next(iter(files.values()), b"").decode()
        return tuple(paste_blocks(text, profile.comment_prefix))
    outputs = sorted(profile.outputs, key=lambda o: not o.executable)
    order = [o.filename.replace("{device}", "") for o in outputs]
    named = sorted(
        files.items(),
        key=lambda kv: next((i for i, s in enumerate(order) if kv[0].endswith(s)), 99),
    )
    return tuple(Block(name, data.decode()) for name, data in named)


def device_packet(
    plan: DevicePlan, profile: VendorProfile, files: Mapping[str, bytes], rollback: Rollback
) -> DevicePacket:
    handoff = profile.handoff
    return DevicePacket(
        name=plan.device,
        vendor=plan.vendor,
        vendor_name=plan.vendor_name,
        platform_version=plan.platform_version,
        apply=handoff.apply if handoff else "",
        firewall=_firewall(plan),
        prechecks=expand(handoff.prechecks, plan.tunnels) if handoff else (),
        blocks=device_blocks(profile, files),
        verification=expand(handoff.verification, plan.tunnels) if handoff else (),
        rollback=rollback,
    )


def tunnel_rows(plans: list[DevicePlan]) -> tuple[TunnelRow, ...]:
    return tuple(
        TunnelRow(
            name=t.name,
            device=plan.device,
            wan=f"{t.wan.name} ({t.wan.interface})",
            endpoint=f"{t.endpoint_name} {t.endpoint_address}",
            type="IPsec" if t.type == "ipsec" else "GRE",
            cloudflare=f"{t.cloudflare_address}/{t.prefixlen}",
            customer=t.customer_cidr,
            mtu=t.mtu,
            mss=t.mss,
            health_check=f"{t.health_check_type}, {t.health_check_direction}",
        )
        for plan in plans
        for t in plan.tunnels
    )


def troubleshooting(plans: list[DevicePlan], registry: Registry) -> tuple[Troubleshooting, ...]:
    out = []
    for vendor in dict.fromkeys(p.vendor for p in plans):
        profile = registry.vendors[vendor]
        if profile.handoff:
            out.append(
                Troubleshooting(profile.display_name, tuple(profile.handoff.troubleshooting))
            )
    return tuple(out)


def site_packet(
    plans: list[DevicePlan],
    devices: tuple[DevicePacket, ...],
    checksums: list[tuple[str, str]],
    meta: Meta,
    registry: Registry,
    secrets_note: str,
) -> SitePacket:
    first = plans[0]
    return SitePacket(
        site=first.site_name,
        address=first.site_address,
        contact=first.site_contact,
        description=first.site_description,
        meta=meta,
        diagram=site_diagram(plans),
        tunnels=tunnel_rows(plans),
        devices=devices,
        troubleshooting=troubleshooting(plans, registry),
        checksums=tuple(checksums),
        secrets_note=secrets_note,
    )
