"""Test scenarios: small inventories, rendered for any vendor, with a lock that holds the
remote identities the Cloudflare API would have returned (fake, deterministic ids).

Documentation addresses only: endpoints 192.0.2.10/.20, WAN 203.0.113.0/24 and 198.51.100.0/24.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from netgen import api
from netgen.render.environment import RenderedFile
from netgen.render.output import atomic_write
from netgen.state.importer import ImportResult, import_responses
from netgen.state.lock import CloudflareFacts, LockFile, RemoteIdentities, dump_lock

ACCOUNT = "0123456789abcdef0123456789abcdef"

WAN_IFACES = {
    "cisco_iosxe": ("GigabitEthernet1", "GigabitEthernet2", "GigabitEthernet3"),
    "juniper_srx": ("ge-0/0/0.0", "ge-0/0/1.0", "ge-0/0/2.0"),
    "strongswan": ("eth0", "eth1", "eth2"),
    "vyos": ("eth0", "eth1", "eth2"),
}


def _ifaces(vendor: str) -> tuple[str, str, str]:
    return WAN_IFACES.get(vendor, ("wan0", "wan1", "lan0"))


def base(vendor: str, version: str | None = None, **defaults: Any) -> dict[str, Any]:
    wan_a, wan_b, lan = _ifaces(vendor)
    device: dict[str, Any] = {
        "name": "hq-edge1",
        "vendor": vendor,
        "lan_interface": lan,
        "wan": [
            {
                "name": "isp-a",
                "interface": wan_a,
                "address": "203.0.113.10",
                "gateway": "203.0.113.1",
            },
            {
                "name": "isp-b",
                "interface": wan_b,
                "address": "198.51.100.20",
                "gateway": "198.51.100.1",
            },
        ],
    }
    if version is not None:
        device["platform_version"] = version
    return {
        "netgen": 1,
        "account": {"id": ACCOUNT, "product": "magic-wan"},
        "cloudflare": {
            "endpoints": [
                {"name": "cf1", "address": "192.0.2.10"},
                {"name": "cf2", "address": "192.0.2.20"},
            ],
            "interface_pool": ["10.252.0.0/24"],
        },
        "defaults": {"tunnel_type": "ipsec", **defaults},
        "sites": [
            {
                "name": "hq",
                "description": "Headquarters",
                "lan_prefixes": ["10.10.0.0/16"],
                "devices": [device],
            },
            {
                "name": "branch",
                "lan_prefixes": ["10.20.0.0/16", "10.21.0.0/16"],
                "devices": [
                    {
                        "name": "branch-edge1",
                        "vendor": "cisco_iosxe",
                        "wan": [
                            {
                                "name": "isp-a",
                                "interface": "GigabitEthernet1",
                                "address": "203.0.113.50",
                                "gateway": "203.0.113.49",
                            }
                        ],
                    }
                ],
            },
        ],
    }


def _device(inv: dict[str, Any]) -> dict[str, Any]:
    device: dict[str, Any] = inv["sites"][0]["devices"][0]
    return device


def ipsec_dual_isp(vendor: str, version: str | None = None) -> dict[str, Any]:
    return base(vendor, version)


def gre_dual_isp(vendor: str, version: str | None = None) -> dict[str, Any]:
    inv = base(vendor, version)
    inv["defaults"]["tunnel_type"] = "gre"
    return inv


def mixed(vendor: str, version: str | None = None) -> dict[str, Any]:
    """IPsec primary on ISP A (ECMP over both endpoints), GRE backup on ISP B."""
    inv = base(vendor, version)
    _device(inv)["tunnels"] = [
        {
            "name": "hq_a_cf1",
            "wan": "isp-a",
            "endpoint": "cf1",
            "type": "ipsec",
            "priority": 100,
            "description": "HQ ISP A to cf1",
        },
        {"name": "hq_a_cf2", "wan": "isp-a", "endpoint": "cf2", "type": "ipsec", "priority": 100},
        {
            "name": "hq_b_cf1",
            "wan": "isp-b",
            "endpoint": "cf1",
            "type": "gre",
            "priority": 200,
            "interface_address": "10.252.1.0/31",
        },
        {
            "name": "hq_b_cf2",
            "wan": "isp-b",
            "endpoint": "cf2",
            "type": "gre",
            "priority": 200,
            "ttl": 32,
        },
    ]
    return inv


def behind_nat(vendor: str, version: str | None = None) -> dict[str, Any]:
    inv = base(vendor, version)
    _device(inv)["wan"][1]["behind_nat"] = True
    return inv


def custom_crypto(vendor: str, version: str | None = None) -> dict[str, Any]:
    return base(
        vendor,
        version,
        ipsec={
            "crypto": {
                "ike": {
                    "encryption": "aes-256-cbc",
                    "integrity": "sha256",
                    "prf": "sha384",
                    "dh_group": 14,
                },
                "esp": {"encryption": "aes-128-gcm", "pfs_group": 14},
                "ike_lifetime": 28800,
                "child_lifetime": 3600,
            },
            "dpd": {"interval": 20, "timeout": 90},
        },
        replay_protection=True,
    )


def cbc(vendor: str, version: str | None = None) -> dict[str, Any]:
    return base(vendor, version, ipsec={"crypto": "cloudflare-cbc"})


def local_id(kind: str) -> Callable[[str, str | None], dict[str, Any]]:
    def build(vendor: str, version: str | None = None) -> dict[str, Any]:
        inv = base(vendor, version, ipsec={"local_id": kind})
        if kind == "ipv4":  # one link, so every (endpoint, WAN address) pair is unique
            _device(inv)["wan"] = _device(inv)["wan"][:1]
        return inv

    return build


def legacy_hc(vendor: str, version: str | None = None) -> dict[str, Any]:
    return base(
        vendor, version, health_check={"direction": "unidirectional", "target": "172.64.240.253"}
    )


def full_tunnel(vendor: str, version: str | None = None) -> dict[str, Any]:
    """All of the HQ LAN's traffic via Cloudflare (policy-routed default) plus a routed range."""
    inv = base(vendor, version)
    inv["sites"][0]["defaults"] = {"via_cloudflare": ["0.0.0.0/0", "100.96.0.0/12"]}
    return inv


SCENARIOS: dict[str, Callable[[str, str | None], dict[str, Any]]] = {
    "ipsec-dual-isp": ipsec_dual_isp,
    "gre-dual-isp": gre_dual_isp,
    "mixed": mixed,
    "behind-nat": behind_nat,
    "cbc": cbc,
    "custom-crypto": custom_crypto,
    "local-id-user": local_id("user"),
    "local-id-hex": local_id("hex"),
    "local-id-ipv4": local_id("ipv4"),
    "legacy-hc": legacy_hc,
    "full-tunnel": full_tunnel,
}

# what a scenario needs from the vendor profile (skipped where the vendor cannot)
SCENARIO_NEEDS: dict[str, tuple[str, ...]] = {
    "ipsec-dual-isp": ("ipsec", "multi_wan"),
    "gre-dual-isp": ("gre", "multi_wan"),
    "mixed": ("ipsec", "gre", "multi_wan"),
    "behind-nat": ("ipsec", "nat_t", "multi_wan"),
    "cbc": ("ipsec", "multi_wan"),
    "custom-crypto": ("ipsec", "multi_wan", "replay_protection"),
    "local-id-user": ("ipsec", "local_id_user", "multi_wan"),
    "local-id-hex": ("ipsec", "local_id_hex", "multi_wan"),
    "local-id-ipv4": ("ipsec", "local_id_ipv4"),
    "legacy-hc": ("ipsec", "legacy_health_check_target", "multi_wan"),
    "full-tunnel": ("ipsec", "multi_wan", "policy_routing"),
}


# neutral crypto tokens a scenario uses (the vendor's keyword maps must have them)
SCENARIO_KEYWORDS: dict[str, dict[str, tuple[str | int, ...]]] = {
    "custom-crypto": {
        "ike_encryption": ("aes-256-cbc",),
        "ike_prf": ("sha384",),
        "dh_group": (14,),
        "esp_encryption": ("aes-128-gcm",),
        "pfs_group": (14,),
    },
    "cbc": {"ike_encryption": ("aes-256-cbc",), "esp_encryption": ("aes-256-cbc",)},
}


def vendor_can_render(profile: Any, scenario: str) -> bool:
    """Whether a vendor profile has every capability and keyword the scenario needs."""
    if not all(profile.can(c) for c in SCENARIO_NEEDS[scenario]):
        return False
    for table, tokens in SCENARIO_KEYWORDS.get(scenario, {}).items():
        mapping = getattr(profile.keywords, table)
        if not all(t in mapping for t in tokens):
            return False
    return True


def tunnel_id(name: str) -> str:
    """A fake, deterministic 32-hex Cloudflare tunnel id."""
    return hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()


def identities_for(name: str) -> RemoteIdentities:
    tid = tunnel_id(name)
    return RemoteIdentities(
        fqdn_id=f"{tid}.{ACCOUNT}.ipsec.cloudflare.com",
        user_id=f"ipsec@{tid}.{ACCOUNT}.ipsec.cloudflare.com",
        hex_id=f"{ACCOUNT}_{tid}",
    )


def write_inventory(directory: Path, inv: dict[str, Any], *, with_identities: bool = True) -> Path:
    """Write inventory.yaml (and a lock holding fake API identities) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "inventory.yaml"
    path.write_text(yaml.safe_dump(inv, sort_keys=False))
    if with_identities:
        session = api.open_session(path)
        lock = session.allocation.lock
        tunnels = {}
        for name, entry in lock.tunnels.items():
            facts = CloudflareFacts(id=tunnel_id(name), remote_identities=identities_for(name))
            tunnels[name] = entry.model_copy(update={"cloudflare": facts})
        atomic_write(directory / "netgen.lock.yaml", dump_lock(LockFile(tunnels=tunnels)).encode())
    return path


def render_scenario(
    directory: Path, scenario: str, vendor: str, version: str | None = None, **kwargs: Any
) -> dict[str, str]:
    """Render one scenario in memory; returns {path: text} of the scenario device's files."""
    inv = SCENARIOS[scenario](vendor, version)
    path = write_inventory(directory, inv)
    result = api.render(path, None, devices=["hq-edge1"], **kwargs)
    return device_texts(result.files)


def device_texts(files: list[RenderedFile]) -> dict[str, str]:
    return {f.path: f.content.decode() for f in files if f.path.startswith("sites/")}


def import_into(
    session: api.Session, sources: list[tuple[str, bytes]], **kwargs: Any
) -> ImportResult:
    """netgen.state.importer.import_responses for an opened session (no files written)."""
    return import_responses(
        session.loaded.inventory, session.allocation.lock, session.lock, sources, **kwargs
    )
