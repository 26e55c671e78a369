"""The library interface: small functions that take paths or plain data and return typed
results. The CLI is a thin layer over them; nothing here prints or exits. Wrong inputs raise
:class:`~netgen.core.errors.UserError` carrying every diagnostic.

- :mod:`.session`: open an inventory (inventory, lock, allocation, vendors) and plan devices
- :mod:`.planning`: ``validate`` and ``plan``
- :mod:`.rendering`: ``render`` (and ``--check``)
- :mod:`.state`: ``import`` of API responses and the secrets store
- :mod:`.linting`: ``vendors`` and ``lint``
- :mod:`.cloud`: ``pull`` and ``apply`` against the live account (the cloudflare SDK)
- :mod:`.handoff`: ``handoff`` packets for field technicians
- :mod:`.diffing`: ``diff`` (revisions, directories, running configs) with remediation
- :mod:`.editor`: ``init``, ``schema`` and ``split`` (an inventory file into a directory)
"""

from netgen.api.cloud import ApplyResult, PullResult, apply, pull
from netgen.api.diff_running import diff_running, write_device_files
from netgen.api.diffing import DiffResult, diff_directories, diff_revisions
from netgen.api.editor import SplitResult, split_inventory
from netgen.api.handoff import HandoffResult, handoff
from netgen.api.linting import lint_configs, vendors
from netgen.api.planning import PlanResult, ValidateResult, plan, validate
from netgen.api.rendering import RenderJob, RenderResult, render, render_files, render_job
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
    "secrets_generate",
    "secrets_list",
    "secrets_set",
    "split_inventory",
    "validate",
    "vendors",
    "write_device_files",
    "write_lock_file",
]
