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
    problems = [
        Diagnostic(
            "NG704",
            # the encoder names the offending characters or the length, never the value
            f"the PSK of tunnel {t.name} {problem} (value not shown)",
            hint=f"choose a PSK without those characters for {vendor.display_name} "
            "(`netgen secrets generate` makes one), or use a vendor that carries them",
        )
        for t in plan.tunnels
        if t.ipsec is not None
        and t.name in psks
        and (problem := vendor.encode_problem("psk", psks[t.name]))
    ]
    if problems:
        raise UserError(problems)
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
