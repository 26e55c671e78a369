"""Settling and planning devices on several cores (``--jobs N``), byte-identical to one core.

The run's inputs (the session, the plan inputs, the previous render) are large; worker
processes are forked after they exist, so each worker reads them from the parent's memory
instead of receiving a copy. The parent hands out contiguous slices of the sorted device list
and takes the results back, device by device, in the same order (``imap``), so files,
MANIFEST.json and the order of diagnostics are the same as with one core. A device's errors
come back with it; the caller raises them all together after the last device. A side task
(a render's API payloads) runs in one worker alongside the slices.

A worker's task is the module-level reference here (:data:`_FORKED_TASK`, see
:func:`map_forked`): set just before the pool forks and cleared after, it is how a forked child
finds its parent's objects (the job, the Jinja environment) without pickling them. Every
template is compiled in the parent before the fork, so no worker compiles one again (compiling
them once per slice cost as much as rendering a thousand devices).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netgen.core.documents import paused_gc
from netgen.core.errors import Diagnostic
from netgen.render.environment import RenderedFile, make_environment

if TYPE_CHECKING:
    from netgen.api.render_run import RenderJob

SLICES_PER_WORKER = 8
MIN_DEVICES = 64  # below this, forking costs more than it saves


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worth_it(jobs: int, devices: int) -> bool:
    return jobs > 1 and devices >= MIN_DEVICES and "fork" in multiprocessing.get_all_start_methods()


# one device's outcome: (site, device), its files, its problems, its source digest
Rendered = tuple[tuple[str, str], list[RenderedFile], list[Diagnostic], str | None]


def render_parallel(
    job: RenderJob,
    selection: list[tuple[str, str]],
    jobs: int,
    payloads: Callable[[list[RenderedFile]], object],
) -> Iterator[Rendered]:
    """Every selected device settled (read back or rendered, :meth:`RenderJob.settle`) by
    ``jobs`` forked workers, in ``selection``'s order; one worker builds the API payloads
    meanwhile, handed to ``payloads`` after the last device."""
    env = make_environment(job.session.registry.templates_root)
    for name in env.list_templates(filter_func=lambda n: n.endswith(".j2")):
        env.get_template(name)  # compiled once, before the fork: every worker inherits it
    devices = {(d.site, d.name): d for d in job.inputs.inventory.devices()}

    def settle(keys: list[tuple[str, str]]) -> list[Rendered]:
        return [job.settle(lambda: env, devices[key]) for key in keys]

    for result in map_forked(settle, selection, jobs, side=job.payload_files):
        if isinstance(result, Side):
            payloads(result.value)
        else:
            yield from result


@dataclass(frozen=True)
class Side:
    """The result of :func:`map_forked`'s ``side`` task."""

    value: Any


_FORKED_TASK: Callable[[list[Any]], Any] | None = None
_FORKED_SIDE: Callable[[], Any] | None = None


def _run_task(items: list[Any]) -> Any:
    assert _FORKED_TASK is not None, "forked without a task"
    with paused_gc():
        return _FORKED_TASK(items)


def _run_side() -> Side:
    assert _FORKED_SIDE is not None, "forked without a side task"
    with paused_gc():
        return Side(_FORKED_SIDE())


def map_forked(
    task: Callable[[list[Any]], Any],
    items: list[Any],
    jobs: int,
    side: Callable[[], Any] | None = None,
) -> Iterator[Any]:
    """``task`` applied to contiguous slices of ``items`` by ``jobs`` forked workers, results
    in order. ``task`` is reached through the fork (never pickled): it may close over the
    parent's objects; only the slices and the results cross a pipe. ``side``, if given, runs
    once in a worker alongside the slices (handed out first, so it overlaps them); its result
    comes last, as a :class:`Side`."""
    global _FORKED_TASK, _FORKED_SIDE
    size = max(1, len(items) // (jobs * SLICES_PER_WORKER))
    slices = [items[i : i + size] for i in range(0, len(items), size)]
    _FORKED_TASK, _FORKED_SIDE = task, side
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            pending = pool.apply_async(_run_side) if side is not None else None
            yield from pool.imap(_run_task, slices)
            if pending is not None:
                yield pending.get()
    finally:
        _FORKED_TASK = _FORKED_SIDE = None


def selected_devices(job: Any) -> list[tuple[str, str]]:
    """(site, device) of every selected device, in the serial path's order."""
    return [
        (site.name, device.name)
        for site in sorted(job.inputs.inventory.sites, key=lambda s: s.name)
        for device in sorted(site.devices, key=lambda d: d.name)
        if job.keep(site.name, device.name)
    ]
