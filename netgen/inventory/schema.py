"""Pydantic schema of the inventory file (schema v1).

These models mirror the YAML exactly and forbid unknown keys, so a typo is an error with a
position. Tunnel settings are layered (inventory ``defaults`` → site ``defaults`` → device
``defaults`` → explicit tunnel); every settings field is optional here and a layer overrides only
the keys it sets (see :mod:`netgen.inventory.resolve`).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

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


# YAML reads an unquoted true/false/yes/no/on/off as a bool, and a bool is an int: pydantic's lax
# mode would take `mtu: true` as MTU 1, and ipaddress takes ints, so `address: true` would be
# 0.0.0.1 (and Python warns "__int__ returned non-int"). Every int and IPv4 field of the
# inventory refuses a bool first, as NG203 with a hint about YAML booleans
# (netgen.core.validation). Other lax coercions stay: `mtu: "1400"` and `mtu: 1400.0` are 1400.
def _bool_error(expected: str, example: str) -> PydanticCustomError:
    return PydanticCustomError(
        "yaml_boolean",
        "Input should be {expected}, not a boolean",
        {"expected": expected, "example": example},
    )


def _refuse_bool(expected: str) -> BeforeValidator:
    def check(value: object) -> object:
        if isinstance(value, bool):
            raise _bool_error(expected, "")
        return value

    return BeforeValidator(check)


def _ip_text(kind: str, what: str, example: str) -> BeforeValidator:
    """Refuse a bool, and an int too, where an IPv4 value is expected: ipaddress reads
    ``3405803786`` as 203.0.113.10, never what an engineer meant by writing a number. The int
    error has pydantic's own type and text, so it reads and is hinted like any bad address."""

    def check(value: object) -> object:
        if isinstance(value, bool):
            raise _bool_error(f"an IPv4 {what}", example)
        if isinstance(value, int):
            raise PydanticCustomError(kind, f"Input is not a valid IPv4 {what}")
        return value

    return BeforeValidator(check)


NOT_BOOL = _refuse_bool("a whole number")
# bounds go inside, before NOT_BOOL: outside it they would not reach the JSON schema as
# minimum/maximum (schema/inventory.schema.json)
Integer = Annotated[int, NOT_BOOL]
Address = Annotated[IPv4Address, _ip_text("ip_v4_address", "address", "203.0.113.10")]
Network = Annotated[IPv4Network, _ip_text("ip_v4_network", "network", "10.10.0.0/16")]
Interface = Annotated[IPv4Interface, _ip_text("ip_v4_interface", "interface", "10.252.0.0/31")]


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
