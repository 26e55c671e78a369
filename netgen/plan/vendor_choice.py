"""The vendor profile and platform version of a device (NG507, NG505 at their lines)."""

from __future__ import annotations

from netgen.core.errors import Diagnostic, UserError
from netgen.inventory.model import Device
from netgen.plan.model import (
    PlanInputs,
)
from netgen.vendors.registry import VendorProfile


def device_vendor(inputs: PlanInputs, device: Device) -> tuple[VendorProfile, str]:
    """The device's vendor profile and platform version (NG507, NG505 at their lines)."""
    vendor = inputs.registry.get(device.vendor)
    if vendor is None:
        raise UserError(
            [
                Diagnostic(
                    "NG507",
                    f"unknown vendor {device.vendor!r}",
                    position=inputs.index.position((*device.path, "vendor")),
                    hint="one of: " + ", ".join(inputs.registry.ids()),
                )
            ]
        )
    version = vendor.resolve_version(device.platform_version)
    if version is None:
        raise UserError(
            [
                Diagnostic(
                    "NG505",
                    f"{vendor.display_name} {device.platform_version} is not supported",
                    position=inputs.index.position((*device.path, "platform_version")),
                    hint="supported: " + ", ".join(vendor.platform_versions),
                )
            ]
        )
    return vendor, version
