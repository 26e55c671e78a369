"""The IKE identity a router sends for a tunnel: one derivation for the planner and lint."""

from __future__ import annotations

from netgen.inventory.model import Tunnel, WanLink
from netgen.state.lock import LockFile

ID_FIELDS = {"fqdn": "fqdn_id", "user": "user_id", "hex": "hex_id"}


PLACEHOLDER_IDS = {
    "fqdn": "fqdn-id-pending.{slug}.invalid",
    "user": "ipsec@user-id-pending.{slug}.invalid",
    "hex": "hex-id-pending-{slug}",
}


def lock_identity(lock: LockFile, tunnel: str, kind: str) -> str | None:
    """The remote identity Cloudflare reported for ``tunnel`` (imported into the lock)."""
    entry = lock.tunnels.get(tunnel)
    if entry is None or entry.cloudflare is None or entry.cloudflare.remote_identities is None:
        return None
    value: str | None = getattr(entry.cloudflare.remote_identities, ID_FIELDS[kind])
    return value


def local_identity(lock: LockFile, tunnel: Tunnel, link: WanLink | None) -> str | None:
    """The IKE identity the router sends for ``tunnel`` (before the vendor's formatting): its
    WAN address for ``local_id: ipv4``, else the identity Cloudflare reported (imported into
    the lock), or None while it is not imported. The one derivation (planner and lint)."""
    kind = tunnel.settings.ipsec.local_id
    if kind == "ipv4":
        return str(link.address) if link is not None else None
    return lock_identity(lock, tunnel.name, kind)
