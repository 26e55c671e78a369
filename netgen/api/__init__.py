"""The library interface: small functions that take paths or plain data and return typed
results. The CLI is a thin layer over them; nothing here prints or exits. Wrong inputs raise
:class:`~netgen.core.errors.UserError` carrying every diagnostic.

- :mod:`.session`: open an inventory (inventory, lock, allocation, vendors) and plan devices
- :mod:`.planning`: ``validate`` and ``plan``
- :mod:`.rendering`: ``render`` (and ``--check``)
- :mod:`.state`: ``import`` of API responses and the secrets store
- :mod:`.linting`: ``vendors`` and ``lint``
- :mod:`.cloud`: ``pull`` and ``apply`` against the live account (the cloudflare SDK)
- :mod:`.handoff_packets`: ``handoff`` packets for field technicians
- :mod:`.diffing`, :mod:`.running_diff`: ``diff`` (revisions, directories, running configs)
  with remediation
- :mod:`.editor`: ``init``, ``schema`` and ``split`` (an inventory file into a directory)

Each name is loaded from its module on first use (:pep:`562`), so a command imports what it
runs and nothing else: ``netgen validate`` never loads the SDK, the linters, hier_config or
the handoff page. The imports are declared below for the type checker and import-linter,
which see them as ordinary imports; :data:`_HOMES` says where each name lives at run time
(tests/unit/test_api_facade.py keeps the two lists the same).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netgen.api.cloud import ApplyResult, PullResult, apply, pull
    from netgen.api.diffing import DiffResult, diff_directories, diff_revisions
    from netgen.api.editor import SplitResult, init_project, schema_text, split_inventory
    from netgen.api.handoff_packets import HandoffResult, handoff
    from netgen.api.linting import lint_configs, vendors
    from netgen.api.planning import PlanResult, ValidateResult, plan, validate
    from netgen.api.rendering import RenderJob, RenderResult, render, render_files, render_job
    from netgen.api.running_diff import diff_running, write_device_files
    from netgen.api.session import (
        Session,
        check_state_files,
        device_plans,
        iter_device_plans,
        open_session,
        plan_inputs,
        write_lock_file,
    )
    from netgen.api.state import (
        ImportSummary,
        SecretsListing,
        import_responses,
        resolve_secrets,
        secrets_generate,
        secrets_list,
        secrets_set,
    )

_HOMES = {
    "ApplyResult": "cloud",
    "DiffResult": "diffing",
    "HandoffResult": "handoff_packets",
    "ImportSummary": "state",
    "PlanResult": "planning",
    "PullResult": "cloud",
    "RenderJob": "rendering",
    "RenderResult": "rendering",
    "SecretsListing": "state",
    "Session": "session",
    "SplitResult": "editor",
    "ValidateResult": "planning",
    "apply": "cloud",
    "check_state_files": "session",
    "device_plans": "session",
    "diff_directories": "diffing",
    "diff_revisions": "diffing",
    "diff_running": "running_diff",
    "handoff": "handoff_packets",
    "import_responses": "state",
    "init_project": "editor",
    "iter_device_plans": "session",
    "lint_configs": "linting",
    "open_session": "session",
    "plan": "planning",
    "plan_inputs": "session",
    "pull": "cloud",
    "render": "rendering",
    "render_files": "rendering",
    "render_job": "rendering",
    "resolve_secrets": "state",
    "schema_text": "editor",
    "secrets_generate": "state",
    "secrets_list": "state",
    "secrets_set": "state",
    "split_inventory": "editor",
    "validate": "planning",
    "vendors": "linting",
    "write_device_files": "running_diff",
    "write_lock_file": "session",
}


def __getattr__(name: str) -> object:
    """``name`` from its module, imported now (and kept, so this runs once per name)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


__all__ = [
    "ApplyResult",
    "DiffResult",
    "HandoffResult",
    "ImportSummary",
    "PlanResult",
    "PullResult",
    "RenderJob",
    "RenderResult",
    "SecretsListing",
    "Session",
    "SplitResult",
    "ValidateResult",
    "apply",
    "check_state_files",
    "device_plans",
    "diff_directories",
    "diff_revisions",
    "diff_running",
    "handoff",
    "import_responses",
    "init_project",
    "iter_device_plans",
    "lint_configs",
    "open_session",
    "plan",
    "plan_inputs",
    "pull",
    "render",
    "render_files",
    "render_job",
    "resolve_secrets",
    "schema_text",
    "secrets_generate",
    "secrets_list",
    "secrets_set",
    "split_inventory",
    "validate",
    "vendors",
    "write_device_files",
    "write_lock_file",
]
