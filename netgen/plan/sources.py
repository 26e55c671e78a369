"""The digest of everything a device's plan is built from, known before the plan is built.

:func:`netgen.plan.build.build_device_plan` reads, for one device: the device and its site
(every field, the other devices of the site included), its tunnels with their resolved
settings, their allocated addresses and device-local numbers, the remote identities the lock
holds for them, the Cloudflare endpoints, the product, the routes to the other sites' LANs,
whether placeholders are allowed, its vendor's profile and templates, and netgen itself.
:func:`source_digest` hashes exactly those, so a render can tell that a device's files would
not change without planning it (``netgen.api.render_run``). Every field of the records is
hashed except where they came from in the inventory (:data:`POSITIONS`: paths used only to
place diagnostics, and a device with a diagnostic is never skipped), so moving a site within
a file or into its own file (``netgen split``) changes no digest. netgen's fingerprint stands
for the code that turns them into a plan.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Final

from netgen.core.cache import fingerprint
from netgen.inventory.model import Device
from netgen.plan.model import PlanInputs

# fields that only say where a value came from in the inventory (for diagnostics); a site's
# other devices are not read by a device's plan
POSITIONS: Final = frozenset({"path", "origins", "via_path"})
_SKIPPED: Final = {"Site": POSITIONS | {"devices"}}


def _fields(value: object, seen: dict[int, object]) -> object:
    """``value`` with every record spelled out as (class name, field values) without
    :data:`POSITIONS`; anything else as it is. ``seen`` holds the records already spelled
    out for this digest by identity (a site's tunnels share one settings record)."""
    kind = type(value)
    names = _NAMES.get(kind)
    if names is None:
        names = _NAMES[kind] = _hashed_fields(kind)
    if names is _LEAF:
        if kind is tuple:
            return tuple([_fields(v, seen) for v in value])  # type: ignore[attr-defined]
        return value
    found = seen.get(id(value))
    if found is None:
        found = seen[id(value)] = (
            kind.__name__,
            *[_fields(getattr(value, n), seen) for n in names],
        )
    return found


def _hashed_fields(kind: type) -> tuple[str, ...]:
    """The fields of a record class that are hashed; :data:`_LEAF` for any other type."""
    if not dataclasses.is_dataclass(kind):
        return _LEAF
    skip = _SKIPPED.get(kind.__name__, POSITIONS)
    return tuple(f.name for f in dataclasses.fields(kind) if f.name not in skip)


_LEAF: Final[tuple[str, ...]] = ("<leaf>",)  # a value hashed as it is (tuples: item by item)
_NAMES: dict[type, tuple[str, ...]] = {}  # the hashed fields of each type (cached)


def source_digest(inputs: PlanInputs, device: Device, vendor_digest: str) -> str:
    """The digest of ``device``'s plan inputs (see the module docstring)."""
    inventory, allocation = inputs.inventory, inputs.allocation
    parts: list[object] = [
        fingerprint(),
        vendor_digest,
        inputs.allow_placeholders,
        inventory.product,
        inventory.endpoints,
        inputs.sites[device.site],
        device,
        inputs.remote_routes.get(device.site, ()),
    ]
    for name in device.tunnels:
        assignment = allocation.assignments.get(name)
        entry = allocation.lock.tunnels.get(name)
        facts = entry.cloudflare if entry is not None else None
        ids = facts.remote_identities if facts is not None else None
        parts += [
            inventory.tunnels.get(name),
            None if assignment is None else (assignment.interface_address, assignment.index),
            None if ids is None else (ids.fqdn_id, ids.user_id, ids.hex_id),
        ]
    text = repr(_fields(tuple(parts), {}))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
