"""JSON Schema (draft 2020-12) of the inventory, for editors (YAML language server) and CI.

The structure is the pydantic input models' ``model_json_schema()``
(:mod:`netgen.inventory.schema`); this module adds a description on every property (from
docs/inventory.md's tables; a test fails when a documented key has none here), the effective
default where it is one constant (instead of ``default: null``, which only means "not set at this
layer"), and the ranges and choices netgen's rules enforce exactly (from
:mod:`netgen.cloudflare.facts`). It accepts every example and test scenario (tests), is
stricter only than pydantic's lax coercions (``mtu: "1400"``), and checks less (addresses,
uniqueness, vendors) than ``netgen validate``.

:data:`FIELD_DOCS` paths read as in the docs (``sites[].devices[].wan[].address``); a field
inherited by several models (``SettingsIn``'s, in ``defaults`` and explicit tunnels) is
documented once, under ``defaults.``: the model that declares a field owns its doc.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel

from netgen.cloudflare import facts
from netgen.inventory.schema import InventoryIn

SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
# a stable identifier, never fetched (.invalid is reserved, RFC 2606); bump with the schema version
SCHEMA_ID: Final = "https://netgen.invalid/schema/inventory-1.json"
SCHEMA_FILE_NAME: Final = "netgen.schema.json"

_UNSET: Final = object()


@dataclass(frozen=True)
class FieldDoc:
    """What the schema says about one inventory key beyond its type."""

    text: str
    default: Any = _UNSET  # the effective default, when it is one JSON value
    rules: Mapping[str, Any] = field(default_factory=dict)  # extra keywords (minimum, enum, ...)


_NAME_RULE = "letters, digits, `.`, `_`, `-` (1-63, starting with a letter or digit)"
_SETTINGS_NOTE = "A more specific layer overrides only the keys it sets."
_TUNNEL_NAME = f"^{facts.TUNNEL_NAME_PATTERN}$"
_MTU_MAX = max(facts.MTU_MAX.values())
_MSS_MAX = max(facts.MSS_MAX.values())
_IKE_LIFE = {"minimum": facts.IKE_LIFETIME_RANGE[0], "maximum": facts.IKE_LIFETIME_RANGE[1]}
_CHILD_LIFE = {"minimum": facts.CHILD_LIFETIME_RANGE[0], "maximum": facts.CHILD_LIFETIME_RANGE[1]}
_DH = list(facts.DH_GROUPS)


def _choices(values: tuple[object, ...]) -> str:
    return ", ".join(f"`{v}`" for v in values)


# Written from docs/inventory.md (tests/editor/test_json_schema.py keeps them in step).
FIELD_DOCS: Final[dict[str, FieldDoc]] = {
    # -- top level
    "netgen": FieldDoc("Inventory schema version: must be `1` (NG104)."),
    "account": FieldDoc("Your Cloudflare account.", default={"product": "magic-wan"}),
    "account.id": FieldDoc("Your Cloudflare account id: 32 lowercase hex characters."),
    "account.product": FieldDoc(
        "`magic-wan` or `magic-transit`; sets the default `health_check.direction`."
    ),
    "cloudflare": FieldDoc("What Cloudflare assigned to you; where tunnel addresses come from."),
    "cloudflare.endpoints": FieldDoc(
        "Required (at least one): the Anycast addresses Cloudflare assigned (dashboard: Magic "
        "WAN > Configuration), as `{name, address}`. Unique names (NG330) and addresses "
        "(NG331), public unicast (NG332)."
    ),
    "cloudflare.endpoints[].name": FieldDoc(
        f"Endpoint name ({_NAME_RULE}): the last part of generated tunnel names and what "
        "`tunnels[].endpoint` refers to."
    ),
    "cloudflare.endpoints[].address": FieldDoc("The Cloudflare Anycast IPv4 address."),
    "cloudflare.interface_pool": FieldDoc(
        "Networks the tunnel /31s are allocated from: inside "
        + ", ".join(str(n) for n in facts.INTERFACE_RANGES)
        + " (NG315), no host bits (NG312), no overlap with each other (NG316) or a LAN (NG314).",
        default=[],
    ),
    "cloudflare.advertised_prefixes": FieldDoc(
        "Magic Transit: the prefixes Cloudflare advertises for you; WAN addresses must be "
        "outside them (NG321).",
        default=[],
    ),
    "defaults": FieldDoc(
        "Tunnel settings for every tunnel; sites, devices and explicit tunnels may override "
        f"any key. {_SETTINGS_NOTE}"
    ),
    "sites": FieldDoc("The sites, each with its routers.", default=[]),
    # -- sites and devices
    "sites[].name": FieldDoc(
        f"Site name: {_NAME_RULE}; unique (NG303). Used as a directory name in the output."
    ),
    "sites[].address": FieldDoc("Free text for the handoff packet: the street address."),
    "sites[].contact": FieldDoc("Free text for the handoff packet: who to call on site."),
    "sites[].description": FieldDoc("Free text for the handoff packet."),
    "sites[].tunnel_prefix": FieldDoc(
        "1-8 letters or digits: the site part of generated tunnel names, for a site whose "
        "name does not fit (NG304). Default: the site name."
    ),
    "sites[].lan_prefixes": FieldDoc(
        "The site's IPv4 networks: they become Cloudflare static routes (routes.json) and, "
        "merged, the routes the other sites send over their tunnels.",
        default=[],
    ),
    "sites[].defaults": FieldDoc(
        f"Tunnel settings for the site's tunnels (over the inventory `defaults`). {_SETTINGS_NOTE}"
    ),
    "sites[].devices": FieldDoc("Required (at least one): the site's routers."),
    "defaults.via_cloudflare": FieldDoc(
        "Destinations the site reaches through its tunnels besides the other sites' LAN "
        "prefixes, e.g. `[0.0.0.0/0]` (full tunnel) or Cloudflare One ranges. Allowed in the "
        "inventory, site or device `defaults`; the most specific level wins. A prefix that "
        "covers a Cloudflare endpoint or one of the device's WAN addresses or gateways (such "
        "as 0.0.0.0/0) is policy-routed for traffic entering from `lan_interface` only (NG511 "
        "without it); the site's own LAN prefixes are excluded.",
        default=[],
    ),
    "sites[].devices[].name": FieldDoc(
        f"Device name: {_NAME_RULE}; unique across the inventory (NG303). The output file name."
    ),
    "sites[].devices[].vendor": FieldDoc(
        "Vendor profile: `cisco_iosxe`, `juniper_srx`, `strongswan`, `vyos` (`netgen vendors` "
        "lists them; NG507)."
    ),
    "sites[].devices[].platform_version": FieldDoc(
        'Software version, quoted (YAML reads 1.10 as 1.1): e.g. "17.9", "23.4", "5.9", '
        '"1.4", "1.5". A patch release maps to its train (17.9.4 -> 17.9); an unsupported '
        "version is NG505. Default: the vendor profile's default.",
        rules={"type": ["string", "number"]},  # netgen reads `17.9` unquoted as "17.9"
    ),
    "sites[].devices[].lan_interface": FieldDoc(
        "The LAN-facing interface, used where a vendor needs it (zones, filters, policy routing)."
    ),
    "sites[].devices[].wan": FieldDoc("Required (at least one): the device's WAN links."),
    "sites[].devices[].tunnels": FieldDoc(
        "Explicit tunnels. Default: one tunnel per WAN link per Cloudflare endpoint, named "
        "`<site>_<n><l>_<endpoint>`."
    ),
    "sites[].devices[].defaults": FieldDoc(
        "Tunnel settings for the device's tunnels (over the site and inventory `defaults`). "
        + _SETTINGS_NOTE
    ),
    # -- WAN links
    "sites[].devices[].wan[].name": FieldDoc(
        f"WAN link name ({_NAME_RULE}), unique on the device (NG303). Its position in `wan` "
        "gives the link letter of generated tunnel names."
    ),
    "sites[].devices[].wan[].interface": FieldDoc("The router's interface (tunnel source, IKE)."),
    "sites[].devices[].wan[].address": FieldDoc(
        "The public IPv4 address Cloudflare sees (behind NAT: the address after NAT). Public "
        "unicast; documentation ranges are accepted for examples (NG320)."
    ),
    "sites[].devices[].wan[].gateway": FieldDoc(
        "Next hop toward the Internet; netgen adds /32 routes to each Cloudflare endpoint via it."
    ),
    "sites[].devices[].wan[].behind_nat": FieldDoc(
        "The router sits behind NAT: NAT-T (UDP 4500 encapsulation) is forced; "
        "`local_id: ipv4` is refused (NG370)."
    ),
    # -- explicit tunnels
    "sites[].devices[].tunnels[].name": FieldDoc(
        f"At most {facts.TUNNEL_NAME_MAX} letters, digits or `_` (NG301), unique across the "
        "account (NG302). Default: a generated name, as for a device without `tunnels`.",
        rules={"pattern": _TUNNEL_NAME},
    ),
    "sites[].devices[].tunnels[].wan": FieldDoc("A WAN link name of this device (NG340)."),
    "sites[].devices[].tunnels[].endpoint": FieldDoc("A Cloudflare endpoint name (NG341)."),
    "sites[].devices[].tunnels[].type": FieldDoc(
        "`ipsec` or `gre` (same as `tunnel_type`). Default: inherited from `defaults`."
    ),
    "sites[].devices[].tunnels[].interface_address": FieldDoc(
        "Cloudflare's side, as in the API: a /31 (or /30) inside the allowed ranges "
        "(NG310-NG314). Pinned addresses win over the lock and are checked against it (NG403). "
        "Default: allocated from `cloudflare.interface_pool`."
    ),
    "sites[].devices[].tunnels[].priority": FieldDoc(
        "Cloudflare route priority (lower wins). Equal priorities = ECMP on the router; higher "
        "numbers become backup routes (administrative distance 1, 11, 21 ... by rank)."
    ),
    "sites[].devices[].tunnels[].description": FieldDoc(
        "Free text; checked per vendor (NG502). Default: generated."
    ),
    "sites[].devices[].tunnels[].psk": FieldDoc(
        "Where the tunnel's PSK comes from: `{env: NAME}` or `{file: path}`. Default: the "
        "secrets store netgen.secrets.yaml. Never write a PSK into the inventory."
    ),
    "sites[].devices[].tunnels[].psk.env": FieldDoc(
        "Name of the environment variable that holds the PSK."
    ),
    "sites[].devices[].tunnels[].psk.file": FieldDoc(
        "Path of a file that holds the PSK, relative to the inventory's directory."
    ),
    # -- tunnel settings (inventory, site and device `defaults`, explicit tunnels)
    "defaults.tunnel_type": FieldDoc("`ipsec` or `gre`.", default="ipsec"),
    "defaults.mtu": FieldDoc(
        f"Tunnel MTU: {facts.MTU_MIN}..{facts.MTU_MAX['gre']} (GRE), "
        f"{facts.MTU_MIN}..{facts.MTU_MAX['ipsec']} (IPsec) (NG350). "
        f"Default: GRE {facts.MTU_DEFAULT['gre']}, IPsec {facts.MTU_DEFAULT['ipsec']}.",
        rules={"minimum": facts.MTU_MIN, "maximum": _MTU_MAX},
    ),
    "defaults.mss": FieldDoc(
        f"TCP MSS clamp: {facts.MSS_MIN}..{facts.MSS_MAX['gre']} (GRE), "
        f"{facts.MSS_MIN}..{facts.MSS_MAX['ipsec']} (IPsec), and at most MTU-40 (NG351). "
        f"Default: GRE {facts.MSS_DEFAULT['gre']}, IPsec {facts.MSS_DEFAULT['ipsec']}, but at "
        "most MTU-40 (so `mtu: 1380` alone gives 1340).",
        rules={"minimum": facts.MSS_MIN, "maximum": _MSS_MAX},
    ),
    "defaults.ttl": FieldDoc(
        f"TTL of the GRE packets: {facts.TTL_MIN}..{facts.TTL_MAX}, GRE only (NG352).",
        default=facts.TTL_DEFAULT,
        rules={"minimum": facts.TTL_MIN, "maximum": facts.TTL_MAX},
    ),
    "defaults.health_check": FieldDoc(
        "Cloudflare's tunnel health checks. Nested keys merge key by key across layers."
    ),
    "defaults.health_check.enabled": FieldDoc("Health checks on or off.", default=True),
    "defaults.health_check.type": FieldDoc(
        "`reply` or `request` (use `request` behind stateful firewalls). Default: `reply`; "
        "`request` on Juniper SRX (the vendor profile's `health_check_type`)."
    ),
    "defaults.health_check.rate": FieldDoc(
        f"{_choices(facts.HEALTH_CHECK_RATES)}.", default=facts.HEALTH_CHECK_RATE_DEFAULT
    ),
    "defaults.health_check.direction": FieldDoc(
        "`bidirectional` (the Magic WAN default) or `unidirectional` (the Magic Transit "
        "default). Default: from `account.product`."
    ),
    "defaults.health_check.target": FieldDoc(
        "Only with `unidirectional` (NG360); a legacy custom target must be in "
        f"{facts.LEGACY_HEALTH_CHECK_RANGE} (NG361) and needs a vendor with that capability "
        "(NG501). Default: none."
    ),
    "defaults.replay_protection": FieldDoc(
        "`true` keeps anti-replay on the router (for devices that cannot disable it); "
        "Cloudflare recommends it off.",
        default=False,
    ),
    "defaults.ipsec": FieldDoc("IPsec settings. Nested keys merge key by key across layers."),
    "defaults.ipsec.crypto": FieldDoc(
        "`cloudflare-gcm`, `cloudflare-cbc` or a custom suite `{ike, esp, ike_lifetime, "
        "child_lifetime}` of transforms Cloudflare supports (NG372).",
        default="cloudflare-gcm",
    ),
    "defaults.ipsec.local_id": FieldDoc(
        "The router's IKE identity: `fqdn` (Cloudflare `fqdn_id`), `user` (`user_id`), `hex` "
        "(`hex_id`, sent as KEY_ID), `ipv4` (the WAN address; only when not behind NAT (NG370) "
        "and the (endpoint, WAN address) pair is unique (NG371)).",
        default=facts.LOCAL_ID_DEFAULT,
    ),
    "defaults.ipsec.dpd": FieldDoc("Dead peer detection on the router."),
    "defaults.ipsec.dpd.interval": FieldDoc(
        "Seconds between DPD probes, 2..3600.", default=facts.DPD_INTERVAL_DEFAULT
    ),
    "defaults.ipsec.dpd.timeout": FieldDoc(
        "Seconds without an answer before the IKE SA is restarted, 2..86400.",
        default=facts.DPD_TIMEOUT_DEFAULT,
    ),
    # -- a custom crypto suite (docs/inventory.md "Crypto suites")
    "defaults.ipsec.crypto.ike": FieldDoc("The IKE (phase 1) proposal."),
    "defaults.ipsec.crypto.esp": FieldDoc("The ESP (phase 2) proposal."),
    "defaults.ipsec.crypto.ike_lifetime": FieldDoc(
        "IKE SA lifetime in seconds, 180..86400 (NG373).", rules=_IKE_LIFE
    ),
    "defaults.ipsec.crypto.child_lifetime": FieldDoc(
        "Child SA lifetime in seconds, 180..86400 (NG373); Cloudflare recommends 1800..28800.",
        rules=_CHILD_LIFE,
    ),
    "defaults.ipsec.crypto.ike.encryption": FieldDoc(
        f"{_choices(facts.IKE_ENCRYPTION)} (NG372).", rules={"enum": list(facts.IKE_ENCRYPTION)}
    ),
    "defaults.ipsec.crypto.ike.integrity": FieldDoc(
        f"{_choices(facts.IKE_INTEGRITY)}: only with CBC, omit it with GCM (NG372).",
        rules={"enum": list(facts.IKE_INTEGRITY)},
    ),
    "defaults.ipsec.crypto.ike.prf": FieldDoc(
        f"{_choices(facts.IKE_PRF)} (NG372).", rules={"enum": list(facts.IKE_PRF)}
    ),
    "defaults.ipsec.crypto.ike.dh_group": FieldDoc(
        f"Diffie-Hellman group: {_choices(facts.DH_GROUPS)} (NG372).", rules={"enum": _DH}
    ),
    "defaults.ipsec.crypto.esp.encryption": FieldDoc(
        f"{_choices(facts.ESP_ENCRYPTION)} (NG372).", rules={"enum": list(facts.ESP_ENCRYPTION)}
    ),
    "defaults.ipsec.crypto.esp.integrity": FieldDoc(
        f"{_choices(facts.ESP_INTEGRITY)}: only with CBC, omit it with GCM (NG372).",
        rules={"enum": list(facts.ESP_INTEGRITY)},
    ),
    "defaults.ipsec.crypto.esp.pfs_group": FieldDoc(
        f"PFS Diffie-Hellman group: {_choices(facts.DH_GROUPS)} (NG372).", rules={"enum": _DH}
    ),
}

# One line per model, shown where an editor describes a whole mapping.
MODEL_DOCS: Final[dict[str, str]] = {
    "AccountIn": "Your Cloudflare account.",
    "CloudflareIn": "Cloudflare endpoints, the tunnel address pool and advertised prefixes.",
    "CustomCryptoIn": "A custom IPsec crypto suite (only transforms Cloudflare supports).",
    "DefaultsIn": "Tunnel settings of one layer (inventory, site or device `defaults`).",
    "DeviceIn": "A router: its vendor, WAN links and, optionally, explicit tunnels.",
    "DpdIn": "Dead peer detection on the router.",
    "EndpointIn": "A Cloudflare Anycast endpoint.",
    "EspSuiteIn": "ESP (phase 2) transforms.",
    "HealthCheckIn": "Cloudflare's tunnel health checks.",
    "IkeSuiteIn": "IKE (phase 1) transforms.",
    "InventoryIn": (
        "The netgen inventory (inventory.yaml): Cloudflare endpoints, sites, routers and "
        "tunnel settings. Reference: docs/inventory.md. `netgen validate` checks more than "
        "this schema (addresses, uniqueness, vendor capabilities)."
    ),
    "IpsecIn": "IPsec settings.",
    "PskRefIn": "Where a tunnel's PSK comes from: `{env: NAME}` or `{file: path}`.",
    "SiteIn": "A site: its LAN prefixes and routers.",
    "TunnelIn": "An explicit tunnel: a WAN link to a Cloudflare endpoint, plus any setting.",
    "WanIn": "A WAN link of the device.",
}


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation holds (through Optional, list, Annotated, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    if typing.get_origin(annotation) is typing.Annotated:
        yield from _models_in(typing.get_args(annotation)[0])
        return
    if typing.get_origin(annotation) is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _models_in(arg)


def _owner(model: type[BaseModel], name: str) -> str:
    """The most general model that declares field ``name`` (``SettingsIn`` for ``mtu``)."""
    for cls in reversed(model.__mro__):
        if isinstance(cls, type) and issubclass(cls, BaseModel) and name in cls.model_fields:
            return cls.__name__
    raise KeyError(name)


def resolve_field(path: str) -> tuple[str, str]:
    """``sites[].devices[].wan[].address`` → (owning model name, field name); KeyError when
    the path names no inventory field."""
    model: type[BaseModel] = InventoryIn
    parts = [p.removesuffix("[]") for p in path.split(".")]
    for i, part in enumerate(parts):
        if part not in model.model_fields:
            raise KeyError(f"{path}: no field {part!r} in {model.__name__}")
        if i == len(parts) - 1:
            return _owner(model, part), part
        inner = list(_models_in(model.model_fields[part].annotation))
        if len(inner) != 1:
            raise KeyError(f"{path}: {part!r} is not a mapping")
        model = inner[0]
    raise KeyError(path)


def _all_models() -> dict[str, type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    todo: list[type[BaseModel]] = [InventoryIn]
    while todo:
        model = todo.pop()
        if model.__name__ in seen:
            continue
        seen[model.__name__] = model
        for info in model.model_fields.values():
            todo.extend(_models_in(info.annotation))
    return seen


def _value_branch(prop: dict[str, Any]) -> dict[str, Any]:
    """Where a property's own constraints go: the non-null branch of ``X | None``."""
    branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"]
    return branches[0] if len(branches) == 1 else prop


def _enrich(
    node: dict[str, Any], model: type[BaseModel], docs: dict[tuple[str, str], FieldDoc]
) -> None:
    node["description"] = MODEL_DOCS[model.__name__]
    node.pop("title", None)
    for name, prop in node.get("properties", {}).items():
        doc = docs[(_owner(model, name), name)]
        prop.pop("title", None)  # pydantic's "Lan Interface": the key itself says it better
        prop["description"] = doc.text
        if doc.default is not _UNSET:
            prop["default"] = doc.default
        elif prop.get("default", _UNSET) is None:
            del prop["default"]  # null only means "not set at this layer"
        _value_branch(prop).update(doc.rules)


def inventory_json_schema() -> dict[str, Any]:
    """The inventory's JSON Schema (draft 2020-12) as a fresh dict. KeyError when a model or
    field has no :data:`MODEL_DOCS` / :data:`FIELD_DOCS` entry (the tests catch it)."""
    schema = InventoryIn.model_json_schema(mode="validation")
    docs = {resolve_field(path): doc for path, doc in FIELD_DOCS.items()}
    models = _all_models()
    for name, node in schema.get("$defs", {}).items():
        _enrich(node, models[name], docs)
    _enrich(schema, InventoryIn, docs)
    schema["$schema"] = SCHEMA_DIALECT
    schema["$id"] = SCHEMA_ID
    schema["title"] = "netgen inventory (schema v1)"
    return schema


def inventory_schema_text() -> str:
    """The schema as deterministic JSON: sorted keys, 2-space indent, ASCII, final newline."""
    return json.dumps(inventory_json_schema(), indent=2, sort_keys=True, ensure_ascii=True) + "\n"
