"""One rendering run: the devices' files one at a time (fresh, or read back when their
inputs did not change), the API payloads, and the in-memory form of a whole render."""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from netgen import __version__
from netgen.api.parallel import (
    Rendered,
    payloads_alongside,
    render_workers,
    selected_devices,
)
from netgen.api.session import (
    Session,
    plan_inputs,
)
from netgen.cloudflare.payloads import build_payloads
from netgen.core.documents import paused_gc
from netgen.core.errors import Diagnostic, UserError, sort_diagnostics
from netgen.core.progress import Progress
from netgen.inventory.model import Device
from netgen.plan.build import build_device_plan
from netgen.plan.model import PlanInputs
from netgen.plan.reveal import reveal_psks
from netgen.plan.sources import SourceDigester
from netgen.render.environment import RenderedFile, make_environment, render_with_digest
from netgen.render.incremental import (
    NOTHING,
    Previous,
    device_key,
    previous_render,
)
from netgen.render.output import (
    json_lines_array,
    manifest_file,
)
from netgen.render.output_dir import (
    read_nofollow,
)

# -- render --------------------------------------------------------------------------------


@dataclass
class RenderResult:
    files: list[RenderedFile]
    out_dir: Path | None
    written: bool
    drift: list[tuple[str, str]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    lock_written: bool = False
    # MANIFEST entries of a streamed write (files then holds no contents)
    entries: list[dict[str, Any]] = field(default_factory=list)
    # files compared by a streamed --check
    checked: int = 0

    def manifest(self) -> list[dict[str, Any]]:
        """Path, sha256, size and secret mark of every file (MANIFEST.json included)."""
        if self.entries:
            return self.entries
        return [
            {
                "path": f.path,
                "sha256": hashlib.sha256(f.content).hexdigest(),
                "size": len(f.content),
                "secret": f.secret,
            }
            for f in self.files
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir) if self.out_dir else None,
            "written": self.written,
            "files": self.manifest(),
            "drift": [{"path": p, "change": c} for p, c in self.drift],
            "lock_written": self.lock_written,
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


@dataclass
class RenderJob:
    """One rendering run: the files come from :meth:`files` one device at a time, so a fleet
    is never held in memory at once; the manifest header is known up front."""

    session: Session
    inputs: PlanInputs
    keep: Callable[[str, str], bool]
    manifest_header: dict[str, Any]
    progress: Progress | None = None
    # the previous render of the output directory: devices whose inputs did not change are
    # read back from there instead of rendered (see netgen.render.incremental)
    previous: Previous = NOTHING
    source: Path | None = None
    count: int = 0  # files yielded so far (device files and payloads)
    jobs: int = 1  # worker processes (netgen.api.parallel)
    _source_digests: SourceDigester = field(init=False)
    _digests: dict[tuple[str, str], str | None] = field(init=False, default_factory=dict)
    _env: SandboxedEnvironment | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._source_digests = SourceDigester(self.inputs)

    def digest(self, device: Device) -> str | None:
        """The device's source digest (None: an unknown vendor, planning reports it)."""
        key = (device.site, device.name)
        if key not in self._digests:
            self._digests[key] = self._source_digests(device)
        return self._digests[key]

    def render_device(self, env: SandboxedEnvironment, device: Device) -> Rendered:
        """One device planned and rendered: its files or its problems, and its digest."""
        key, digest = (device.site, device.name), self.digest(device)
        try:
            plan = build_device_plan(self.inputs, device)
            vendor = self.session.registry.vendors[plan.vendor]
            reveal = self.inputs.reveal_secrets and bool(self.inputs.psks)
            revealed = reveal_psks(plan, self.inputs.psks, vendor) if reveal else None
            return key, render_with_digest(env, vendor, plan, revealed), [], digest
        except UserError as exc:
            return key, [], list(exc.diagnostics), digest

    def settle(self, device: Device, entries: list[dict[str, Any]]) -> Rendered:
        """One device whose source digest is the one recorded in the previous render (its
        MANIFEST ``entries``, :meth:`_reusable`): its files read back if they are still
        exactly what MANIFEST.json says (a hand edit shows as a mismatch), else planned and
        rendered here."""
        found = _read_back(self.source, entries) if self.source else None
        if found is not None:
            return (device.site, device.name), found, [], self.digest(device)
        return self.render_device(self._environment(), device)

    def _reusable(self, device: Device) -> list[dict[str, Any]] | None:
        """The device's MANIFEST entries in the previous render, if its source digest is the
        one recorded there (never when PSKs are revealed)."""
        if self.source is None or not self.previous.digests or self.revealing:
            return None
        digest = self.digest(device)
        if digest is None:
            return None
        return self.previous.reusable(device_key(device.site, device.name), digest)

    @property
    def revealing(self) -> bool:
        """PSKs are written into the files: nothing is read back (or carried into another
        render)."""
        return self.inputs.reveal_secrets and bool(self.inputs.psks)

    def use_environment(self, env: SandboxedEnvironment) -> None:
        """Render with ``env`` here too (the workers' environment, compiled before the fork)."""
        self._env = env

    def _environment(self) -> SandboxedEnvironment:
        if self._env is None:
            self._env = make_environment(self.session.registry.templates_root)
        return self._env

    def payload_files(self) -> list[RenderedFile]:
        """The API payloads (``cloudflare/*.json``)."""
        payloads = build_payloads(self.inputs.inventory, self.session.allocation)
        return [
            RenderedFile(f"cloudflare/{kind}.json", json_lines_array(payloads[kind]))
            for kind in ("gre_tunnels", "ipsec_tunnels", "routes")
        ]

    def files(self) -> Iterator[RenderedFile]:
        """Every selected device's files, then the API payloads (not MANIFEST.json).

        The devices whose inputs did not change are read back from the previous output here
        (:meth:`settle`); the others are planned and rendered on ``jobs`` cores when there are
        enough devices, and a child builds the payloads meanwhile. Every device's errors are
        collected and raised together after the last one (writers stage their output, so
        nothing lands).
        """
        digests: dict[str, str] = {}
        self.manifest_header["devices"] = digests  # complete once every file was yielded
        selection = selected_devices(self)
        diags: list[Diagnostic] = []
        with payloads_alongside(self, len(selection)) as payloads, paused_gc():
            for done, (key, files, errors, digest) in enumerate(self._settled(selection), 1):
                if digest is not None:
                    digests[device_key(*key)] = digest
                diags += errors
                if not diags:
                    self.count += len(files)
                    yield from files
                if self.progress:
                    self.progress(done, len(selection))
            built = [] if diags else payloads()
        if diags:
            raise UserError(sort_diagnostics(diags))
        for file in built:
            self.count += 1
            yield file

    def _settled(self, selection: list[tuple[str, str]]) -> Iterator[Rendered]:
        """Each selected device settled, in order: those whose digest is the recorded one
        read back here (or rendered here after a hand edit), the others rendered by workers
        forked for them when there are enough (known before any is rendered, so they are
        handed out at once), else here."""
        devices = {(d.site, d.name): d for d in self.inputs.inventory.devices()}
        kept = {
            key: entries
            for key in selection
            if (entries := self._reusable(devices[key])) is not None
        }
        fresh = [key for key in selection if key not in kept]
        with render_workers(self, [devices[key] for key in fresh]) as workers:
            rendered: Iterator[Rendered] = (
                itertools.chain.from_iterable(workers.map(fresh))
                if workers is not None
                else (self.render_device(self._environment(), devices[key]) for key in fresh)
            )
            for key in selection:
                if key in kept:
                    yield self.settle(devices[key], kept[key])
                else:
                    done = next(rendered)
                    assert done[0] == key, "devices came back out of order"
                    yield done


def _read_back(source: Path, entries: list[dict[str, Any]]) -> list[RenderedFile] | None:
    """A device's files from the previous output, if each is still exactly what MANIFEST.json
    says was written (a hand edit makes the device render again)."""
    out = []
    for entry in entries:
        if entry.get("secret"):
            return None  # never carry revealed PSKs into another render
        try:
            data = read_nofollow(source / str(entry["path"]))
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            return None
        path = source / str(entry["path"])
        out.append(RenderedFile(str(entry["path"]), data, False, os.access(path, os.X_OK), path))
    return out


def render_job(
    session: Session,
    *,
    sites: Iterable[str] = (),
    devices: Iterable[str] = (),
    psks: dict[str, str] | None = None,
    reveal_secrets: bool = False,
    allow_placeholders: bool = False,
    progress: Progress | None = None,
    previous_output: Path | None = None,
    jobs: int = 1,
) -> RenderJob:
    site_set, device_set = set(sites), set(devices)
    _check_filters(session, site_set, device_set)
    inputs = plan_inputs(
        session, psks=psks, reveal_secrets=reveal_secrets, allow_placeholders=allow_placeholders
    )

    def keep(site: str, device: str) -> bool:
        return (not site_set or site in site_set) and (not device_set or device in device_set)

    header = {
        "netgen": __version__,
        "inputs": {
            "inventory": {"path": session.path.name, "sha256": session.loaded.inventory.digest},
            "lock": {
                "path": session.lock_path.name,
                "sha256": session.lock_digest,
            },
        },
    }
    previous = previous_render(previous_output)
    return RenderJob(session, inputs, keep, header, progress, previous, previous_output, jobs=jobs)


def render_files(
    session: Session,
    *,
    sites: Iterable[str] = (),
    devices: Iterable[str] = (),
    psks: dict[str, str] | None = None,
    reveal_secrets: bool = False,
    allow_placeholders: bool = False,
    progress: Progress | None = None,
    jobs: int = 1,
) -> list[RenderedFile]:
    """Render every selected device, the API payloads and MANIFEST.json, in memory."""
    job = render_job(
        session,
        sites=sites,
        devices=devices,
        psks=psks,
        reveal_secrets=reveal_secrets,
        allow_placeholders=allow_placeholders,
        progress=progress,
        jobs=jobs,
    )
    files = list(job.files())
    files.append(manifest_file(files, job.manifest_header))
    files.sort(key=lambda f: f.path)
    return files


def _check_filters(session: Session, sites: set[str], devices: set[str]) -> None:
    inv = session.loaded.inventory
    known_sites = {s.name for s in inv.sites}
    known_devices = {d.name for d in inv.devices()}
    diags = [
        Diagnostic(
            "NG508",
            f"--site {s!r} matches no site",
            hint="sites: " + ", ".join(sorted(known_sites)),
        )
        for s in sorted(sites - known_sites)
    ]
    diags += [
        Diagnostic(
            "NG508",
            f"--device {d!r} matches no device",
            hint="devices: " + ", ".join(sorted(known_devices)),
        )
        for d in sorted(devices - known_devices)
    ]
    if diags:
        raise UserError(diags)
