"""Pydantic schema of the inventory file (schema v1).

These models mirror the YAML exactly and forbid unknown keys, so a typo is an error with a
position. Tunnel settings are layered (inventory ``defaults`` → site ``defaults`` → device
``defaults`` → explicit tunnel); every settings field is optional here and a layer overrides only
the keys it sets (see :mod:`netgen.inventory.resolve`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

# A YAML boolean where a number or an IPv4 value belongs is NG203, never 1 or 0.0.0.1, and so is
# a plain number for an IPv4 value (netgen.core.strict_types). Bounds go inside, before NOT_BOOL:
# outside it they would not reach the JSON schema as minimum/maximum.
from netgen.core.strict_types import NOT_BOOL, Address, Integer, Interface, Network

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
TunnelType = Literal["ipsec", "gre"]
LocalIdKind = Literal["fqdn", "user", "hex", "ipv4"]
Product = Literal["magic-wan", "magic-transit"]


def _version_to_str(value: object) -> object:
    """``platform_version: 1.5`` arrives as a float from YAML; keep it as text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


PlatformVersion = Annotated[str, BeforeValidator(_version_to_str)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class HealthCheckIn(_Strict):
    enabled: bool | None = None
    type: Literal["reply", "request"] | None = None
    rate: Literal["low", "mid", "high"] | None = None
    direction: Literal["unidirectional", "bidirectional"] | None = None
    target: Address | None = None


class DpdIn(_Strict):
    interval: Annotated[int, Field(ge=2, le=3600), NOT_BOOL] | None = None
    timeout: Annotated[int, Field(ge=2, le=86400), NOT_BOOL] | None = None


class IkeSuiteIn(_Strict):
    encryption: str
    integrity: str | None = None
    prf: str
    dh_group: Integer


class EspSuiteIn(_Strict):
    encryption: str
    integrity: str | None = None
    pfs_group: Integer


class CustomCryptoIn(_Strict):
    ike: IkeSuiteIn
    esp: EspSuiteIn
    ike_lifetime: Integer = 86400
    child_lifetime: Integer = 28800


class IpsecIn(_Strict):
    crypto: Literal["cloudflare-gcm", "cloudflare-cbc"] | CustomCryptoIn | None = None
    local_id: LocalIdKind | None = None
    dpd: DpdIn | None = None


class SettingsIn(_Strict):
    """Tunnel settings; every layer may set any subset."""

    tunnel_type: TunnelType | None = None
    mtu: Integer | None = None
    mss: Integer | None = None
    ttl: Integer | None = None
    health_check: HealthCheckIn | None = None
    replay_protection: bool | None = None
    ipsec: IpsecIn | None = None


class DefaultsIn(SettingsIn):
    """A ``defaults`` block (inventory, site, device): tunnel settings, plus what the device
    routes through its tunnels besides the other sites' LANs."""

    # e.g. [0.0.0.0/0] (full tunnel) or Cloudflare One ranges; the most specific level wins
    via_cloudflare: list[Network] | None = None


class PskRefIn(_Strict):
    """Where a tunnel's PSK comes from, when not from the secrets store."""

    env: str | None = None
    file: str | None = None


class TunnelIn(SettingsIn):
    """An explicit tunnel: its own fields, plus any tunnel setting (``type`` = tunnel_type)."""

    name: str | None = None  # omitted: a generated name, as for a device without tunnels
    wan: str
    endpoint: str
    type: TunnelType | None = None
    interface_address: Interface | None = None
    priority: Annotated[int, Field(ge=0, le=1_000_000), NOT_BOOL] = 100
    description: str | None = None
    psk: PskRefIn | None = None


class WanIn(_Strict):
    name: Name
    interface: str
    address: Address
    gateway: Address | None = None
    behind_nat: bool = False


class DeviceIn(_Strict):
    name: Name
    vendor: str
    platform_version: PlatformVersion | None = None
    lan_interface: str | None = None
    wan: Annotated[list[WanIn], Field(min_length=1)]
    tunnels: list[TunnelIn] | None = None
    defaults: DefaultsIn | None = None


class SiteIn(_Strict):
    name: Name
    # the site part of generated tunnel names, when the site name does not fit (NG304)
    tunnel_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,8}$")] | None = None
    address: str | None = None
    contact: str | None = None
    description: str | None = None
    lan_prefixes: list[Network] = Field(default_factory=list)
    devices: Annotated[list[DeviceIn], Field(min_length=1)]
    defaults: DefaultsIn | None = None


class EndpointIn(_Strict):
    name: Name
    address: Address


class CloudflareIn(_Strict):
    endpoints: Annotated[list[EndpointIn], Field(min_length=1)]
    interface_pool: list[Interface] = Field(default_factory=list)
    advertised_prefixes: list[Network] = Field(default_factory=list)


class AccountIn(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] | None = None
    product: Product = "magic-wan"


class InventoryIn(_Strict):
    netgen: Literal[1]
    account: AccountIn = AccountIn()
    cloudflare: CloudflareIn
    defaults: DefaultsIn | None = None
    sites: list[SiteIn] = Field(default_factory=list)
