"""Results remembered in the cache beside the lock (netgen.api.memo, netgen.core.cache): a
remembered run skips the model entirely, and anything that could change the result (a byte
of an input, the options, netgen itself, the output directory) makes it run again."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from netgen import api
from netgen.api import memo as memo_mod
from netgen.api import planning, rendering
from netgen.api.session import Session
from netgen.core import cache as cache_mod
from netgen.core import document_cache
from netgen.core.errors import UserError
from netgen.state import lock_read
from tests.perf.test_incremental_parallel import _fleet, _tree


class Opened:
    """Counts how often validate and render really load the inventory."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for module in (planning, rendering):
            monkeypatch.setattr(module, "open_session", self._counting(module.open_session))

    def _counting(self, real: Callable[..., Session]) -> Callable[..., Session]:
        def wrapper(*args: Any, **kwargs: Any) -> Session:
            self.count += 1
            return real(*args, **kwargs)

        return wrapper


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    return _fleet(tmp_path / "plan", 6)


def test_validate_is_remembered_until_an_input_changes(
    fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = Opened(monkeypatch)
    first = api.validate(fleet)
    assert api.validate(fleet) == first and opened.count == 1
    assert api.validate(fleet, cache=False) == first and opened.count == 2
    monkeypatch.setenv("NETGEN_NO_CACHE", "1")
    assert api.validate(fleet) == first and opened.count == 3
    monkeypatch.delenv("NETGEN_NO_CACHE")
    fleet.write_text(fleet.read_text() + "\n# a comment changes the bytes\n")
    assert api.validate(fleet) == first and opened.count == 4
    lock = fleet.with_name("netgen.lock.yaml")
    lock.write_text(lock.read_text().replace("# end of", "# edited\n# end of"))
    api.validate(fleet)
    assert opened.count == 5
    assert api.validate(fleet) == first and opened.count == 5


def test_warnings_come_back_identically(tmp_path: Path) -> None:
    path = _fleet(tmp_path / "plan", 5)
    inv = yaml.safe_load(path.read_text())
    inv["sites"] = [s for s in inv["sites"] if s["name"] != "s003"]  # its tunnels: orphans
    path.write_text(yaml.safe_dump(inv, sort_keys=False))
    fresh = api.validate(path, cache=False)
    assert {d.code for d in fresh.diagnostics} == {"NG404"} and len(fresh.diagnostics) > 1
    assert api.validate(path) == fresh
    assert api.validate(path) == fresh


def test_errors_are_never_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _fleet(tmp_path / "plan", 4)
    path.write_text(path.read_text().replace("mtu:", "mtu_typo:", 1) + "bogus: 1\n")
    opened = Opened(monkeypatch)
    found = []
    for _ in range(2):
        with pytest.raises(UserError) as err:
            api.validate(path)
        found.append([d.format() for d in err.value.diagnostics])
    assert found[0] == found[1] and found[0]
    assert opened.count == 2
    assert not list((path.parent / ".netgen-cache" / "validate").glob("*.json"))


def test_another_netgen_misses(fleet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    api.validate(fleet)
    opened = Opened(monkeypatch)
    monkeypatch.setattr(cache_mod, "fingerprint", lambda: "a different netgen")
    api.validate(fleet)
    assert opened.count == 1


def test_a_damaged_entry_is_a_miss(fleet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = api.validate(fleet)
    (entry,) = (fleet.parent / ".netgen-cache" / "validate").glob("*.json")
    data = json.loads(entry.read_text())
    data["value"]["counts"] = ["6", 6, 6]
    entry.write_text(json.dumps(data))
    opened = Opened(monkeypatch)
    assert api.validate(fleet) == first and opened.count == 1
    entry.write_bytes(b"\x00not json")
    assert api.validate(fleet) == first and opened.count == 2


def test_the_cache_keeps_itself_out_of_git(fleet: Path) -> None:
    api.validate(fleet)
    root = fleet.parent / ".netgen-cache"
    assert (root / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (
        (root / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    for entry in root.rglob("*.json"):
        json.loads(entry.read_text())  # plain JSON, never a pickle


def test_an_unchanged_render_skips_the_model(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    first = api.render(fleet, out)  # allocates: writes the lock
    inodes = {p: p.stat().st_ino for p in out.rglob("*")}
    opened = Opened(monkeypatch)
    again = api.render(fleet, out)
    checked = api.render(fleet, out, check=True)
    assert opened.count == 0
    assert again.manifest() == first.manifest() and again.written and not again.lock_written
    assert checked.drift == [] and checked.checked == len(first.manifest()) - 1
    assert {p: p.stat().st_ino for p in out.rglob("*")} == inodes
    api.render(fleet, out, allow_placeholders=True)  # other options: not the same run
    assert opened.count == 1


@pytest.mark.parametrize("damage", ["edit", "extra", "missing", "symlink", "manifest"])
def test_a_touched_output_runs_again(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    out = tmp_path / "out"
    api.render(fleet, out)
    before = _tree(out)
    victim = next(out.glob("sites/s003/*"))
    rel = victim.relative_to(out).as_posix()
    if damage == "edit":
        victim.write_bytes(victim.read_bytes().replace(b"s003", b"s00X", 1))
        expected = [(rel, "changed")]
    elif damage == "extra":
        (out / "sites" / "s003" / "notes.txt").write_text("x")
        expected = [("sites/s003/notes.txt", "extra")]
    elif damage == "missing":
        victim.unlink()
        expected = [(rel, "missing")]
    elif damage == "symlink":
        victim.unlink()
        victim.symlink_to(out / "MANIFEST.json")
        expected = [(rel, "changed")]
    else:
        manifest = out / "MANIFEST.json"
        manifest.write_text(manifest.read_text().replace('"netgen"', '"netgen" ', 1))
        expected = [("MANIFEST.json", "changed")]
    opened = Opened(monkeypatch)
    assert api.render(fleet, out, check=True).drift == expected
    assert opened.count == 1
    if damage in ("extra", "symlink"):
        return  # a full render refuses what it did not write (tested elsewhere)
    api.render(fleet, out)
    assert _tree(out) == before
    assert opened.count == 2


def test_revealed_or_selected_renders_are_not_remembered(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    api.render(fleet, out)
    opened = Opened(monkeypatch)
    api.render(fleet, out, sites=["s003"])
    api.render(fleet, None)
    assert opened.count == 2


def test_the_cli_flag_keeps_the_cache_untouched(fleet: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from netgen.cli.app import app

    root = fleet.parent / ".netgen-cache"
    shutil.rmtree(root, ignore_errors=True)  # made while the fixture imported its identities
    for args in (["validate"], ["plan"], ["render", "-o", str(tmp_path / "out")]):
        result = CliRunner().invoke(app, [*args, str(fleet), "--no-cache"])
        assert result.exit_code == 0, result.output
        assert not root.exists(), args
    result = CliRunner().invoke(app, ["validate", str(fleet)])
    assert result.exit_code == 0 and (root / "validate").is_dir()


def test_manifest_records_the_lock_as_it_is_on_disk(fleet: Path, tmp_path: Path) -> None:
    lock = fleet.with_name("netgen.lock.yaml")

    def recorded(out: Path) -> str:
        header = json.loads((out / "MANIFEST.json").read_text())
        return str(header["inputs"]["lock"]["sha256"])

    inv = yaml.safe_load(fleet.read_text())
    inv["sites"][-1]["lan_prefixes"] = ["10.99.0.0/24"]
    new = yaml.safe_load(yaml.safe_dump(inv["sites"][-1]))
    new["name"], new["devices"][0]["name"] = "late", "late-r1"
    new["devices"][0]["wan"][0]["address"] = "198.51.100.250"
    new["lan_prefixes"] = ["10.98.0.0/24"]
    inv["sites"].append(new)
    fleet.write_text(yaml.safe_dump(inv, sort_keys=False))
    api.render(fleet, tmp_path / "a", allow_placeholders=True)  # allocates: writes the lock
    assert recorded(tmp_path / "a") == hashlib.sha256(lock.read_bytes()).hexdigest()
    lock.write_text("# kept by hand\n" + lock.read_text())  # unchanged allocation, odd text
    api.render(fleet, tmp_path / "b", allow_placeholders=True, cache=False)
    assert recorded(tmp_path / "b") == hashlib.sha256(lock.read_bytes()).hexdigest()


class Planned:
    """Counts devices really planned by validate."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.devices: list[str] = []
        real = memo_mod.__dict__["build_device_plan"]

        def counting(inputs: Any, device: Any) -> Any:
            self.devices.append(device.name)
            return real(inputs, device)

        monkeypatch.setattr(memo_mod, "build_device_plan", counting)


def test_validate_plans_only_devices_whose_inputs_changed(
    fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = Planned(monkeypatch)
    first = api.validate(fleet)
    assert len(planned.devices) == 6
    inv = yaml.safe_load(fleet.read_text())
    inv["sites"][3].setdefault("defaults", {})["mtu"] = 1400
    fleet.write_text(yaml.safe_dump(inv, sort_keys=False))
    assert api.validate(fleet) == first
    assert planned.devices[6:] == [inv["sites"][3]["devices"][0]["name"]]


def test_a_device_with_a_problem_is_planned_every_time(
    fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inv = yaml.safe_load(fleet.read_text())
    device = inv["sites"][2]["devices"][0]
    device["wan"][0]["interface"] = 'eth0" ; reload'
    fleet.write_text(yaml.safe_dump(inv, sort_keys=False))
    planned = Planned(monkeypatch)
    found = []
    for cache in (None, None, False):
        with pytest.raises(UserError) as err:
            api.validate(fleet, cache=cache)
        found.append([d.format() for d in err.value.diagnostics])
    assert found[0] == found[1] == found[2] and "NG502" in found[0][0]
    assert planned.devices.count(device["name"]) == 3
    assert len(planned.devices) == 6 + 1 + 6  # the clean ones come from the cache once


@pytest.mark.parametrize("command", ["validate", "render", "check"])
def test_an_edit_while_netgen_runs_is_never_remembered(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    out = tmp_path / "out"
    api.render(fleet, out)
    shutil.rmtree(fleet.parent / ".netgen-cache")
    real: Callable[..., Session] = planning.__dict__["open_session"]

    def editing(*args: Any, **kwargs: Any) -> Session:
        session = real(*args, **kwargs)
        fleet.write_text(fleet.read_text() + "# edited while netgen ran\n")
        return session

    for module in (planning, rendering):
        monkeypatch.setattr(module, "open_session", editing)
    if command == "validate":
        api.validate(fleet)
    else:
        api.render(fleet, out, check=command == "check")
    for kind in ("validate", "render"):
        assert not list((fleet.parent / ".netgen-cache" / kind).glob("*.json"))


@pytest.mark.parametrize("command", ["validate", "render"])
def test_the_session_uses_the_bytes_the_key_was_computed_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """With the cache on, the inventory's files and the lock are read once, for the key, and
    the session works on those very bytes: an edit that lands after the key was computed is
    not seen by this run (which then remembers nothing), and the next run sees it."""
    fleet = api.split_inventory(_fleet(tmp_path / "plan", 6), tmp_path / "tree").directory
    out = tmp_path / "out"
    site = fleet / "sites" / "s003.yaml"

    def refuse(path: Path, *args: Any) -> bytes:
        raise AssertionError(f"{path} read a second time")

    monkeypatch.setattr(document_cache, "read_bytes", refuse)
    monkeypatch.setattr(lock_read, "read_bytes", refuse)
    real_of = memo_mod.Inputs.of

    def edited_after_the_key(inventory: Path) -> memo_mod.Inputs:
        inputs = real_of(inventory)
        text = site.read_text()
        site.write_text(text.replace("name: s003\n", "name: s003\ndefaults: {mtu: 1280}\n", 1))
        return inputs

    monkeypatch.setattr(memo_mod.Inputs, "of", staticmethod(edited_after_the_key))

    def run() -> Any:
        if command == "validate":
            return api.validate(fleet)
        return api.render(fleet, out, allow_placeholders=True)

    first = run()
    monkeypatch.setattr(memo_mod.Inputs, "of", staticmethod(real_of))
    if command == "render":
        assert b"1280" not in b"".join(p.read_bytes() for p in (out / "sites" / "s003").iterdir())
    opened = Opened(monkeypatch)
    second = run()
    assert opened.count == 1  # the first run remembered nothing
    if command == "render":
        assert b"1280" in b"".join(p.read_bytes() for p in (out / "sites" / "s003").iterdir())
    else:
        assert second == first  # the same counts and warnings: an MTU changes neither
    assert run() is not None and opened.count == 1  # now remembered
