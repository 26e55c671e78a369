"""One rendering run: the devices' files one at a time (fresh, or read back when their
inputs did not change), the API payloads, and the in-memory form of a whole render."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from netgen import __version__
from netgen.api.parallel import render_parallel, selected_devices, worth_it
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
from netgen.render.environment import RenderedFile, make_environment, render_with_digest
from netgen.render.incremental import (
    NOTHING,
    Previous,
    SourceDigests,
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
    _source_digests: SourceDigests = field(init=False)

    def __post_init__(self) -> None:
        self._source_digests = SourceDigests(self.inputs)

    def device_files(
        self, env: SandboxedEnvironment, device: Device, digests: dict[str, str]
    ) -> list[RenderedFile]:
        """One device's files: read back from the previous output when nothing its plan is
        built from changed (:func:`netgen.plan.sources.source_digest`), else planned and
        rendered (raises UserError with the device's problems); its digest goes into
        ``digests``."""
        inputs = self.inputs
        key = device_key(device.site, device.name)
        reveal = inputs.reveal_secrets and bool(inputs.psks)
        digest = self._source_digests(device)  # None: an unknown vendor, planning reports it
        kept = None if reveal or digest is None else self._unchanged(key, digest)
        if kept is not None and digest is not None:
            digests[key] = digest
            return kept
        plan = build_device_plan(inputs, device)
        if digest is not None:
            digests[key] = digest
        vendor = self.session.registry.vendors[plan.vendor]
        revealed = reveal_psks(plan, inputs.psks, vendor) if reveal else None
        return render_with_digest(env, vendor, plan, revealed)

    def _unchanged(self, key: str, digest: str) -> list[RenderedFile] | None:
        entries = self.previous.reusable(key, digest)
        if entries is None or self.source is None:
            return None
        return _read_back(self.source, entries)

    def files(self) -> Iterator[RenderedFile]:
        """Every selected device's files, then the API payloads (not MANIFEST.json).

        Devices are planned and rendered one by one; every device's errors are collected and
        raised together after the last one (writers stage their output, so nothing lands).
        """
        inputs, registry = self.inputs, self.session.registry
        digests: dict[str, str] = {}
        self.manifest_header["devices"] = digests  # complete once every file was yielded
        selection = selected_devices(self)
        if worth_it(self.jobs, len(selection)):
            yield from render_parallel(self, selection, self.jobs)
        else:
            env = make_environment(registry.templates_root)
            devices = {(d.site, d.name): d for d in inputs.inventory.devices()}
            diags: list[Diagnostic] = []
            with paused_gc():
                for done, which in enumerate(selection, 1):
                    try:
                        files = self.device_files(env, devices[which], digests)
                    except UserError as exc:
                        diags.extend(exc.diagnostics)
                        continue
                    if not diags:
                        self.count += len(files)
                        yield from files
                    if self.progress:
                        self.progress(done, len(selection))
            if diags:
                raise UserError(sort_diagnostics(diags))
        payloads = build_payloads(inputs.inventory, self.session.allocation)
        for key in ("gre_tunnels", "ipsec_tunnels", "routes"):
            self.count += 1
            yield RenderedFile(f"cloudflare/{key}.json", json_lines_array(payloads[key]))


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
