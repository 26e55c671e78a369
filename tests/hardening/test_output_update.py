"""A render into netgen's previous output updates it in place (netgen.render.output_patch):
only changed files are written, removed devices' files and directories go, hand edits and
mode changes are repaired, and the result is byte for byte (and mode for mode) what a render
into a new directory gives. The journal that makes this crash-safe refuses to be steered
outside the output directory."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml

from netgen import api
from netgen.core.errors import UserError
from netgen.render.journal import Journal, apply_journal, commit_journal, read_journal
from netgen.render.output_dir import recover_output
from tests.perf.test_incremental_parallel import _fleet


def snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    """Every entry under ``out``: files with content and mode; directories as empty bytes."""
    found: dict[str, tuple[bytes, int]] = {}
    for p in sorted(out.rglob("*")):
        assert not p.is_symlink(), p
        mode = stat.S_IMODE(p.lstat().st_mode)
        found[p.relative_to(out).as_posix()] = (p.read_bytes() if p.is_file() else b"", mode)
    return found


def inodes(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_ino for p in out.rglob("*") if p.is_file()}


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def edit(inventory: Path, change: str) -> None:
    data = yaml.safe_load(inventory.read_text())
    if change == "mtu":
        data["sites"][3].setdefault("defaults", {})["mtu"] = 1380
    elif change == "remove":
        data["sites"] = [s for s in data["sites"] if s["name"] != "s005"]
    inventory.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    return _fleet(tmp_path / "plan", 8)


@pytest.mark.parametrize("change", ["mtu", "remove"])
def test_an_update_writes_only_what_changed(fleet: Path, tmp_path: Path, change: str) -> None:
    out = tmp_path / "out"
    api.render(fleet, out, cache=False)
    before, old = inodes(out), snapshot(out)
    edit(fleet, change)
    api.render(fleet, out, cache=False)
    fresh = tmp_path / "fresh"
    api.render(fleet, fresh, cache=False)
    new = snapshot(out)
    assert new == snapshot(fresh)  # same bytes, modes and directories
    after = inodes(out)
    rewritten = {p for p in after if before.get(p) != after[p]}
    assert rewritten == {p for p in after if old.get(p) != new[p]}  # exactly the changed ones
    assert "MANIFEST.json" in rewritten
    if change == "mtu":
        assert {p.split("/")[1] for p in rewritten if p.startswith("sites/")} == {"s003"}
    else:
        assert not (out / "sites" / "s005").exists()  # its directory went with its files
        assert set(before) - set(after) == {p for p in before if p.startswith("sites/s005/")}
    assert siblings(out) == []


def test_hand_edits_and_modes_are_repaired(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.render(fleet, out, cache=False)
    reference = snapshot(out)
    config = next(p for p in sorted((out / "sites" / "s004").iterdir()) if p.is_file())
    config.write_text("hostname hijacked\n")
    payload = out / "cloudflare" / "routes.json"
    payload.chmod(0o666)
    kept = inodes(out)["cloudflare/gre_tunnels.json"]
    api.render(fleet, out, cache=False)
    assert snapshot(out) == reference
    assert inodes(out)["cloudflare/gre_tunnels.json"] == kept


def test_nothing_changed_touches_nothing(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.render(fleet, out, cache=False)
    manifest = (out / "MANIFEST.json").stat()
    before = inodes(out)
    api.render(fleet, out, cache=False)
    assert inodes(out) == before
    assert (out / "MANIFEST.json").stat().st_mtime_ns == manifest.st_mtime_ns
    assert siblings(out) == []


def test_a_failed_render_leaves_the_output_and_no_staging(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.render(fleet, out, cache=False)
    before = snapshot(out)
    data = yaml.safe_load(fleet.read_text())
    data["sites"][2]["devices"][0]["vendor"] = "no_such_vendor"
    data["sites"][4].setdefault("defaults", {})["mtu"] = 1380
    fleet.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(UserError):
        api.render(fleet, out, cache=False)
    assert snapshot(out) == before
    assert siblings(out) == []


def _staged(tmp_path: Path, out: Path, journal: Journal, files: dict[str, bytes]) -> Path:
    staging = tmp_path / f".{out.name}.patch-999999-abcd"  # no such pid: a killed run's
    staging.mkdir()
    for name, data in files.items():
        (staging / name).write_bytes(data)
    commit_journal(staging, journal)
    return staging


def test_a_committed_journal_is_finished_once(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.render(fleet, out, cache=False)
    old = next(p for p in sorted((out / "sites" / "s004").iterdir()))
    rel = old.relative_to(out).as_posix()
    gone = sorted(p.relative_to(out).as_posix() for p in (out / "sites" / "s006").iterdir())
    journal = Journal([("f0", "sites/new/x.cfg"), ("f1", rel)], gone)
    staging = _staged(tmp_path, out, journal, {"f0": b"new\n", "f1": b"changed\n"})
    apply_journal(out, staging, Journal(journal.replace[:1], []))  # killed after one rename
    messages = recover_output(out)
    assert messages and "finished the update" in messages[0]
    assert (out / "sites" / "new" / "x.cfg").read_bytes() == b"new\n"
    assert old.read_bytes() == b"changed\n"
    assert not (out / "sites" / "s006").exists()  # emptied, so removed
    assert siblings(out) == []
    assert recover_output(out) == []  # nothing left to do


@pytest.mark.parametrize(
    "bad",
    [
        {"replace": [["f0", "../escaped"]], "delete": []},
        {"replace": [["f0", "/tmp/escaped"]], "delete": []},
        {"replace": [["../f0", "ok"]], "delete": []},
        {"replace": [], "delete": ["sites/../../escaped"]},
        {"replace": [["f0", "a//b"]], "delete": []},
        {"replace": "not a list", "delete": []},
    ],
)
def test_a_tampered_journal_is_not_applied(tmp_path: Path, bad: dict[str, object]) -> None:
    out = tmp_path / "work" / "out"
    out.mkdir(parents=True)
    (out / "MANIFEST.json").write_text("{}")
    victim = tmp_path / "work" / "escaped"
    victim.write_text("keep me\n")
    staging = out.parent / ".out.patch-999999-abcd"
    staging.mkdir()
    (staging / "f0").write_text("payload\n")
    (staging / "JOURNAL.json").write_text(json.dumps(bad))
    assert read_journal(staging) is None
    recover_output(out)
    assert victim.read_text() == "keep me\n"
    assert not (tmp_path / "work" / "ok").exists() and not Path("/tmp/escaped").exists()
    assert siblings(out) == []


def test_an_update_that_cannot_be_finished_stops_the_command(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.render(fleet, out, cache=False)
    # a path under a file: no directory can be made there, not even by root
    _staged(tmp_path, out, Journal([("f0", "MANIFEST.json/x.cfg")], []), {"f0": b"x\n"})
    with pytest.raises(UserError) as info:
        api.render(fleet, out, cache=False)
    assert info.value.diagnostics[0].code == "NG901"
    assert "finishing its update failed" in info.value.diagnostics[0].message
    assert [n for n in siblings(out) if n.startswith(".out.patch-")]  # kept for the next run


def test_a_site_render_leaves_the_other_sites_files_as_they_are(
    fleet: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    api.render(fleet, out, cache=False)
    before = inodes(out)
    edit(fleet, "mtu")  # site s003
    api.render(fleet, out, sites=["s003"], cache=False)
    after = inodes(out)
    rewritten = {p for p in after if before.get(p) != after[p]}
    assert {p.split("/")[1] for p in rewritten if p.startswith("sites/")} == {"s003"}
    assert siblings(out) == []
