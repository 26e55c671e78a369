"""`diff`: what changes between two revisions of an inventory (and its lock), or between two
render output directories: tunnels added, removed and changed (with the fields), each device's
config as a unified diff, and the Cloudflare side as API request bodies (create, update,
delete). Both sides are rendered in memory with PSK placeholders, so no secret is ever shown.
"""

from __future__ import annotations

import difflib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netgen.api.rendering import render_files
from netgen.api.revision import checkout, repository
from netgen.api.session import Session, open_session
from netgen.core.errors import Diagnostic, UserError
from netgen.core.progress import Progress
from netgen.remediate import redact_pair, remediate
from netgen.render.incremental import device_of
from netgen.render.output import read_tree
from netgen.render.output_dir import MANIFEST
from netgen.state.secrets import STORE_NAME, load_store, parse_store, store_path_for
from netgen.vendors.registry import Registry, VendorProfile, load_registry

WORKTREE = "working tree"
PAYLOAD_KINDS = ("gre_tunnels", "ipsec_tunnels", "routes")


@dataclass
class Side:
    """One side of a diff: rendered files, tunnel fields, lock ids."""

    label: str
    files: dict[str, bytes]
    tunnels: dict[str, dict[str, Any]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    # a mark of each tunnel's PSK (never the PSK): the secrets store's fingerprint, when the
    # store exists on this side, and Cloudflare's psk_generated_on from the lock
    psk_store: dict[str, str] | None = None
    psk_lock: dict[str, str] = field(default_factory=dict)


@dataclass
class DiffResult:
    old: str
    new: str
    tunnels: dict[str, Any]
    devices: list[dict[str, Any]]
    cloudflare: dict[str, dict[str, list[dict[str, Any]]]]
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        t = self.tunnels
        return bool(t["added"] or t["removed"] or t["changed"] or self.devices) or any(
            body for part in self.cloudflare.values() for body in part.values()
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.old,
            "to": self.new,
            "tunnels": self.tunnels,
            "devices": [{k: v for k, v in d.items() if k != "extension"} for d in self.devices],
            "cloudflare": self.cloudflare,
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


def diff_revisions(
    inventory: str | Path,
    old: str = "HEAD",
    new: str | None = None,
    progress: Progress | None = None,
) -> DiffResult:
    """Render ``inventory`` and its lock at git revision ``old`` and at ``new`` (default: the
    working tree) and compare them."""
    path = Path(inventory).resolve()
    root, rel = repository(path)
    with tempfile.TemporaryDirectory(prefix="netgen-diff-") as tmp:
        before = _side_at(root, rel, old, Path(tmp) / "old", progress)
        after = (
            _side_at(root, rel, new, Path(tmp) / "new", progress)
            if new
            else _side(path, WORKTREE, with_store=True, progress=progress)
        )
    return compare(before, after)


def diff_directories(old_dir: str | Path, new_dir: str | Path) -> DiffResult:
    """Compare two `render -o` output directories (as written, by their MANIFEST.json)."""
    sides = []
    for d in (Path(old_dir), Path(new_dir)):
        if not (d / MANIFEST).is_file():
            raise UserError.single(
                "NG801", "not a netgen output directory (no MANIFEST.json)", file=d
            )
        sides.append(Side(str(d), read_tree(d)))
    registry = load_registry()
    _redact_revealed(sides[0], sides[1], registry)
    return compare(sides[0], sides[1], registry)


def _redact_revealed(old: Side, new: Side, registry: Registry) -> None:
    """Directories may have been rendered with --reveal-secrets: no PSK value is ever shown."""
    for path in old.files.keys() | new.files.keys():
        profile = _vendor_of(path, registry)
        if profile is None:
            continue
        a, b = redact_pair(
            profile.remediation,
            old.files.get(path, b"").decode(),
            new.files.get(path, b"").decode(),
        )
        if path in old.files:
            old.files[path] = a.encode()
        if path in new.files:
            new.files[path] = b.encode()


def _side_at(
    root: Path, rel: str, rev: str, directory: Path, progress: Progress | None = None
) -> Side:
    """The inventory and lock as they are at ``rev``, written out and rendered."""
    found = checkout(root, rel, rev, directory)
    side = _side(found.inventory, rev, progress=progress)
    if found.store is not None:
        side.psk_store = _fingerprints(parse_store(found.store, STORE_NAME))
    return side


def _fingerprints(store: Any) -> dict[str, str]:
    return {name: f"fingerprint {store.fingerprint(name)}" for name in store.tunnels}


def _side(
    path: Path, label: str, *, with_store: bool = False, progress: Progress | None = None
) -> Side:
    session = open_session(path)
    files = render_files(session, allow_placeholders=True, progress=progress)
    side = Side(
        label,
        {f.path: f.content for f in files},
        _tunnel_fields(session),
        session.lock.cloudflare_ids(),
        psk_lock={
            n: f"generated {e.cloudflare.psk_generated_on}"
            for n, e in session.allocation.lock.tunnels.items()
            if e.cloudflare and e.cloudflare.psk_generated_on
        },
    )
    store_path = store_path_for(path)
    if with_store and store_path.is_file():
        side.psk_store = _fingerprints(load_store(store_path))
    return side


def _tunnel_fields(session: Session) -> dict[str, dict[str, Any]]:
    inv, alloc = session.loaded.inventory, session.allocation
    out: dict[str, dict[str, Any]] = {}
    for name, t in inv.tunnels.items():
        s = t.settings
        out[name] = {
            "site": t.site,
            "device": t.device,
            "wan": t.wan,
            "endpoint": t.endpoint,
            "type": s.tunnel_type,
            "interface_address": str(alloc.assignments[name].interface_address),
            "priority": t.priority,
            "mtu": s.mtu,
            "mss": s.mss,
            "ttl": s.ttl,
            "health_check": f"{s.health_check.type}/{s.health_check.direction}",
            "replay_protection": s.replay_protection,
            "crypto": s.ipsec.crypto.name if s.tunnel_type == "ipsec" else None,
            "local_id": s.ipsec.local_id if s.tunnel_type == "ipsec" else None,
        }
    return out


def compare(old: Side, new: Side, registry: Registry | None = None) -> DiffResult:
    reg = registry or load_registry()
    _mark_psks(old, new, reg)
    tunnels = _tunnel_changes(old.tunnels, new.tunnels)
    return DiffResult(
        old.label,
        new.label,
        tunnels,
        _device_changes(old.files, new.files, tunnels, old.tunnels, new.tunnels, reg),
        _cloudflare_changes(old, new),
    )


def _mark_psks(old: Side, new: Side, registry: Registry) -> None:
    """Give each tunnel a ``psk`` field (a fingerprint, never the value) and put it into the
    PSK placeholders of the rendered files, so a rotated PSK shows as a changed line to paste.
    Store fingerprints are compared only when both sides have the store (it is often not
    committed); otherwise Cloudflare's psk_generated_on from the lock."""
    use_store = old.psk_store is not None and new.psk_store is not None
    for side in (old, new):
        marks = (side.psk_store or {}) if use_store else side.psk_lock
        for name, fields in side.tunnels.items():
            fields["psk"] = marks.get(name) if fields["type"] == "ipsec" else None
        side.files = {
            path: _with_marks(path, content, side.tunnels, marks, registry)
            for path, content in side.files.items()
        }


def _with_marks(
    path: str,
    content: bytes,
    tunnels: dict[str, dict[str, Any]],
    marks: dict[str, str],
    registry: Registry,
) -> bytes:
    profile = _vendor_of(path, registry)
    if profile is None or not marks:
        return content
    text = content.decode()
    found = device_of(path)
    device = found[1] if found else None
    for name, fields in tunnels.items():
        if fields["device"] != device or name not in marks:
            continue
        placeholder = profile.psk_placeholder.format(tunnel=name)
        marked = (
            f"{placeholder[:-1]} {marks[name]}>"
            if placeholder.endswith(">")
            else (f"{placeholder} ({marks[name]})")
        )
        text = text.replace(placeholder, marked)
    return text.encode()


def _vendor_of(path: str, registry: Registry) -> VendorProfile | None:
    """The vendor whose output file name ``path`` has (by the suffix after {device})."""
    name = path.rsplit("/", 1)[-1]
    for profile in registry.vendors.values():
        for output in profile.outputs:
            if name.endswith(output.filename.replace("{device}", "")):
                return profile
    return None


def _tunnel_changes(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    changed = []
    for name in sorted(old.keys() & new.keys()):
        fields = {
            k: [old[name].get(k), new[name][k]]
            for k in new[name]
            if old[name].get(k) != new[name][k]
        }
        if fields:
            changed.append({"name": name, "fields": fields})
    return {
        "added": sorted(new.keys() - old.keys()),
        "removed": sorted(old.keys() - new.keys()),
        "changed": changed,
    }


def device_files(files: dict[str, bytes]) -> dict[tuple[str, str], dict[str, str]]:
    """(site, device) -> {file name: text} for every rendered device file."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for path, content in files.items():
        if (found := device_of(path)) is not None:
            out.setdefault(found, {})[path.rsplit("/", 1)[1]] = content.decode()
    return out


def unified(site: str, a: dict[str, str], b: dict[str, str]) -> str:
    """A unified diff of every file of one device."""
    return "".join(
        "".join(
            difflib.unified_diff(
                a.get(name, "").splitlines(keepends=True),
                b.get(name, "").splitlines(keepends=True),
                f"{site}/{name} ({'old' if name in a else 'absent'})",
                f"{site}/{name} ({'new' if name in b else 'absent'})",
            )
        )
        for name in sorted(a.keys() | b.keys())
    )


def _device_changes(
    old_files: dict[str, bytes],
    new_files: dict[str, bytes],
    tunnels: dict[str, Any],
    old_t: dict[str, dict[str, Any]],
    new_t: dict[str, dict[str, Any]],
    registry: Registry,
) -> list[dict[str, Any]]:
    before, after = device_files(old_files), device_files(new_files)
    out = []
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key, {}), after.get(key, {})
        if a == b:
            continue
        profile = _vendor_of(next(iter(a or b)), registry)
        fix = remediate(profile, key[1], a, b) if profile else None
        out.append(
            {
                "site": key[0],
                "device": key[1],
                "vendor": profile.id if profile else None,
                "status": "added" if not a else "removed" if not b else "changed",
                "reasons": _reasons(key[1], tunnels, old_t, new_t),
                "diff": unified(key[0], a, b),
                "remediation": fix.remediation if fix else [],
                "rollback": fix.rollback if fix else [],
                "extension": fix.extension if fix else "txt",
            }
        )
    return out


def _reasons(
    device: str,
    tunnels: dict[str, Any],
    old_t: dict[str, dict[str, Any]],
    new_t: dict[str, dict[str, Any]],
) -> list[str]:
    own = []
    for name in tunnels["added"]:
        if new_t[name]["device"] == device:
            own.append(f"tunnel {name} added")
    for name in tunnels["removed"]:
        if old_t[name]["device"] == device:
            own.append(f"tunnel {name} removed")
    for change in tunnels["changed"]:
        if new_t[change["name"]]["device"] == device:
            fields = ", ".join(f"{k} {v[0]} → {v[1]}" for k, v in change["fields"].items())
            own.append(f"tunnel {change['name']}: {fields}")
    if own:
        return own
    sites_added = sorted(
        {new_t[n]["site"] for n in tunnels["added"]} - {t["site"] for t in old_t.values()}
    )
    sites_removed = sorted(
        {old_t[n]["site"] for n in tunnels["removed"]} - {t["site"] for t in new_t.values()}
    )
    out = [f"routes to site {s} added (site {s} was added)" for s in sites_added]
    out += [f"routes to site {s} removed (site {s} was removed)" for s in sites_removed]
    return out or ["routes or settings of other sites changed"]


def _cloudflare_changes(old: Side, new: Side) -> dict[str, dict[str, list[dict[str, Any]]]]:
    out: dict[str, dict[str, list[dict[str, Any]]]] = {"create": {}, "update": {}, "delete": {}}
    for kind in PAYLOAD_KINDS:
        a = _bodies(old.files, kind)
        b = _bodies(new.files, kind)
        out["create"][kind] = [b[k] for k in sorted(b.keys() - a.keys())]
        out["update"][kind] = [
            {**b[k], **({"id": new.ids[k]} if k in new.ids else {})}
            for k in sorted(a.keys() & b.keys())
            if a[k] != b[k]
        ]
        out["delete"][kind] = [
            {"name": k, **({"id": old.ids[k]} if k in old.ids else {})}
            for k in sorted(a.keys() - b.keys())
        ]
    return out


def _bodies(files: dict[str, bytes], kind: str) -> dict[str, dict[str, Any]]:
    raw = files.get(f"cloudflare/{kind}.json")
    items: list[dict[str, Any]] = json.loads(raw) if raw else []
    if kind == "routes":
        return {f"{r['prefix']} via {r['nexthop']}": r for r in items}
    return {t["name"]: t for t in items}
