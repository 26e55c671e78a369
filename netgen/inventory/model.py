"""The neutral model: sites, devices, tunnels and settings with every default resolved.

Nothing here names a vendor. Each element keeps the path of the YAML node it came from, so
rules can point at the line that caused a problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from netgen.cloudflare.crypto import CryptoSuite
from netgen.core.documents import PathKey
from netgen.core.records import plain_repr


@plain_repr
@dataclass(frozen=True, slots=True)
class HealthCheck:
    enabled: bool
    type: str  # reply | request
    rate: str  # low | mid | high
    direction: str  # unidirectional | bidirectional (product default resolved)
    target: IPv4Address | None


@plain_repr
@dataclass(frozen=True, slots=True)
class IpsecSettings:
    crypto: CryptoSuite
    local_id: str  # fqdn | user | hex | ipv4
    dpd_interval: int
    dpd_timeout: int


@plain_repr
@dataclass(frozen=True, slots=True)
class TunnelSettings:
    """Fully resolved settings of one tunnel (type defaults applied)."""

    tunnel_type: str  # ipsec | gre
    mtu: int
    mss: int
    ttl: int
    health_check: HealthCheck
    replay_protection: bool
    ipsec: IpsecSettings


@plain_repr
@dataclass(frozen=True, slots=True)
class PskRef:
    env: str | None
    file: str | None


@plain_repr
@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    address: IPv4Address
    path: PathKey


@plain_repr
@dataclass(frozen=True, slots=True)
class WanLink:
    name: str
    interface: str
    address: IPv4Address
    gateway: IPv4Address | None
    behind_nat: bool
    path: PathKey


@plain_repr
@dataclass(frozen=True, slots=True)
class Tunnel:
    """One tunnel between a device's WAN link and a Cloudflare endpoint."""

    name: str
    site: str
    device: str
    wan: str
    endpoint: str
    settings: TunnelSettings
    pinned_address: IPv4Interface | None
    priority: int
    description: str | None
    generated: bool
    psk_ref: PskRef | None
    path: PathKey
    # paths of the layers that set each field, for precise positions: field -> path
    origins: tuple[tuple[str, PathKey], ...] = ()

    def named(self, name: str) -> Tunnel:
        """The same tunnel called ``name`` (what :func:`dataclasses.replace` gives, built
        directly: generated names are given to tens of thousands of tunnels)."""
        return Tunnel(
            name,
            self.site,
            self.device,
            self.wan,
            self.endpoint,
            self.settings,
            self.pinned_address,
            self.priority,
            self.description,
            self.generated,
            self.psk_ref,
            self.path,
            self.origins,
        )

    def origin(self, field: str) -> PathKey:
        """Path of the YAML node that set ``field`` (falls back to the tunnel itself)."""
        for name, path in self.origins:
            if name == field:
                return path
        return self.path


@plain_repr
@dataclass(frozen=True, slots=True)
class Device:
    name: str
    site: str
    vendor: str
    platform_version: str | None
    lan_interface: str | None
    wan: tuple[WanLink, ...]
    tunnels: tuple[str, ...]  # tunnel names, in inventory order
    path: PathKey
    # destinations reached through the tunnels besides the other sites' LANs, and the path of
    # the `via_cloudflare` that set them (device, site or inventory defaults)
    via_cloudflare: tuple[IPv4Network, ...] = ()
    via_path: PathKey = ()

    def wan_link(self, name: str) -> WanLink | None:
        for link in self.wan:
            if link.name == name:
                return link
        return None


@plain_repr
@dataclass(frozen=True, slots=True)
class Site:
    name: str
    address: str | None
    contact: str | None
    description: str | None
    lan_prefixes: tuple[IPv4Network, ...]
    devices: tuple[Device, ...]
    path: PathKey


@plain_repr
@dataclass(frozen=True, slots=True)
class Inventory:
    """The whole plan, resolved. ``tunnels`` holds every tunnel keyed by name."""

    file: str
    digest: str
    account_id: str | None
    product: str
    endpoints: tuple[Endpoint, ...]
    pools: tuple[IPv4Interface, ...]
    advertised_prefixes: tuple[IPv4Network, ...]
    sites: tuple[Site, ...]
    tunnels: dict[str, Tunnel]
    # explicit tunnels whose name was already taken: (name, path, path of the first one)
    duplicate_tunnels: tuple[tuple[str, PathKey, PathKey], ...] = ()
    # generated names that could not be made (NG304): (message, path of the device or tunnel)
    name_problems: tuple[tuple[str, PathKey], ...] = ()

    def endpoint(self, name: str) -> Endpoint | None:
        for ep in self.endpoints:
            if ep.name == name:
                return ep
        return None

    def devices(self) -> list[Device]:
        return [d for s in self.sites for d in s.devices]
