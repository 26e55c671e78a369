"""The fake's state: per account, GRE tunnels, IPsec tunnels, routes and PSKs.

Deterministic on purpose: ids are the first 32 hex characters of SHA-256 over a counter, the
clock starts at 2024-01-01T00:00:00Z and moves one second per change, and generated PSKs come
from the same counter. Two runs that send the same requests see the same answers.

Rules enforced beyond the published schemas (reference/cloudflare.md §5), all 400 / code 1001:
tunnel names 1-15 characters of ``[A-Za-z0-9_]``; ``interface_address`` a /31 or /30 host
address inside 10/8, 172.16/12, 192.168/16 or 169.254.240/20; endpoints IPv4 addresses;
``mtu`` >= 576; ``ttl`` 1-255; route ``prefix`` a network in CIDR notation (host bits clear),
``nexthop`` an address, ``priority`` >= 0, ``weight`` 0-256, ``scope.colo_regions`` known
regions. A tunnel name already used by another GRE or IPsec tunnel of the account is 400 /
code 1003. Seeded objects (:meth:`Store.create` with ``seed=True``) skip these rules but not the
schemas, so unmanaged oddities can be planted.
"""

from __future__ import annotations

import copy
import hashlib
import re
from datetime import UTC, datetime, timedelta
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Interface,
    ip_address,
    ip_network,
)
from typing import Any, Final

from tests.cloudflare_fake.schemas import Schemas

CODE_INVALID: Final = 1001
CODE_NOT_FOUND: Final = 1002
CODE_DUPLICATE: Final = 1003

WRITABLE: Final[dict[str, frozenset[str]]] = {
    "gre_tunnels": frozenset(
        [
            "name",
            "customer_gre_endpoint",
            "cloudflare_gre_endpoint",
            "interface_address",
            "interface_address6",
            "description",
            "health_check",
            "mtu",
            "ttl",
            "automatic_return_routing",
            "bgp",
        ]
    ),
    "ipsec_tunnels": frozenset(
        [
            "name",
            "cloudflare_endpoint",
            "customer_endpoint",
            "interface_address",
            "interface_address6",
            "description",
            "health_check",
            "psk",
            "replay_protection",
            "custom_remote_identities",
            "automatic_return_routing",
            "bgp",
        ]
    ),
    "routes": frozenset(["prefix", "nexthop", "priority", "description", "weight", "scope"]),
}
HEALTH_CHECK_DEFAULTS: Final = {
    "enabled": True,
    "type": "reply",
    "rate": "mid",
    "direction": "unidirectional",
}
DEFAULTS: Final[dict[str, dict[str, Any]]] = {
    "gre_tunnels": {"mtu": 1476, "ttl": 64},
    "ipsec_tunnels": {"replay_protection": False, "allow_null_cipher": False},
    "routes": {},
}
INTERFACE_RANGES: Final = tuple(
    IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.240.0/20")
)
REGIONS: Final = frozenset(["AFR", "APAC", "EEUR", "ENAM", "ME", "OC", "SAM", "WEUR", "WNAM"])
NAME_RE: Final = re.compile(r"[A-Za-z0-9_]{1,15}")
CLOCK_START: Final = datetime(2024, 1, 1, tzinfo=UTC)


class ApiError(Exception):
    """An answer other than 200: HTTP status, Cloudflare error code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _tunnel_problem(kind: str, body: dict[str, Any]) -> str | None:
    if not NAME_RE.fullmatch(body["name"]):
        return "name: 1 to 15 characters, letters, digits and underscores only"
    try:
        iface = IPv4Interface(body["interface_address"])
    except ValueError:
        return "interface_address: must be an IPv4 address with prefix length"
    if iface.network.prefixlen not in (30, 31):
        return "interface_address: must be a /31 or a /30"
    if not any(iface.network.subnet_of(r) for r in INTERFACE_RANGES):
        return "interface_address: must be inside 10/8, 172.16/12, 192.168/16 or 169.254.240/20"
    if iface.network.prefixlen == 30 and iface.ip in (
        iface.network.network_address,
        iface.network.broadcast_address,
    ):
        return "interface_address: a /30 needs a host address"
    if "interface_address6" in body:
        try:
            IPv6Interface(body["interface_address6"])
        except ValueError:
            return "interface_address6: must be an IPv6 address with prefix length"
    endpoints = (
        ("customer_gre_endpoint", "cloudflare_gre_endpoint")
        if kind == "gre_tunnels"
        else ("customer_endpoint", "cloudflare_endpoint")
    )
    for field in endpoints:
        if field in body:
            try:
                IPv4Address(body[field])
            except ValueError:
                return f"{field}: must be an IPv4 address"
    if "mtu" in body and body["mtu"] < 576:
        return "mtu: the minimum is 576"
    if "ttl" in body and not 1 <= body["ttl"] <= 255:
        return "ttl: must be 1 to 255"
    target = (body.get("health_check") or {}).get("target")
    if target is not None:
        try:
            IPv4Address(target)
        except ValueError:
            return "health_check.target: must be an IPv4 address"
    return None


def _route_problem(body: dict[str, Any]) -> str | None:
    try:
        ip_network(body["prefix"])
    except ValueError:
        return "prefix: must be a network in CIDR notation with the host bits clear"
    try:
        ip_address(body["nexthop"])
    except ValueError:
        return "nexthop: must be an IP address"
    if body["priority"] < 0:
        return "priority: must be 0 or more"
    if "weight" in body and not 0 <= body["weight"] <= 256:
        return "weight: must be 0 to 256"
    regions = (body.get("scope") or {}).get("colo_regions") or []
    if not set(regions) <= REGIONS:
        return f"scope.colo_regions: must be among {sorted(REGIONS)}"
    return None


def check_semantics(kind: str, body: dict[str, Any]) -> str | None:
    """What Cloudflare refuses beyond the published schemas (module docstring), or None."""
    return _route_problem(body) if kind == "routes" else _tunnel_problem(kind, body)


class Store:
    """All accounts' objects. Not thread-safe: the server holds its lock around every call."""

    def __init__(self, schemas: Schemas, *, fill_defaults: bool = True) -> None:
        self._schemas = schemas
        self._fill_defaults = fill_defaults
        self._serial = 0
        self._ticks = 0
        self._objects: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
        self._psks: dict[str, dict[str, str]] = {}

    # -- helpers -------------------------------------------------------------------------

    def _bucket(self, account: str, kind: str) -> dict[str, dict[str, Any]]:
        return self._objects.setdefault(account, {}).setdefault(kind, {})

    def _next_serial(self, advance: bool) -> int:
        if advance:
            self._serial += 1
            return self._serial
        return self._serial + 1

    def _stamp(self, advance: bool) -> str:
        ticks = self._ticks + 1
        if advance:
            self._ticks = ticks
        return (CLOCK_START + timedelta(seconds=ticks)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _find(self, account: str, kind: str, oid: str) -> dict[str, Any]:
        found = self._bucket(account, kind).get(oid)
        if found is None:
            raise ApiError(404, CODE_NOT_FOUND, f"{kind[:-1]} {oid} not found")
        return found

    def _validate(self, kind: str, body: Any, *, rules: bool) -> dict[str, Any]:
        problem = self._schemas.check_request(kind, body)
        if problem is None and rules:
            problem = check_semantics(kind, body)
        if problem is not None:
            raise ApiError(400, CODE_INVALID, problem)
        assert isinstance(body, dict)
        return body

    def _check_name(self, account: str, kind: str, name: str, own_id: str | None) -> None:
        if kind == "routes":
            return
        for other_kind in ("gre_tunnels", "ipsec_tunnels"):
            for oid, obj in self._bucket(account, other_kind).items():
                if obj["name"] == name and oid != own_id:
                    raise ApiError(
                        400, CODE_DUPLICATE, f"a tunnel named {name} already exists ({oid})"
                    )

    def _render(self, account: str, kind: str, oid: str, fields: dict[str, Any]) -> dict[str, Any]:
        obj: dict[str, Any] = {"id": oid}
        obj.update(copy.deepcopy({k: v for k, v in fields.items() if k in WRITABLE[kind]}))
        obj.pop("psk", None)  # write-only
        if self._fill_defaults:
            for key, value in DEFAULTS[kind].items():
                obj.setdefault(key, value)
            if kind != "routes":
                obj["health_check"] = {**HEALTH_CHECK_DEFAULTS, **obj.get("health_check", {})}
        if kind == "ipsec_tunnels":
            obj["remote_identities"] = {
                "hex_id": f"{account}_{oid}",
                "fqdn_id": f"{oid}.{account}.ipsec.cloudflare.com",
                "user_id": f"ipsec@{oid}.{account}.ipsec.cloudflare.com",
            }
        return obj

    # -- operations ----------------------------------------------------------------------

    def list(self, account: str, kind: str) -> list[dict[str, Any]]:
        return copy.deepcopy(list(self._bucket(account, kind).values()))

    def get(self, account: str, kind: str, oid: str) -> dict[str, Any]:
        return copy.deepcopy(self._find(account, kind, oid))

    def psk(self, account: str, tunnel_id: str) -> str | None:
        return self._psks.get(account, {}).get(tunnel_id)

    def create(
        self, account: str, kind: str, body: Any, *, dry_run: bool = False, seed: bool = False
    ) -> dict[str, Any]:
        """A new object from a create body; ``seed`` also takes id and timestamps from it."""
        body = self._validate(kind, body, rules=not seed)
        if kind != "routes":
            self._check_name(account, kind, body["name"], None)
        if seed and "id" in body:
            oid = str(body["id"])
            if len(oid) > 32 or oid in self._bucket(account, kind):
                raise ApiError(400, CODE_INVALID, "id: must be new and at most 32 characters")
        else:
            serial = self._next_serial(not dry_run)
            oid = hashlib.sha256(f"cloudflare-fake:{serial}".encode()).hexdigest()[:32]
        now = self._stamp(not dry_run)
        obj = self._render(account, kind, oid, body)
        obj["created_on"] = body["created_on"] if seed and "created_on" in body else now
        obj["modified_on"] = body["modified_on"] if seed and "modified_on" in body else now
        if kind == "ipsec_tunnels" and "psk" in body:
            obj["psk_metadata"] = {"last_generated_on": now}
        if not dry_run:
            self._bucket(account, kind)[oid] = obj
            if kind == "ipsec_tunnels" and "psk" in body:
                self._psks.setdefault(account, {})[oid] = body["psk"]
        return copy.deepcopy(obj)

    def update(
        self, account: str, kind: str, oid: str, body: Any, *, dry_run: bool = False
    ) -> dict[str, Any]:
        """PUT: the fields sent replace the stored ones; omitted optional fields stay."""
        old = self._find(account, kind, oid)
        body = self._validate(kind, body, rules=True)
        if kind != "routes":
            self._check_name(account, kind, body["name"], oid)
        now = self._stamp(not dry_run)
        fields = {k: v for k, v in old.items() if k in WRITABLE[kind]}
        fields.update(body)
        obj = self._render(account, kind, oid, fields)
        obj["created_on"] = old["created_on"]
        obj["modified_on"] = now
        if "psk_metadata" in old:
            obj["psk_metadata"] = copy.deepcopy(old["psk_metadata"])
        if kind == "ipsec_tunnels" and "psk" in body:
            obj["psk_metadata"] = {"last_generated_on": now}
        if not dry_run:
            self._bucket(account, kind)[oid] = obj
            if kind == "ipsec_tunnels" and "psk" in body:
                self._psks.setdefault(account, {})[oid] = body["psk"]
        return copy.deepcopy(obj)

    def delete(self, account: str, kind: str, oid: str, *, dry_run: bool = False) -> dict[str, Any]:
        obj = self._find(account, kind, oid)
        if not dry_run:
            del self._bucket(account, kind)[oid]
            self._psks.get(account, {}).pop(oid, None)
        return copy.deepcopy(obj)

    def psk_generate(self, account: str, oid: str, *, dry_run: bool = False) -> dict[str, Any]:
        """A new (obviously fake) PSK for an IPsec tunnel, stored like Cloudflare stores it."""
        obj = self._find(account, "ipsec_tunnels", oid)
        serial = self._next_serial(not dry_run)
        digest = hashlib.sha256(f"cloudflare-fake-psk:{serial}".encode()).hexdigest()[:32]
        psk = f"FAKE-PSK-{serial:04d}-{digest}"
        metadata = {"last_generated_on": self._stamp(not dry_run)}
        if not dry_run:
            obj["psk_metadata"] = dict(metadata)
            self._psks.setdefault(account, {})[oid] = psk
        return {"ipsec_id": oid, "ipsec_tunnel_id": oid, "psk": psk, "psk_metadata": metadata}
