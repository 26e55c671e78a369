"""Input schema → neutral model: defaults layered, tunnels generated, names decided.

Settings layers, most general first: inventory ``defaults``, site ``defaults``, device
``defaults``, explicit tunnel fields. A layer overrides only the keys it sets; nested mappings
(``health_check``, ``ipsec``, ``ipsec.dpd``) merge key by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any

from pydantic import BaseModel

from netgen.cloudflare import facts
from netgen.cloudflare.crypto import PROFILES, CryptoSuite
from netgen.core.documents import PathKey
from netgen.inventory.model import (
    Device,
    Endpoint,
    HealthCheck,
    Inventory,
    IpsecSettings,
    PskRef,
    Site,
    Tunnel,
    TunnelSettings,
    WanLink,
)
from netgen.inventory.naming import NameAllocator, Slot
from netgen.inventory.schema import DeviceIn, InventoryIn, SettingsIn, SiteIn, TunnelIn

# every tunnel setting, declared once in SettingsIn (TunnelIn inherits them)
_SETTING_KEYS = set(SettingsIn.model_fields)

Layer = tuple[dict[str, Any], PathKey]


@dataclass(frozen=True, slots=True)
class _Merged:
    values: dict[str, Any]
    origins: tuple[tuple[str, PathKey], ...]


def _layer(model: BaseModel | None, path: PathKey) -> list[Layer]:
    if model is None:
        return []
    return [(model.model_dump(exclude_unset=True), path)]


def _merge(layers: list[Layer]) -> _Merged:
    values: dict[str, Any] = {}
    origins: dict[str, PathKey] = {}
    for data, path in layers:
        _merge_into(values, origins, data, path, "")
    return _Merged(values, tuple(sorted(origins.items())))


def _merge_into(
    values: dict[str, Any],
    origins: dict[str, PathKey],
    data: dict[str, Any],
    path: PathKey,
    prefix: str,
) -> None:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        sub = (*path, key)
        if isinstance(value, dict) and key != "crypto":
            target = values.setdefault(key, {})
            if not isinstance(target, dict):  # pragma: no cover - schema prevents it
                target = values[key] = {}
            origins[dotted] = sub
            _merge_into(target, origins, value, sub, f"{dotted}.")
        else:
            values[key] = value
            origins[dotted] = sub


def _settings(merged: dict[str, Any], product: str) -> TunnelSettings:
    ttype = merged.get("tunnel_type") or "ipsec"
    hc = merged.get("health_check") or {}
    ipsec = merged.get("ipsec") or {}
    dpd = ipsec.get("dpd") or {}
    mtu = merged.get("mtu")
    mss = merged.get("mss")
    ttl = merged.get("ttl")
    replay = merged.get("replay_protection")
    return TunnelSettings(
        tunnel_type=ttype,
        mtu=facts.MTU_DEFAULT[ttype] if mtu is None else mtu,
        # unset: the type's default, but never above what the MTU leaves (MTU - 40)
        mss=_default_mss(ttype, mtu) if mss is None else mss,
        ttl=facts.TTL_DEFAULT if ttl is None else ttl,
        health_check=HealthCheck(
            enabled=True if hc.get("enabled") is None else hc["enabled"],
            type=hc.get("type") or facts.HEALTH_CHECK_TYPE_DEFAULT,
            rate=hc.get("rate") or facts.HEALTH_CHECK_RATE_DEFAULT,
            direction=hc.get("direction") or facts.HEALTH_CHECK_DIRECTION_DEFAULT[product],
            target=hc.get("target"),
        ),
        replay_protection=bool(replay),
        ipsec=IpsecSettings(
            crypto=_crypto(ipsec.get("crypto")),
            local_id=ipsec.get("local_id") or facts.LOCAL_ID_DEFAULT,
            dpd_interval=dpd.get("interval") or facts.DPD_INTERVAL_DEFAULT,
            dpd_timeout=dpd.get("timeout") or facts.DPD_TIMEOUT_DEFAULT,
        ),
    )


def _default_mss(tunnel_type: str, mtu: int | None) -> int:
    """MSS follows MTU: ``mtu: 1380`` alone gives MSS 1340, not a clash with the default."""
    default = facts.MSS_DEFAULT[tunnel_type]
    return default if mtu is None else min(default, mtu - facts.MSS_HEADER_BYTES)


def _crypto(value: Any) -> CryptoSuite:
    if value is None:
        return PROFILES["cloudflare-gcm"]
    if isinstance(value, str):
        return PROFILES[value]
    ike, esp = value["ike"], value["esp"]
    return CryptoSuite(
        name="custom",
        ike_encryption=ike["encryption"],
        ike_integrity=ike.get("integrity"),
        ike_prf=ike["prf"],
        ike_dh_group=ike["dh_group"],
        esp_encryption=esp["encryption"],
        esp_integrity=esp.get("integrity"),
        esp_pfs_group=esp["pfs_group"],
        ike_lifetime=value.get("ike_lifetime", facts.IKE_LIFETIME_DEFAULT),
        child_lifetime=value.get("child_lifetime", facts.CHILD_LIFETIME_DEFAULT),
    )


def _tunnel_layer(tin: TunnelIn, path: PathKey) -> Layer:
    data = tin.model_dump(exclude_unset=True, include=_SETTING_KEYS | {"type"})
    if "type" in data:  # `type:` on a tunnel is the short spelling of tunnel_type
        data["tunnel_type"] = data.pop("type")
    return (data, path)


@dataclass(frozen=True, slots=True)
class _Pending:
    """A tunnel waiting for its generated name (names are decided after every device): a
    device without explicit tunnels gets one per WAN link and endpoint; an explicit tunnel
    without ``name`` gets one too."""

    slot: Slot
    prefix: str | None  # the site's tunnel_prefix
    numbers: tuple[int, int]  # device number in the site, WAN link position
    tunnel: Tunnel  # complete but for its name

    def order(self) -> tuple[str, str, int, str]:
        """Site, device, link position, endpoint: independent of the order in the file."""
        return (self.tunnel.site, self.slot[0], self.numbers[1], self.slot[2])


class _Resolver:
    """One pass over the input model; collects tunnels, duplicates and pending generated ones."""

    def __init__(
        self,
        model: InventoryIn,
        sticky_names: dict[Slot, str] | None,
        vendor_defaults: Mapping[str, dict[str, Any]],
    ) -> None:
        self.model = model
        self.vendor_defaults = vendor_defaults
        self.product = model.account.product
        self.base_layers = _layer(model.defaults, ("defaults",))
        explicit = {t.name for s in model.sites for d in s.devices for t in d.tunnels or ()}
        self.names = NameAllocator({n for n in explicit if n}, dict(sticky_names or {}))
        self.tunnels: dict[str, Tunnel] = {}
        self.duplicates: list[tuple[str, PathKey, PathKey]] = []
        self.pending: list[_Pending] = []

    def site(self, si: int, sin: SiteIn) -> Site:
        spath: PathKey = ("sites", si)
        layers = self.base_layers + _layer(sin.defaults, (*spath, "defaults"))
        device_no = {n: i + 1 for i, n in enumerate(sorted({d.name for d in sin.devices}))}
        devices = tuple(
            self.device(sin, (*spath, "devices", di), din, layers, device_no[din.name])
            for di, din in enumerate(sin.devices)
        )
        return Site(
            sin.name,
            sin.address,
            sin.contact,
            sin.description,
            tuple(sin.lan_prefixes),
            devices,
            spath,
        )

    def device(
        self, sin: SiteIn, dpath: PathKey, din: DeviceIn, layers: list[Layer], number: int
    ) -> Device:
        vendor = self.vendor_defaults.get(din.vendor)
        below: list[Layer] = [(vendor, (*dpath, "vendor"))] if vendor else []
        dev_layers = below + layers + _layer(din.defaults, (*dpath, "defaults"))
        wan = tuple(
            WanLink(w.name, w.interface, w.address, w.gateway, w.behind_nat, (*dpath, "wan", wi))
            for wi, w in enumerate(din.wan)
        )
        links = {w.name: wi for wi, w in enumerate(din.wan)}
        names: list[str] = []
        if din.tunnels is not None:
            for ti, tin in enumerate(din.tunnels):
                tunnel = self.explicit(sin.name, din.name, (*dpath, "tunnels", ti), tin, dev_layers)
                if tunnel is None:
                    continue
                if tin.name:
                    names.append(tunnel.name)
                else:
                    slot = (din.name, tin.wan, tin.endpoint)
                    at = (number, links.get(tin.wan, len(links)))
                    self.pending.append(_Pending(slot, sin.tunnel_prefix, at, tunnel))
        else:
            merged = _merge(dev_layers)
            settings = _settings(merged.values, self.product)  # one per device, shared
            for w in din.wan:
                for ep in self.model.cloudflare.endpoints:
                    slot = (din.name, w.name, ep.name)
                    tunnel = _generated(slot, sin.name, settings, dpath, merged.origins)
                    at = (number, links[w.name])
                    self.pending.append(_Pending(slot, sin.tunnel_prefix, at, tunnel))
        via, via_path = self.via_cloudflare(sin, din, dpath)
        return Device(
            din.name,
            sin.name,
            din.vendor,
            din.platform_version,
            din.lan_interface,
            wan,
            tuple(names),
            dpath,
            via,
            via_path,
        )

    def via_cloudflare(
        self, sin: SiteIn, din: DeviceIn, dpath: PathKey
    ) -> tuple[tuple[IPv4Network, ...], PathKey]:
        """The most specific ``via_cloudflare`` (device, site, inventory defaults) and its path."""
        spath = dpath[:2]
        for block, path in (
            (din.defaults, (*dpath, "defaults")),
            (sin.defaults, (*spath, "defaults")),
            (self.model.defaults, ("defaults",)),
        ):
            if block is not None and block.via_cloudflare is not None:
                return tuple(block.via_cloudflare), (*path, "via_cloudflare")
        return (), ()

    def explicit(
        self, site: str, device: str, tpath: PathKey, tin: TunnelIn, layers: list[Layer]
    ) -> Tunnel | None:
        """An explicit tunnel (its name still empty when it gets a generated one), or None if
        its name was taken (recorded as a duplicate)."""
        merged = _merge([*layers, _tunnel_layer(tin, tpath)])
        tunnel = Tunnel(
            name=tin.name or "",
            site=site,
            device=device,
            wan=tin.wan,
            endpoint=tin.endpoint,
            settings=_settings(merged.values, self.product),
            pinned_address=tin.interface_address,
            priority=tin.priority,
            description=tin.description,
            generated=not tin.name,
            psk_ref=PskRef(tin.psk.env, tin.psk.file) if tin.psk else None,
            path=tpath,
            origins=merged.origins,
        )
        if not tin.name:
            return tunnel
        if tunnel.name in self.tunnels:
            self.duplicates.append((tunnel.name, tpath, self.tunnels[tunnel.name].path))
            return None
        self.tunnels[tunnel.name] = tunnel
        return tunnel

    def name_generated(self) -> dict[str, list[str]]:
        """Name every pending tunnel in a fixed order; device -> its generated tunnel names."""
        generated: dict[str, list[str]] = {}
        for p in sorted(self.pending, key=_Pending.order):
            t = p.tunnel
            name = self.names.name(p.slot, t.site, p.prefix, p.numbers, t.path)
            if name is None:
                continue  # NG304 (the allocator recorded it)
            self.tunnels[name] = t.named(name)
            generated.setdefault(p.slot[0], []).append(name)
        return generated


def _generated(
    slot: Slot,
    site: str,
    settings: TunnelSettings,
    path: PathKey,
    origins: tuple[tuple[str, PathKey], ...],
) -> Tunnel:
    return Tunnel(
        name="",
        site=site,
        device=slot[0],
        wan=slot[1],
        endpoint=slot[2],
        settings=settings,
        pinned_address=None,
        priority=100,
        description=None,
        generated=True,
        psk_ref=None,
        path=path,
        origins=origins,
    )


def resolve_inventory(
    model: InventoryIn,
    *,
    file: str,
    digest: str,
    sticky_names: dict[Slot, str] | None = None,
    vendor_defaults: Mapping[str, dict[str, Any]] | None = None,
) -> Inventory:
    """Build the neutral :class:`Inventory` from a validated input model. ``vendor_defaults``
    (vendor id -> settings) is the lowest settings layer of each device of that vendor."""
    r = _Resolver(model, sticky_names, vendor_defaults or {})
    sites = [r.site(si, sin) for si, sin in enumerate(model.sites)]
    generated = r.name_generated()
    if generated:
        sites = [_with_generated(s, generated) for s in sites]
    return Inventory(
        file=file,
        digest=digest,
        account_id=model.account.id,
        product=r.product,
        endpoints=tuple(
            Endpoint(e.name, e.address, ("cloudflare", "endpoints", i))
            for i, e in enumerate(model.cloudflare.endpoints)
        ),
        pools=tuple(model.cloudflare.interface_pool),
        advertised_prefixes=tuple(model.cloudflare.advertised_prefixes),
        sites=tuple(sites),
        tunnels=r.tunnels,
        duplicate_tunnels=tuple(r.duplicates),
        name_problems=tuple(r.names.problems),
    )


def _with_generated(site: Site, generated: dict[str, list[str]]) -> Site:
    devices = tuple(
        Device(
            d.name,
            d.site,
            d.vendor,
            d.platform_version,
            d.lan_interface,
            d.wan,
            d.tunnels + tuple(generated[d.name]),
            d.path,
            d.via_cloudflare,
            d.via_path,
        )
        if d.name in generated
        else d
        for d in site.devices
    )
    return Site(
        site.name,
        site.address,
        site.contact,
        site.description,
        site.lan_prefixes,
        devices,
        site.path,
    )
