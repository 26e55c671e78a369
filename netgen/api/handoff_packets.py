"""`handoff`: one self-contained packet per site for the field technician (docs/handoff.md).

Each site's packet is built complete in a staging directory beside the output and swapped into
place, so a failure never leaves a half-written packet. PSKs stay placeholders in the page and
the configs; ``include_secrets`` writes them to ``secrets.txt`` (0600) beside the page.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from netgen import __version__
from netgen.api.diffing import diff_revisions
from netgen.api.rendering import render_files
from netgen.api.session import Session, iter_device_plans, open_session, plan_inputs
from netgen.api.state import resolve_secrets
from netgen.core.errors import Diagnostic, Position, Severity, UserError
from netgen.core.files import inventory_home
from netgen.core.git import git_output
from netgen.core.progress import Progress
from netgen.core.resources import data_dir
from netgen.handoff.packet import (
    DevicePacket,
    Meta,
    Rollback,
    device_packet,
    sha256sums,
    site_packet,
)
from netgen.handoff.page import environment, render_page
from netgen.handoff.pdf import print_pdf
from netgen.inventory.directory import MAIN_FILE, SITES_DIR
from netgen.plan.model import DevicePlan
from netgen.remediate import remediate

MARKER = ".netgen-handoff"


@dataclass
class HandoffResult:
    out_dir: Path
    sites: list[str]
    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "sites": self.sites,
            "files": self.files,
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


@dataclass(frozen=True)
class Options:
    pdf: bool = False
    from_rev: str | None = None
    include_secrets: bool = False


def handoff(
    inventory: str | Path,
    out_dir: str | Path,
    *,
    sites: list[str] | None = None,
    pdf: bool = False,
    from_rev: str | None = None,
    include_secrets: bool = False,
    paper: str = "a4",
    progress: Progress | None = None,
) -> HandoffResult:
    session = open_session(inventory)
    chosen = _chosen_sites(session, sites or [])
    out = Path(out_dir)
    options = Options(pdf, from_rev, include_secrets)
    rollbacks = _rollbacks_from(session.path, from_rev) if from_rev else {}
    psks, diags = resolve_secrets(session) if include_secrets else ({}, [])
    meta = _meta(session.path, session.loaded.inventory.digest)
    result = HandoffResult(out, chosen, diagnostics=session.warnings + diags)
    env = environment(data_dir("templates"))
    inputs = plan_inputs(session, allow_placeholders=True)
    for done, site in enumerate(chosen, 1):
        plans = list(iter_device_plans(inputs, keep=_site_filter(site)))
        rendered = {
            f.path: f.content
            for f in render_files(session, sites=[site], allow_placeholders=True)
            if f.path.startswith(f"sites/{site}/")
        }
        files = {path.rsplit("/", 1)[-1]: data for path, data in rendered.items()}
        devices = tuple(_device(session, plan, files, rollbacks, from_rev) for plan in plans)
        sums = sha256sums(files)
        packet = site_packet(
            plans, devices, sums, meta, session.registry, _secrets_note(include_secrets)
        )
        written = _write_site(
            out,
            site,
            render_page(env, packet, paper),
            files,
            sums,
            _secrets(plans, psks, result) if include_secrets else None,
            options,
        )
        result.files.extend(f"{site}/{name}" for name in written)
        if progress:
            progress(done, len(chosen))
    return result


def _site_filter(site: str) -> Callable[[str, str], bool]:
    return lambda name, _device: name == site


def _chosen_sites(session: Session, wanted: list[str]) -> list[str]:
    names = sorted(s.name for s in session.loaded.inventory.sites)
    unknown = [s for s in wanted if s not in names]
    if unknown:
        raise UserError(
            [
                Diagnostic(
                    "NG821",
                    f"no site {name!r} in the inventory",
                    position=Position(str(session.path)),
                    hint=f"sites: {', '.join(names)}",
                )
                for name in unknown
            ]
        )
    return [n for n in names if n in wanted] if wanted else names


def _device(
    session: Session,
    plan: DevicePlan,
    files: dict[str, bytes],
    rollbacks: dict[str, list[str]],
    from_rev: str | None,
) -> DevicePacket:
    profile = session.registry.vendors[plan.vendor]
    own = {n: d for n, d in files.items() if n.split(".", 1)[0] == plan.device}
    if from_rev is not None:
        lines = rollbacks.get(plan.device, [])
        note = (
            f"Back to inventory revision {from_rev} (the rollback of `netgen diff --from "
            f"{from_rev}`)."
            if lines
            else f"This device's config did not change since revision {from_rev}: nothing "
            "to roll back."
        )
    else:
        text = {n: d.decode() for n, d in own.items()}
        lines = remediate(profile, plan.device, text, {}).remediation
        note = "Removes everything this packet adds (and nothing else), in a safe order."
    return device_packet(plan, profile, own, Rollback(tuple(lines), note))


def _rollbacks_from(inventory: Path, rev: str) -> dict[str, list[str]]:
    result = diff_revisions(inventory, rev)
    return {d["device"]: d["rollback"] for d in result.devices}


def _meta(inventory: Path, digest: str) -> Meta:
    """Revision and digest of the inventory: dirty when git sees uncommitted changes to the
    inventory file, or to netgen.yaml or anything under sites/ of an inventory directory."""
    home = inventory_home(inventory)
    files = [MAIN_FILE, SITES_DIR] if inventory.is_dir() else [inventory.name]
    commit = git_output(home, "rev-parse", "--short=12", "HEAD")
    if commit is None:
        revision = "not in a git repository"
    else:
        dirty = git_output(home, "status", "--porcelain", "--", *files)
        revision = f"git {commit.decode().strip()}" + (" + uncommitted changes" if dirty else "")
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return Meta(
        revision=revision,
        digest=digest,
        version=__version__,
        date=moment.strftime("%Y-%m-%d"),
    )


def _secrets_note(included: bool) -> str:
    if included:
        return (
            "Placeholders only (<redacted:psk:TUNNEL>). The network team sends secrets.txt "
            "separately (never with this page): replace each placeholder with its tunnel's PSK."
        )
    return (
        "Placeholders only (<redacted:psk:TUNNEL>). The network team gives you each tunnel's "
        "PSK over a separate channel (phone or password manager); never paste a placeholder."
    )


def _secrets(plans: list[DevicePlan], psks: dict[str, str], result: HandoffResult) -> bytes | None:
    if not psks and not any(t.ipsec for p in plans for t in p.tunnels):
        return None
    lines = ["# PSKs of this site's IPsec tunnels. Deliver separately; delete after use."]
    for plan in plans:
        for t in plan.tunnels:
            if t.ipsec is None:
                continue
            if t.name in psks:
                lines.append(f"{t.name}: {psks[t.name]}")
            else:
                lines.append(f"{t.name}: (no PSK known: netgen import or netgen secrets set)")
                result.diagnostics.append(
                    Diagnostic(
                        "NG824",
                        f"no PSK known for tunnel {t.name}: secrets.txt says so",
                        Severity.WARNING,
                    )
                )
    return ("\n".join(lines) + "\n").encode()


def _write_site(
    out: Path,
    site: str,
    page: str,
    files: dict[str, bytes],
    sums: list[tuple[str, str]],
    secrets: bytes | None,
    options: Options,
) -> list[str]:
    """Build the site's packet in a staging directory, then swap it into ``out/site``."""
    target = out / site
    foreign = target.exists() and not (target / MARKER).is_file() and any(target.iterdir())
    if target.is_symlink() or foreign:
        raise UserError.single(
            "NG820",
            "the directory exists and was not written by netgen handoff",
            file=str(target),
            hint="choose another -o directory, or remove it",
        )
    out.mkdir(parents=True, exist_ok=True)
    stage = out / f".{site}.netgen-handoff-tmp"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "configs").mkdir(parents=True)
    written = {"index.html": page.encode(), MARKER: b"netgen handoff packet\n"}
    for name, data in files.items():
        written[f"configs/{name}"] = data
    written["configs/SHA256SUMS"] = "".join(f"{d}  {n}\n" for n, d in sums).encode()
    for name, data in written.items():
        (stage / name).write_bytes(data)
    if secrets is not None and options.include_secrets:
        fd = os.open(stage / "secrets.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets)
        written["secrets.txt"] = secrets
    if options.pdf:
        print_pdf(stage / "index.html", stage / f"{site}.pdf")
        written[f"{site}.pdf"] = b""
    old = out / f".{site}.netgen-handoff-old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    stage.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return sorted(n for n in written if n != MARKER)
