"""Real PSKs into a finished plan, only for `render --reveal-secrets`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from netgen.core.errors import Diagnostic, UserError
from netgen.plan.model import (
    DevicePlan,
)
from netgen.vendors.registry import VendorProfile


def reveal_psks(plan: DevicePlan, psks: Mapping[str, str], vendor: VendorProfile) -> DevicePlan:
    """The plan with real PSKs where known (only for `render --reveal-secrets`).

    Plans are built with placeholders, so nothing derived from a plan (its digest, logs,
    errors) ever depends on a secret; PSKs are put in at the last moment, each through the
    vendor's ``psk`` encoder (a PSK it cannot print is NG704; the value is never shown).
    """
    bad = [
        t.name
        for t in plan.tunnels
        if t.ipsec is not None and t.name in psks and vendor.encode_problem("psk", psks[t.name])
    ]
    if bad:
        raise UserError(
            [
                Diagnostic(
                    "NG704",
                    f"the PSK of tunnel {name} cannot be printed in a {vendor.display_name} "
                    "config (value not shown)",
                    hint="use only letters, digits and . _ + = / @ : % - (netgen secrets "
                    "generate makes one)",
                )
                for name in bad
            ]
        )
    tunnels = tuple(
        dataclasses.replace(
            t, ipsec=dataclasses.replace(t.ipsec, psk=psks[t.name], psk_placeholder=False)
        )
        if t.ipsec is not None and t.name in psks
        else t
        for t in plan.tunnels
    )
    revealed = any(t.ipsec is not None and not t.ipsec.psk_placeholder for t in tunnels)
    return dataclasses.replace(plan, tunnels=tunnels, secrets_revealed=revealed)
