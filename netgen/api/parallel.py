"""Rendering and planning devices on several cores (``--jobs N``), byte-identical to one core.

The run's inputs (the session, the plan inputs, the previous render) are large; worker
processes are forked after they exist, so each worker reads them from the parent's memory
instead of receiving a copy. The parent hands out contiguous slices of the sorted device list
and takes the results back, device by device, in the same order (``imap``), so files,
MANIFEST.json and the order of diagnostics are the same as with one core. A device's errors
come back with it; the caller raises them all together after the last device. A render's
API payloads are built meanwhile in a child of their own, forked when the run starts; the
workers are forked once the devices that need rendering are known, and only if there are
enough of them.

Reading an unchanged device back (digest, comparison, file reads) stays in the parent: a
worker is slower at it than the parent, since each object it touches costs it a copied page,
and nothing is saved by shipping the files through a pipe.

A worker's task is the module-level reference here (:data:`_FORKED_TASK`, see
:func:`forked_workers`): set just before the pool forks and cleared after, it is how a forked child
finds its parent's objects (the job, the Jinja environment) without pickling them. Every
template is compiled in the parent before the fork, so no worker compiles one again (compiling
them once per slice cost as much as rendering a thousand devices).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from netgen.core.documents import paused_gc
from netgen.core.errors import Diagnostic
from netgen.core.forking import alongside
from netgen.render.environment import RenderedFile, make_environment

if TYPE_CHECKING:
    from netgen.api.render_run import RenderJob
    from netgen.inventory.model import Device

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


@contextmanager
def payloads_alongside(job: RenderJob, count: int) -> Iterator[Callable[[], list[RenderedFile]]]:
    """What gives the API payloads of ``job``: built from now on in a child of their own
    (:func:`netgen.core.forking.alongside`) when ``count`` selected devices are enough for
    ``job.jobs`` cores, else built when asked."""
    if not worth_it(job.jobs, count):
        yield job.payload_files
        return
    with alongside(job.payload_files) as payloads:
        yield payloads


@contextmanager
def render_workers(job: RenderJob, devices: list[Device]) -> Iterator[Workers | None]:
    """Workers that render ``devices`` of ``job`` (:meth:`Workers.map` over their (site,
    device) keys gives :data:`Rendered` slices); None when they are too few for
    ``job.jobs`` cores (a one-site change renders in the parent, which compiles only the
    templates it uses). Forked once the devices to render are known, after the payloads'
    child and before any pool thread; the templates are compiled before the fork, and the
    parent renders with the same environment."""
    if not worth_it(job.jobs, len(devices)):
        yield None
        return
    env = make_environment(job.session.registry.templates_root)
    for name in env.list_templates(filter_func=lambda n: n.endswith(".j2")):
        env.get_template(name)  # compiled once, before the fork: every worker inherits it
    job.use_environment(env)
    by_key = {(d.site, d.name): d for d in devices}

    def render(keys: list[tuple[str, str]]) -> list[Rendered]:
        return [job.render_device(env, by_key[key]) for key in keys]

    with forked_workers(render, job.jobs) as workers:
        yield workers


class Workers:
    """A pool of forked workers for one task (see :func:`forked_workers`)."""

    def __init__(self, pool: Any, jobs: int) -> None:
        self._pool, self._jobs = pool, jobs

    def map(self, items: list[Any]) -> Iterator[Any]:
        """The task applied to contiguous slices of ``items``, results in order; the slices
        are handed out now, not when the first result is asked for."""
        size = max(1, len(items) // (self._jobs * SLICES_PER_WORKER))
        slices = [items[i : i + size] for i in range(0, len(items), size)]
        return iter(self._pool.imap(_run_task, slices))


_FORKED_TASK: Callable[[list[Any]], Any] | None = None


def _run_task(items: list[Any]) -> Any:
    assert _FORKED_TASK is not None, "forked without a task"
    with paused_gc():
        return _FORKED_TASK(items)


@contextmanager
def forked_workers(task: Callable[[list[Any]], Any], jobs: int) -> Iterator[Workers]:
    """``jobs`` workers forked now, applying ``task`` to the slices :meth:`Workers.map` hands
    out. ``task`` is reached through the fork (never pickled): it may close over the parent's
    objects; only slices and results cross a pipe."""
    global _FORKED_TASK
    _FORKED_TASK = task
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            yield Workers(pool, jobs)
    finally:
        _FORKED_TASK = None


def map_forked(task: Callable[[list[Any]], Any], items: list[Any], jobs: int) -> Iterator[Any]:
    """``task`` applied to contiguous slices of ``items`` by ``jobs`` forked workers, results
    in order."""
    with forked_workers(task, jobs) as workers:
        yield from workers.map(items)


def selected_devices(job: Any) -> list[tuple[str, str]]:
    """(site, device) of every selected device, in the serial path's order."""
    return [
        (site.name, device.name)
        for site in sorted(job.inputs.inventory.sites, key=lambda s: s.name)
        for device in sorted(site.devices, key=lambda d: d.name)
        if job.keep(site.name, device.name)
    ]
