"""The digest of everything a device's plan is built from, known before the plan is built.

:func:`netgen.plan.build.build_device_plan` reads, for one device: the device and its site
(every field, the other devices of the site included), its tunnels with their resolved
settings, their allocated addresses and device-local numbers, the remote identities the lock
holds for them, the Cloudflare endpoints, the product, the routes to the other sites' LANs,
whether placeholders are allowed, its vendor's profile and templates, and netgen itself.
:func:`source_digest` hashes exactly those, so a render can tell that a device's files would
not change without planning it (``netgen.api.render_run``). Whatever is hashed is written with
``repr``, which spells out every field of the frozen records; netgen's fingerprint stands for
the code that turns them into a plan.
"""

from __future__ import annotations

import hashlib

from netgen.core.cache import fingerprint
from netgen.inventory.model import Device
from netgen.plan.model import PlanInputs


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
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()
