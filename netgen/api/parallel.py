"""Rendering devices on several cores (``--jobs N``), byte-identical to one core.

The run's inputs (the session, the plan inputs, the previous render) are large; worker
processes are forked after they exist, so each worker reads them from the parent's memory
instead of receiving a copy. The parent hands out contiguous slices of the sorted device list
and takes the results back in the same order (``imap``), so files, MANIFEST.json and the order
of diagnostics are the same as with one core. A device's errors are collected in its worker;
all of them are raised together after the last slice, as in the serial path.

The job a worker renders for and the Jinja environment it renders with are the module-level
references here (:data:`_FORKED`, :data:`_FORKED_ENV`): set just before the pool forks and
cleared after, they are how a forked child finds its parent's objects without pickling them.
Every template is compiled in the parent before the fork, so no worker compiles one again
(compiling them once per slice cost as much as rendering a thousand devices).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from jinja2.sandbox import SandboxedEnvironment

from netgen.core.documents import paused_gc
from netgen.core.errors import Diagnostic, UserError, sort_diagnostics
from netgen.render.environment import RenderedFile, make_environment

if TYPE_CHECKING:
    from netgen.api.render_run import RenderJob

_FORKED: RenderJob | None = None
_FORKED_ENV: SandboxedEnvironment | None = None
SLICES_PER_WORKER = 8
MIN_DEVICES = 64  # below this, forking costs more than it saves


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worth_it(jobs: int, devices: int) -> bool:
    return jobs > 1 and devices >= MIN_DEVICES and "fork" in multiprocessing.get_all_start_methods()


Result = tuple[list[RenderedFile], dict[str, str], list[Diagnostic], int]


def _render_slice(selection: list[tuple[str, str]]) -> Result:
    job, env = _FORKED, _FORKED_ENV
    assert job is not None and env is not None, "forked without a job"
    devices = {(d.site, d.name): d for d in job.inputs.inventory.devices()}
    files: list[RenderedFile] = []
    digests: dict[str, str] = {}
    diags: list[Diagnostic] = []
    with paused_gc():
        for key in selection:
            try:
                found = job.device_files(env, devices[key], digests)
            except UserError as exc:
                diags.extend(exc.diagnostics)
                continue
            if not diags:
                files += found
    return files, digests, diags, len(selection)


def render_parallel(
    job: RenderJob, selection: list[tuple[str, str]], jobs: int
) -> Iterator[RenderedFile]:
    """Every selected device's files, rendered by ``jobs`` forked workers, in order."""
    global _FORKED, _FORKED_ENV
    size = max(1, len(selection) // (jobs * SLICES_PER_WORKER))
    slices = [selection[i : i + size] for i in range(0, len(selection), size)]
    digests: dict[str, str] = job.manifest_header["devices"]
    diags: list[Diagnostic] = []
    done = 0
    env = make_environment(job.session.registry.templates_root)
    for name in env.list_templates(filter_func=lambda n: n.endswith(".j2")):
        env.get_template(name)  # compiled once, before the fork: every worker inherits it
    _FORKED, _FORKED_ENV = job, env
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for files, found, errors, count in pool.imap(_render_slice, slices):
                diags += errors
                digests.update(found)
                done += count
                if not diags:
                    job.count += len(files)
                    yield from files
                if job.progress:
                    job.progress(done, len(selection))
    finally:
        _FORKED, _FORKED_ENV = None, None
    if diags:
        raise UserError(sort_diagnostics(diags))


def selected_devices(job: Any) -> list[tuple[str, str]]:
    """(site, device) of every selected device, in the serial path's order."""
    return [
        (site.name, device.name)
        for site in sorted(job.inputs.inventory.sites, key=lambda s: s.name)
        for device in sorted(site.devices, key=lambda d: d.name)
        if job.keep(site.name, device.name)
    ]
