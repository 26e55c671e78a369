"""`vendors` and `lint`: the vendor registry's summary, and configs checked against
Cloudflare's rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netgen import lint
from netgen.api.session import open_session
from netgen.core.documents import read_bytes
from netgen.core.errors import Diagnostic, UsageError, UserError
from netgen.vendors.registry import VendorProfile, load_registry

# -- vendors -------------------------------------------------------------------------------


def vendors() -> list[dict[str, Any]]:
    """The registry as plain data."""
    reg = load_registry()
    return [
        {
            "id": v.id,
            "name": v.display_name,
            "versions": v.platform_versions,
            "default_version": v.default_version,
            "tested_versions": v.tested_versions,
            "capabilities": sorted(v.capabilities),
            "outputs": [o.filename for o in v.outputs],
            "remediation": v.remediation.engine,
        }
        for v in (reg.vendors[i] for i in reg.ids())
    ]


# -- lint ------------------------------------------------------------------------------------


def lint_configs(
    configs: list[str | Path], vendor: str, inventory: str | Path | None = None
) -> Any:
    """Check router configs (rendered or hand-written) against Cloudflare's rules.

    With ``inventory``, each tunnel is also checked against the plan (endpoint, identity,
    the customer side of its /31). Returns a :class:`netgen.lint.LintResult`.
    """

    profile = _lintable_vendor(vendor)
    sources = []
    for c in configs:
        raw = read_bytes(Path(c))
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            raise UserError.single("NG101", "not a UTF-8 text file", file=c) from None
        sources.append(lint.Source(str(c), text))
    expectations = None
    if inventory is not None:
        session = open_session(inventory)
        expectations = lint.expectations_for(session.loaded.inventory, session.allocation)
    return lint.lint(sources, profile, expectations)


def _lintable_vendor(vendor: str) -> VendorProfile:
    """The profile of ``vendor``; NG507 if unknown, NG509 (exit 2) if lint does not cover it."""
    registry = load_registry()
    profile = registry.get(vendor)
    covered = [v for v in registry.ids() if registry.vendors[v].lint is not None]
    if profile is None:
        raise UserError(
            [
                Diagnostic(
                    "NG507",
                    f"unknown vendor {vendor!r} for lint",
                    hint="one of: " + ", ".join(covered),
                )
            ]
        )
    if profile.lint is None:
        raise UsageError(
            [
                Diagnostic(
                    "NG509",
                    f"netgen lint does not cover {profile.display_name} ({vendor}): its vendor "
                    "profile has no lint section",
                    hint="lint covers: " + ", ".join(covered),
                )
            ]
        )
    return profile
