"""The digest of everything a device's plan is built from, known before the plan is built.

:func:`netgen.plan.build.build_device_plan` reads, for one device: the device and its site
(every field but its list of devices: the site's other devices are not read), its tunnels
with their resolved settings, their allocated addresses and device-local numbers, the remote
identities the lock holds for them, the Cloudflare endpoints, the product, the routes to the
other sites' LANs, whether placeholders are allowed, its vendor's profile and templates, and
netgen itself.
:class:`SourceDigester` hashes exactly those, so a render can tell that a device's files would
not change without planning it (``netgen.api.render_run``). Every field of the records is
hashed except where they came from in the inventory (:data:`POSITIONS`: paths used only to
place diagnostics, and a device with a diagnostic is never skipped), so moving a site within
a file or into its own file (``netgen split``) changes no digest. netgen's fingerprint stands
for the code that turns them into a plan.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Final

from netgen import __version__
from netgen.core.cache import fingerprint
from netgen.inventory.model import Device
from netgen.plan.model import PlanInputs
from netgen.vendors.registry import Registry, VendorProfile

# fields that only say where a value came from in the inventory (for diagnostics); a site's
# other devices are not read by a device's plan
POSITIONS: Final = frozenset({"path", "origins", "via_path"})
_SKIPPED: Final = {"Site": POSITIONS | {"devices"}}


def _text(value: object, memo: dict[int, tuple[str, object]]) -> str:
    """``value`` spelled out: each record as its class name and field values without
    :data:`POSITIONS`, tuples item by item, anything else as its ``repr``. ``memo`` holds the
    text of records and tuples already spelled out, by identity, with the value itself so its
    id is not reused (a site's tunnels share one settings record; every site shares the
    route texts). No text holds a raw newline (strings are written as their ``repr``)."""
    kind = type(value)
    if kind in _SCALARS:
        return repr(value)
    found = memo.get(id(value))
    if found is not None:
        return found[0]
    names = _NAMES.get(kind)
    if names is None:
        names = _NAMES[kind] = _hashed_fields(kind)
    if names is not _LEAF:
        items = [getattr(value, n) for n in names]
    elif kind is tuple or kind is list:
        items = value  # type: ignore[assignment]
    else:
        out = repr(value)
        memo[id(value)] = (out, value)
        return out
    texts = [repr(v) if type(v) in _SCALARS else _text(v, memo) for v in items]
    out = f"{kind.__name__}({', '.join(texts)})" if names is not _LEAF else f"[{', '.join(texts)}]"
    memo[id(value)] = (out, value)
    return out


def _hashed_fields(kind: type) -> tuple[str, ...]:
    """The fields of a record class that are hashed; :data:`_LEAF` for any other type."""
    if not dataclasses.is_dataclass(kind):
        return _LEAF
    skip = _SKIPPED.get(kind.__name__, POSITIONS)
    return tuple(f.name for f in dataclasses.fields(kind) if f.name not in skip)


_SCALARS: Final = frozenset({str, int, bool, type(None)})
_LEAF: Final[tuple[str, ...]] = ("<leaf>",)  # a value hashed as it is (tuples: item by item)
_NAMES: dict[type, tuple[str, ...]] = {}  # the hashed fields of each type (cached)


class SourceDigester:
    """The source digests of one run's devices (see the module docstring). What every device
    shares (netgen, the product, the endpoints, the flags) is hashed once, each vendor's
    profile and templates once, and the route texts every site shares are spelled out once."""

    def __init__(self, inputs: PlanInputs) -> None:
        self._inputs = inputs
        inventory = inputs.inventory
        shared = (fingerprint(), inputs.allow_placeholders, inventory.product, inventory.endpoints)
        self._base = hashlib.sha256(_text(shared, {}).encode("utf-8", "surrogatepass") + b"\n")
        self._routes: dict[int, tuple[str, object]] = {}
        self._vendors: dict[str, str] = {}

    def __call__(self, device: Device) -> str | None:
        """The digest of ``device``'s plan inputs; None for a vendor the registry does not
        know (planning the device reports it)."""
        inputs, allocation = self._inputs, self._inputs.allocation
        vendor = inputs.registry.vendors.get(device.vendor)
        if vendor is None:
            return None
        if vendor.id not in self._vendors:
            self._vendors[vendor.id] = vendor_digest(inputs.registry, vendor)
        memo: dict[int, tuple[str, object]] = {}
        parts: list[object] = [self._vendors[vendor.id], inputs.sites[device.site], device]
        for name in device.tunnels:
            assignment = allocation.assignments.get(name)
            entry = allocation.lock.tunnels.get(name)
            facts = entry.cloudflare if entry is not None else None
            ids = facts.remote_identities if facts is not None else None
            parts += [
                inputs.inventory.tunnels.get(name),
                None if assignment is None else (assignment.interface_address, assignment.index),
                None if ids is None else (ids.fqdn_id, ids.user_id, ids.hex_id),
            ]
        routes = _text(inputs.remote_routes.get(device.site, ()), self._routes)
        text = "\n".join([_text(tuple(parts), memo), routes])
        digest = self._base.copy()
        digest.update(text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()


def vendor_digest(registry: Registry, vendor: VendorProfile) -> str:
    """The vendor's profile and every template it can include (its own and the common ones)."""
    h = hashlib.sha256(__version__.encode() + b"\0")
    if vendor.path:
        h.update(Path(vendor.path).read_bytes())
    for directory in (registry.templates_root / vendor.id, registry.templates_root / "common"):
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                h.update(path.relative_to(registry.templates_root).as_posix().encode() + b"\0")
                h.update(path.read_bytes() + b"\0")
    return h.hexdigest()
