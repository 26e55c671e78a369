"""Per-device plans: everything a template needs, already computed.

Templates only format a :class:`DevicePlan`: no address arithmetic, no peer selection and no
keyword mapping happen in Jinja. Vendor keywords come from the vendor profile's maps; a neutral
value a vendor cannot express is an NG501 error naming the device and the feature.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network

from netgen.core.documents import PositionIndex
from netgen.core.records import plain_repr
from netgen.inventory.model import Inventory, Site
from netgen.state.allocate import Allocation
from netgen.vendors.registry import Registry


@plain_repr
@dataclass(frozen=True, slots=True)
class IkeProposal:
    name: str
    encryption: str
    integrity: str | None
    prf: str
    dh_group: str
    lifetime: int
    aead: bool


@plain_repr
@dataclass(frozen=True, slots=True)
class EspProposal:
    name: str
    encryption: str
    integrity: str | None
    pfs_group: str
    lifetime: int
    aead: bool


@plain_repr
@dataclass(frozen=True, slots=True)
class WanPlan:
    name: str
    interface: str
    address: str
    gateway: str | None
    behind_nat: bool
    index: int  # position of the link in the device's `wan` list (0, 1, ...)
    route_table: int  # routing table for source-based underlay routing: 181, 182, ...


@plain_repr
@dataclass(frozen=True, slots=True)
class IpsecPlan:
    ike: IkeProposal
    esp: EspProposal
    local_id_kind: str  # fqdn | user | hex | ipv4 (neutral)
    local_id_type: str  # vendor keyword for that kind
    local_id: str  # formatted per vendor (e.g. keyid:... for strongSwan)
    local_id_placeholder: bool
    remote_id: str  # Cloudflare's endpoint address (ID_IPV4_ADDR)
    psk: str
    psk_placeholder: bool
    dpd_interval: int
    dpd_timeout: int
    # probes missed before the peer is dead: ceil(timeout / interval), clamped to the vendor's
    # limits.dpd_threshold (for vendors that count probes instead of a timeout)
    dpd_threshold: int
    nat_t: bool  # the WAN link is behind NAT: force UDP encapsulation


@plain_repr
@dataclass(frozen=True, slots=True)
class TunnelPlan:
    name: str
    type: str  # ipsec | gre
    index: int
    number: int  # vendor base + index
    interface: str
    description: str
    endpoint_name: str
    endpoint_address: str
    wan: WanPlan
    local_address: str  # the WAN address the tunnel is sourced from
    interface_address: str  # Cloudflare's interface_address as in the API (e.g. 10.252.0.0/31)
    cloudflare_address: str
    customer_address: str
    customer_cidr: str  # e.g. 10.252.0.1/31
    prefixlen: int
    netmask: str
    network: str  # e.g. 10.252.0.0/31
    mtu: int
    mss: int
    ttl: int
    priority: int
    distance: int  # 1 for the preferred tunnels, higher for backups
    health_check_type: str
    health_check_direction: str
    health_check_target: str | None  # legacy target (facts.LEGACY_HEALTH_CHECK_RANGE) or None
    replay_protection: bool
    # routing table / packet mark for legacy health-check replies of this tunnel (7200 + number)
    hc_table: int
    ipsec: IpsecPlan | None


@plain_repr
@dataclass(frozen=True, slots=True)
class NextHop:
    tunnel: str
    interface: str
    address: str  # Cloudflare's side of the tunnel subnet
    distance: int


@plain_repr
@dataclass(frozen=True, slots=True)
class HopGroup:
    """Next hops sharing one distance: an ECMP set (or a single next hop)."""

    distance: int
    hops: tuple[NextHop, ...]


@plain_repr
@dataclass(frozen=True, slots=True)
class RoutePlan:
    prefix: str
    network: str
    netmask: str
    hostmask: str  # the wildcard mask (IOS access lists)
    next_hops: tuple[NextHop, ...]  # sorted by distance, then tunnel index
    hop_groups: tuple[HopGroup, ...]  # the same next hops grouped by distance, best first


@plain_repr
@dataclass(frozen=True, slots=True)
class Prefix:
    """A prefix in every text form a template prints."""

    prefix: str
    network: str
    netmask: str
    hostmask: str


@plain_repr
@dataclass(frozen=True, slots=True)
class UnderlayRoute:
    """Host route to a Cloudflare endpoint via a WAN gateway, so a route via a tunnel never
    captures the tunnel's own outer packets."""

    endpoint_name: str
    address: str
    prefix: str  # a.b.c.d/32
    wan: WanPlan
    gateway: str


@plain_repr
@dataclass(frozen=True, slots=True)
class DevicePlan:
    netgen_version: str
    vendor: str
    vendor_name: str
    platform_version: str
    input_digest: str  # filled at render time: digest of the device's generated files
    comment_prefix: str
    product: str
    site_name: str
    site_description: str | None
    site_address: str | None
    site_contact: str | None
    lan_prefixes: tuple[str, ...]
    lan_networks: tuple[Prefix, ...]  # the same prefixes, every text form
    device: str
    lan_interface: str | None
    wan_links: tuple[WanPlan, ...]
    tunnels: tuple[TunnelPlan, ...]
    ike_proposals: tuple[IkeProposal, ...]
    esp_proposals: tuple[EspProposal, ...]
    underlay_routes: tuple[UnderlayRoute, ...]
    routes: tuple[RoutePlan, ...]
    # via_cloudflare prefixes policy-routed for traffic entering from lan_interface only
    policy_routes: tuple[RoutePlan, ...]
    ecmp: bool
    has_ipsec: bool
    has_gre: bool
    has_nat_t: bool
    multi_wan: bool
    # smallest MSS of the device's IPsec / GRE tunnels, for vendors that clamp per device or
    # per zone instead of per interface (None when the device has no such tunnel)
    ipsec_mss: int | None
    gre_mss: int | None
    verification: tuple[str, ...]
    secrets_revealed: bool


@dataclass
class PlanInputs:
    """Everything shared by all device plans of one run (computed once)."""

    inventory: Inventory
    index: PositionIndex
    allocation: Allocation
    registry: Registry
    psks: Mapping[str, str] = field(default_factory=dict)
    reveal_secrets: bool = False
    allow_placeholders: bool = False
    # per site, the routes to the other sites' LANs (:func:`site_remote_prefixes`)
    remote_routes: dict[str, list[RouteTexts]] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)

    # Text forms of the values many devices share, made once per run (converting addresses
    # to text is a large part of planning a fleet): endpoint name -> address.
    endpoint_texts: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        if not self.sites:
            self.sites = {s.name: s for s in self.inventory.sites}
        self.endpoint_texts = {e.name: str(e.address) for e in self.inventory.endpoints}


RouteTexts = tuple[str, str, str, str]


def route_texts(n: IPv4Network) -> RouteTexts:
    """(prefix, network address, netmask, hostmask) of ``n``, as templates print them."""
    return (str(n), str(n.network_address), str(n.netmask), str(n.hostmask))


def _dotted(value: int) -> str:
    """An IPv4 address given as an int, as ``str(IPv4Address(value))`` writes it."""
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


def _texts(base: int, length: int) -> RouteTexts:
    """:func:`route_texts` of the network ``base/length`` given as ints."""
    address = _dotted(base)
    mask = (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
    return (f"{address}/{length}", address, _dotted(mask), _dotted(~mask & 0xFFFFFFFF))


Piece = tuple[int, int]  # (network address, prefix length)


def _exclude(block: Piece, own: list[Piece]) -> list[Piece]:
    """``block`` minus every network in ``own``, as the fewest CIDRs.

    Integer arithmetic: removing one subnet leaves, at each prefix length between the two, the
    sibling half that does not contain it (ipaddress.address_exclude is several times slower).
    """
    pieces = [block]
    for start, plen in own:
        nxt: list[Piece] = []
        for base, length in pieces:
            size = 1 << (32 - length)
            if length <= plen and base <= start < base + size:
                for bits in range(length + 1, plen + 1):
                    half = 1 << (32 - bits)
                    path = start & ~(half - 1) & 0xFFFFFFFF
                    nxt.append((path ^ half, bits))
            elif not (length >= plen and start <= base < start + (1 << (32 - plen))):
                nxt.append((base, length))
        pieces = nxt
    return pieces


def merge_cidrs(networks: Iterable[Piece]) -> list[Piece]:
    """The fewest networks covering exactly the union of ``networks``, in address order (what
    ``netaddr.cidr_merge`` gives, on ints)."""
    spans = sorted((base, base + (1 << (32 - length))) for base, length in networks)
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[Piece] = []
    for start, end in merged:
        while start < end:
            size = start & -start if start else 1 << 32
            while size > end - start:
                size >>= 1
            out.append((start, 32 - size.bit_length() + 1))
            start += size
    return out


def site_remote_prefixes(inv: Inventory) -> dict[str, list[RouteTexts]]:
    """Per site, the other sites' LAN prefixes merged into the fewest networks, in address
    order, as :func:`route_texts`.

    Computed in O(n log n) with ints: merge everything once, then for each site replace only
    the merged blocks that contain its own prefixes by the block minus the site's prefixes.
    The text forms are made once per network (converting addresses to text is a large part
    of planning a fleet).
    """
    merged = merge_cidrs(
        (int(p.network_address), p.prefixlen) for s in inv.sites for p in s.lan_prefixes
    )
    starts = [base for base, _ in merged]
    texts: dict[Piece, RouteTexts] = {}

    def text(piece: Piece) -> RouteTexts:
        found = texts.get(piece)
        if found is None:
            found = texts[piece] = _texts(*piece)
        return found

    every = [text(piece) for piece in merged]
    out: dict[str, list[RouteTexts]] = {}
    for site in inv.sites:
        if not site.lan_prefixes:
            out[site.name] = every
            continue
        own = [(int(p.network_address), p.prefixlen) for p in site.lan_prefixes]
        touched: set[int] = set()
        for start, plen in own:
            i = bisect_right(starts, start) - 1
            if (
                i >= 0
                and plen >= merged[i][1]
                and start < merged[i][0] + (1 << (32 - merged[i][1]))
            ):
                touched.add(i)
        result = [piece for i, piece in enumerate(merged) if i not in touched]
        for i in touched:
            result.extend(_exclude(merged[i], own))
        result.sort()
        out[site.name] = [text(piece) for piece in result]
    return out
