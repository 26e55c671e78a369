"""`diff`: what changes between two revisions of an inventory (and its lock), or between two
render output directories: tunnels added, removed and changed (with the fields), each device's
config as a unified diff, and the Cloudflare side as API request bodies (create, update,
delete). Both sides are rendered in memory with PSK placeholders, so no secret is ever shown.
"""

from __future__ import annotations

import difflib
import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netgen.api.rendering import render_files
from netgen.api.session import Session, open_session
from netgen.core.errors import Diagnostic, UserError
from netgen.render.output import read_tree
from netgen.render.output_dir import MANIFEST
from netgen.state.lock import LOCK_NAME

WORKTREE = "working tree"
PAYLOAD_KINDS = ("gre_tunnels", "ipsec_tunnels", "routes")


@dataclass
class Side:
    """One side of a diff: rendered files, tunnel fields, lock ids."""

    label: str
    files: dict[str, bytes]
    tunnels: dict[str, dict[str, Any]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


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
            "devices": self.devices,
            "cloudflare": self.cloudflare,
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


def diff_revisions(inventory: str | Path, old: str = "HEAD", new: str | None = None) -> DiffResult:
    """Render ``inventory`` and its lock at git revision ``old`` and at ``new`` (default: the
    working tree) and compare them."""
    path = Path(inventory).resolve()
    root, rel = _repository(path)
    with tempfile.TemporaryDirectory(prefix="netgen-diff-") as tmp:
        before = _side_at(root, rel, old, Path(tmp) / "old")
        after = _side_at(root, rel, new, Path(tmp) / "new") if new else _side(path, WORKTREE)
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
    return compare(*sides)


def _repository(path: Path) -> tuple[Path, str]:
    found = _git(path.parent, "rev-parse", "--show-toplevel")
    if found is None:
        raise UserError.single(
            "NG802",
            "the inventory is not in a git repository",
            file=path,
            hint="commit the inventory and its lock, or compare two output directories",
        )
    root = Path(found.strip())
    return root, path.relative_to(root).as_posix()


def _git(cwd: Path, *args: str) -> str | None:
    run = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True)
    return run.stdout if run.returncode == 0 else None


def _side_at(root: Path, rel: str, rev: str, directory: Path) -> Side:
    """The inventory and lock as they are at ``rev``, written out and rendered."""
    text = _git(root, "show", f"{rev}:{rel}")
    if text is None:
        raise UserError.single(
            "NG803",
            f"the inventory {rel} does not exist at revision {rev!r}",
            file=rel,
            hint="give a revision git knows (`git log`) in which the inventory exists",
        )
    directory.mkdir(parents=True)
    (directory / "inventory.yaml").write_text(text)
    lock_rel = str(Path(rel).parent / LOCK_NAME)
    lock = _git(root, "show", f"{rev}:{lock_rel}")
    if lock is not None:
        (directory / LOCK_NAME).write_text(lock)
    return _side(directory / "inventory.yaml", rev)


def _side(path: Path, label: str) -> Side:
    session = open_session(path)
    files = render_files(session, allow_placeholders=True)
    return Side(
        label,
        {f.path: f.content for f in files},
        _tunnel_fields(session),
        {
            n: e.cloudflare.id
            for n, e in session.lock.tunnels.items()
            if e.cloudflare and e.cloudflare.id
        },
    )


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


def compare(old: Side, new: Side) -> DiffResult:
    tunnels = _tunnel_changes(old.tunnels, new.tunnels)
    return DiffResult(
        old.label,
        new.label,
        tunnels,
        _device_changes(old.files, new.files, tunnels, old.tunnels, new.tunnels),
        _cloudflare_changes(old, new),
    )


def _tunnel_changes(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    changed = []
    for name in sorted(old.keys() & new.keys()):
        fields = {
            k: [old[name][k], new[name][k]] for k in new[name] if old[name].get(k) != new[name][k]
        }
        if fields:
            changed.append({"name": name, "fields": fields})
    return {
        "added": sorted(new.keys() - old.keys()),
        "removed": sorted(old.keys() - new.keys()),
        "changed": changed,
    }


def _device_files(files: dict[str, bytes]) -> dict[tuple[str, str], dict[str, str]]:
    """(site, device) -> {file name: text} for every rendered device file."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for path, content in files.items():
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == "sites":
            device = parts[2].split(".", 1)[0]
            out.setdefault((parts[1], device), {})[parts[2]] = content.decode()
    return out


def _device_changes(
    old_files: dict[str, bytes],
    new_files: dict[str, bytes],
    tunnels: dict[str, Any],
    old_t: dict[str, dict[str, Any]],
    new_t: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    before, after = _device_files(old_files), _device_files(new_files)
    out = []
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key, {}), after.get(key, {})
        if a == b:
            continue
        status = "added" if not a else "removed" if not b else "changed"
        diff = "".join(
            "".join(
                difflib.unified_diff(
                    a.get(name, "").splitlines(keepends=True),
                    b.get(name, "").splitlines(keepends=True),
                    f"{key[0]}/{name} ({'old' if name in a else 'absent'})",
                    f"{key[0]}/{name} ({'new' if name in b else 'absent'})",
                )
            )
            for name in sorted(a.keys() | b.keys())
        )
        out.append(
            {
                "site": key[0],
                "device": key[1],
                "status": status,
                "reasons": _reasons(key[1], tunnels, old_t, new_t),
                "diff": diff,
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
