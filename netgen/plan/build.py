"""Build a :class:`~netgen.plan.model.DevicePlan` for one device from the shared plan inputs."""

from __future__ import annotations

from collections.abc import Mapping

from netgen import __version__
from netgen.cloudflare.addressing import tunnel_sides
from netgen.cloudflare.crypto import CryptoSuite, is_aead
from netgen.core.documents import PathKey
from netgen.core.errors import Diagnostic, InternalError, UserError, shown
from netgen.inventory.model import Device, Tunnel, WanLink
from netgen.plan.guard import all_printable, unprintable_field
from netgen.plan.identity import ID_FIELDS, PLACEHOLDER_IDS, local_identity
from netgen.plan.model import (
    DevicePlan,
    EspProposal,
    IkeProposal,
    IpsecPlan,
    PlanInputs,
    Prefix,
    TunnelPlan,
    WanPlan,
    route_texts,
)
from netgen.plan.routing import (
    distances,
    overlay_routes,
    policy_routes,
    split_via,
    underlay_routes,
)
from netgen.vendors.encoding import FieldName
from netgen.vendors.registry import ChoiceProblem, VendorProfile

# Per-WAN routing tables for source-based underlay routing (Linux, VyOS): 181, 182, ...
# Below 200 so VyOS accepts them (`protocols static table` is 1-200).
ROUTE_TABLE_BASE = 180
# Per-tunnel tables (and marks) for legacy health-check replies on Linux: 7200 + number.
HC_TABLE_BASE = 7200


def suite_names(suites: list[CryptoSuite]) -> dict[CryptoSuite, str]:
    """Stable object names per suite: CF-GCM, CF-CBC, CF-CUSTOM1..."""
    names: dict[CryptoSuite, str] = {}
    custom = sorted({s for s in suites if s.name == "custom"}, key=repr)
    for s in suites:
        if s.name != "custom":
            names[s] = "CF-" + s.name.removeprefix("cloudflare-").upper()
    for n, s in enumerate(custom, start=1):
        names[s] = f"CF-CUSTOM{n}"
    return names


class DevicePlanner:
    """Builds one device's plan, collecting every problem instead of stopping at the first."""

    def __init__(
        self, inputs: PlanInputs, device: Device, vendor: VendorProfile, version: str
    ) -> None:
        self.inputs = inputs
        self.device = device
        self.vendor = vendor
        self.version = version
        self.diags: list[Diagnostic] = []

    def error(self, path: PathKey, code: str, message: str, hint: str | None = None) -> None:
        self.diags.append(
            Diagnostic(code, message, position=self.inputs.index.position(path), hint=hint)
        )

    def encode(self, field: FieldName, value: str, what: str, path: PathKey) -> str:
        """``value`` if the vendor's encoder for ``field`` can print it; else NG502 at ``path``."""
        problem = self.vendor.encode_problem(field, value)
        if problem:
            self.error(
                path,
                "NG502",
                f"{what} {shown(value)} of {self.device.name} {problem}",
                "remove quotes, newlines, control characters and command separators",
            )
        return value

    def opt_encode(
        self, field: FieldName, value: str | None, what: str, path: PathKey
    ) -> str | None:
        return None if value is None else self.encode(field, value, what, path)

    def keyword(self, table: str, value: str | int | None, path: PathKey, feature: str) -> str:
        mapping: Mapping[object, str] = getattr(self.vendor.keywords, table)
        word = mapping.get(value)
        if word is None:
            self.error(
                path,
                "NG501",
                f"{self.vendor.display_name} cannot express {feature} {value!r} "
                f"(device {self.device.name})",
                "choose a value this vendor supports, or another vendor",
            )
            return f"<unsupported:{value}>"
        return word

    def policy_routing(self, device: Device) -> None:
        """A full-tunnel prefix needs policy routing on the LAN interface (NG501, NG511)."""
        self.capability(
            "policy_routing",
            device.via_path,
            "via_cloudflare prefixes that cover the Cloudflare endpoints or the WAN links "
            "(policy routing of the LAN's traffic)",
        )
        if device.lan_interface is None:
            self.error(
                device.via_path,
                "NG511",
                f"{device.name}: a via_cloudflare prefix covers the Cloudflare endpoints or the "
                "WAN links, so it is policy-routed for traffic entering from the LAN, but the "
                "device has no lan_interface",
                "set the device's lan_interface",
            )

    def wan_gateways(self, device: Device, used: set[str]) -> None:
        """NG510 for each used WAN link without a gateway (multi-WAN source routing)."""
        for link in device.wan:
            if link.name in used and link.gateway is None:
                self.error(
                    link.path,
                    "NG510",
                    f"{device.name}/{link.name} has no gateway, but {self.vendor.display_name} "
                    "routes each WAN link's tunnels through its own gateway when a device has "
                    "tunnels over more than one link",
                    "add `gateway:` (the ISP's next hop) to the link, or run the tunnels over "
                    "one link",
                )

    def capability(self, cap: str, path: PathKey, feature: str) -> None:
        if not self.vendor.can(cap):
            self.error(
                path,
                "NG501",
                f"{self.vendor.display_name} cannot express {feature} (device {self.device.name})",
                "change the setting for this device, or use another vendor",
            )

    # -- pieces -------------------------------------------------------------------------

    def wan(self, link: WanLink, position: int) -> WanPlan:
        iface = self.encode(
            "wan_interface", link.interface, "WAN interface", (*link.path, "interface")
        )
        return WanPlan(
            link.name,
            iface,
            str(link.address),
            str(link.gateway) if link.gateway else None,
            link.behind_nat,
            index=position,
            route_table=ROUTE_TABLE_BASE + position + 1,
        )

    def proposals(
        self, tunnels: list[Tunnel]
    ) -> tuple[dict[CryptoSuite, IkeProposal], dict[CryptoSuite, EspProposal]]:
        suites = sorted(
            {t.settings.ipsec.crypto for t in tunnels if t.settings.tunnel_type == "ipsec"},
            key=repr,
        )
        names = suite_names(suites)
        ike: dict[CryptoSuite, IkeProposal] = {}
        esp: dict[CryptoSuite, EspProposal] = {}
        for s in suites:
            where = next(
                t.origin("ipsec.crypto")
                for t in tunnels
                if t.settings.tunnel_type == "ipsec" and t.settings.ipsec.crypto == s
            )
            kw = self.keyword
            ike[s] = IkeProposal(
                name=names[s],
                encryption=kw("ike_encryption", s.ike_encryption, where, "IKE encryption"),
                integrity=None
                if s.ike_integrity is None
                else kw("ike_integrity", s.ike_integrity, where, "IKE integrity"),
                prf=kw("ike_prf", s.ike_prf, where, "IKE PRF"),
                dh_group=kw("dh_group", s.ike_dh_group, where, "DH group"),
                lifetime=s.ike_lifetime,
                aead=is_aead(s.ike_encryption),
            )
            esp[s] = EspProposal(
                name=names[s],
                encryption=kw("esp_encryption", s.esp_encryption, where, "ESP encryption"),
                integrity=None
                if s.esp_integrity is None
                else kw("esp_integrity", s.esp_integrity, where, "ESP integrity"),
                pfs_group=kw("pfs_group", s.esp_pfs_group, where, "PFS group"),
                lifetime=s.child_lifetime,
                aead=is_aead(s.esp_encryption),
            )
        return ike, esp

    def dpd_threshold(self, t: Tunnel) -> int:
        s = t.settings.ipsec
        low_high = self.vendor.limits.get("dpd_interval")
        if low_high is not None and not low_high[0] <= s.dpd_interval <= low_high[1]:
            self.error(
                t.origin("ipsec.dpd.interval"),
                "NG501",
                f"{self.vendor.display_name} cannot express a DPD interval of "
                f"{s.dpd_interval} s (device {self.device.name}; "
                f"{low_high[0]}..{low_high[1]} s)",
                "choose an interval inside the vendor's range",
            )
        threshold = -(-s.dpd_timeout // s.dpd_interval)  # ceil
        low, high = self.vendor.limits.get("dpd_threshold", (1, threshold))
        return max(low, min(high, threshold))

    def ipsec(
        self, t: Tunnel, link: WanLink, ike: IkeProposal, esp: EspProposal, endpoint_address: str
    ) -> IpsecPlan:
        s = t.settings.ipsec
        kind = s.local_id
        where = t.origin("ipsec.local_id")
        self.capability(f"local_id_{kind}", where, f"local_id {kind}")
        id_type = self.keyword("local_id_type", kind, where, "local_id")
        found = local_identity(self.inputs.allocation.lock, t, link)
        placeholder = found is None
        if found is None:
            raw = PLACEHOLDER_IDS[kind].format(slug=t.name.lower().replace("_", "-"))
            if not self.inputs.allow_placeholders:
                self.error(
                    t.path,
                    "NG503",
                    f"tunnel {t.name} needs its {ID_FIELDS[kind]} from the "
                    "Cloudflare API, which is not in the lock yet",
                    "create the tunnel at Cloudflare and run `netgen import`, or "
                    "render with --allow-placeholders",
                )
        elif kind == "ipv4":
            raw = found
        else:
            raw = self.encode("ike_identity", found, ID_FIELDS[kind], t.path)
        fmt = self.vendor.local_id_format.get(kind, "{value}")  # type: ignore[call-overload]
        if link.behind_nat:
            self.capability("nat_t", (*link.path, "behind_nat"), "NAT traversal (behind_nat)")
        if t.settings.replay_protection:
            self.capability("replay_protection", t.origin("replay_protection"), "replay_protection")
        return IpsecPlan(
            ike=ike,
            esp=esp,
            local_id_kind=kind,
            local_id_type=id_type,
            local_id=fmt.format(value=raw),
            local_id_placeholder=placeholder,
            remote_id=endpoint_address,
            psk=self.vendor.psk_placeholder.format(tunnel=t.name),
            psk_placeholder=True,
            dpd_interval=s.dpd_interval,
            dpd_timeout=s.dpd_timeout,
            dpd_threshold=self.dpd_threshold(t),
            nat_t=link.behind_nat,
        )

    def tunnel(
        self,
        t: Tunnel,
        dist: int,
        ike: dict[CryptoSuite, IkeProposal],
        esp: dict[CryptoSuite, EspProposal],
        wans: dict[str, WanPlan],
    ) -> TunnelPlan:
        s = t.settings
        self.capability(s.tunnel_type, t.origin("tunnel_type"), f"{s.tunnel_type} tunnels")
        a = self.inputs.allocation.assignments[t.name]
        sides = tunnel_sides(a.interface_address)
        endpoint = self.inputs.inventory.endpoint(t.endpoint)
        link = self.device.wan_link(t.wan)
        assert endpoint is not None and link is not None  # checked by run_checks
        target = None
        hc = s.health_check
        if hc.target is not None:
            self.capability(
                "legacy_health_check_target",
                t.origin("health_check.target"),
                "a legacy health-check target",
            )
            target = str(hc.target)
        kind = "IPsec" if s.tunnel_type == "ipsec" else "GRE"
        desc = t.description or f"Cloudflare {kind} {t.name} to {t.endpoint}"
        number, interface = self.vendor.interface(s.tunnel_type, a.index) or (
            a.index,
            f"<no-{s.tunnel_type}>",
        )
        customer = str(sides.customer)
        wans_endpoint = self.inputs.endpoint_texts[endpoint.name]
        return TunnelPlan(
            name=t.name,
            type=s.tunnel_type,
            index=a.index,
            number=number,
            interface=interface,
            description=self.encode(
                "tunnel_description", desc, "description", (*t.path, "description")
            ),
            endpoint_name=endpoint.name,
            endpoint_address=wans_endpoint,
            wan=wans[link.name],
            local_address=wans[link.name].address,
            interface_address=str(a.interface_address),
            cloudflare_address=str(sides.cloudflare),
            customer_address=customer,
            customer_cidr=f"{customer}/{sides.prefixlen}",
            prefixlen=sides.prefixlen,
            netmask=str(sides.network.netmask),
            network=str(sides.network),
            mtu=s.mtu,
            mss=s.mss,
            ttl=s.ttl,
            priority=t.priority,
            distance=dist,
            health_check_type=hc.type,
            health_check_direction=hc.direction,
            health_check_target=target,
            replay_protection=s.replay_protection,
            hc_table=HC_TABLE_BASE + number,
            ipsec=self.ipsec(t, link, ike[s.ipsec.crypto], esp[s.ipsec.crypto], wans_endpoint)
            if s.tunnel_type == "ipsec"
            else None,
        )


def device_vendor(inputs: PlanInputs, device: Device) -> tuple[VendorProfile, str]:
    """The device's vendor profile and platform version (NG507, NG505 at their lines)."""
    choice = inputs.registry.choose(device.vendor, device.platform_version)
    if isinstance(choice, ChoiceProblem):
        raise UserError([choice.diagnostic(inputs.index, device.path)])
    return choice


def build_device_plan(inputs: PlanInputs, device: Device) -> DevicePlan:
    """The complete plan of one device; raises UserError listing every problem."""
    vendor, version = device_vendor(inputs, device)
    p = DevicePlanner(inputs, device, vendor, version)
    site = inputs.sites[device.site]
    tunnels = [inputs.inventory.tunnels[n] for n in device.tunnels]
    tunnels.sort(key=lambda t: inputs.allocation.assignments[t.name].index)
    wans = {w.name: p.wan(w, i) for i, w in enumerate(device.wan)}
    ike, esp = p.proposals(tunnels)
    dist = distances(tunnels)
    plans = [p.tunnel(t, dist[t.name], ike, esp, wans) for t in tunnels]
    multi = len({t.wan for t in tunnels}) > 1
    if multi:
        p.capability("multi_wan", (*device.path, "vendor"), "tunnels over more than one WAN link")
        if vendor.multi_wan_needs_gateway:
            p.wan_gateways(device, {t.wan for t in tunnels})
    lan_interface = p.opt_encode(
        "lan_interface", device.lan_interface, "lan_interface", (*device.path, "lan_interface")
    )
    site_text = {
        key: p.opt_encode("site_text", getattr(site, key), f"site {key}", (*site.path, key))
        for key in ("description", "address", "contact")
    }
    via, policy_prefixes = split_via(inputs, device)
    policy = policy_routes(plans, policy_prefixes)
    if policy:
        p.policy_routing(device)
    if p.diags:
        raise UserError(p.diags)
    plan = DevicePlan(
        netgen_version=__version__,
        vendor=vendor.id,
        vendor_name=vendor.display_name,
        platform_version=version,
        input_digest="",
        comment_prefix=vendor.comment_prefix,
        product=inputs.inventory.product,
        site_name=site.name,
        site_description=site_text["description"],
        site_address=site_text["address"],
        site_contact=site_text["contact"],
        lan_prefixes=tuple(str(x) for x in site.lan_prefixes),
        lan_networks=tuple(Prefix(*route_texts(x)) for x in site.lan_prefixes),
        device=device.name,
        lan_interface=lan_interface,
        wan_links=tuple(wans[w.name] for w in device.wan),
        tunnels=tuple(plans),
        ike_proposals=tuple(ike.values()),
        esp_proposals=tuple(esp.values()),
        underlay_routes=underlay_routes(plans),
        routes=overlay_routes(inputs, device, plans, via),
        policy_routes=policy,
        ecmp=len({t.distance for t in plans}) == 1 and len(plans) > 1,
        has_ipsec=any(t.type == "ipsec" for t in plans),
        has_gre=any(t.type == "gre" for t in plans),
        has_nat_t=any(t.ipsec is not None and t.ipsec.nat_t for t in plans),
        multi_wan=multi,
        ipsec_mss=min((t.mss for t in plans if t.type == "ipsec"), default=None),
        gre_mss=min((t.mss for t in plans if t.type == "gre"), default=None),
        verification=tuple(vendor.verification),
        secrets_revealed=False,
    )
    where = None if all_printable(plan) else unprintable_field(plan)
    if where is not None:
        raise InternalError(f"{where} of {device.name} bypassed the vendor's encoder")
    return plan
