"""Loading with positions, warnings, lock errors, capability gate and template errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from netgen import api
from netgen.core.documents import load_yaml_text
from netgen.core.errors import Severity, UserError
from netgen.state.lock_read import parse_lock_text
from tests.scenarios import SCENARIOS, base, write_inventory


def test_positions_point_at_keys_and_items() -> None:
    doc = load_yaml_text("a: 1\nlist:\n  - x: 2\n    y: three\n", "f.yaml")
    assert doc.data == {"a": 1, "list": [{"x": 2, "y": "three"}]}
    assert doc.index.position(("list", 0, "y")).line == 4
    assert doc.index.position(("list", 0, "y")).column == 5
    # unknown paths fall back to the nearest ancestor
    assert doc.index.position(("list", 0, "nope", 3)).line == 3


def test_duplicate_keys_anywhere_are_errors() -> None:
    with pytest.raises(UserError) as info:
        load_yaml_text("a:\n  b: 1\n  c: 2\n  b: 3\n", "f.yaml")
    (diag,) = info.value.diagnostics
    assert diag.code == "NG103" and diag.position is not None and diag.position.line == 4
    assert "first defined on line 2" in diag.message


def test_all_errors_reported_in_one_pass(tmp_path: Path) -> None:
    inv = base("cisco_iosxe")
    dev = inv["sites"][0]["devices"][0]
    dev["wan"][0]["address"] = "10.0.0.1"  # NG320
    inv["defaults"]["mtu"] = 1500  # NG350
    inv["cloudflare"]["endpoints"][1]["name"] = "cf1"  # NG330
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(inv, sort_keys=False))
    with pytest.raises(UserError) as info:
        api.validate(path)
    codes = {d.code for d in info.value.diagnostics}
    assert {"NG320", "NG350", "NG330"} <= codes


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    inv = base("cisco_iosxe")
    inv["sites"][0]["devices"][0]["lan_interfce"] = "Gi3"
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(inv, sort_keys=False))
    with pytest.raises(UserError) as info:
        api.validate(path)
    (diag,) = info.value.diagnostics
    assert diag.code == "NG201" and diag.hint == "did you mean 'lan_interface'?"


def test_redundancy_warnings_do_not_fail(tmp_path: Path) -> None:
    inv = base("cisco_iosxe")
    inv["cloudflare"]["endpoints"] = inv["cloudflare"]["endpoints"][:1]
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(inv, sort_keys=False))
    result = api.validate(path)
    codes = [d.code for d in result.diagnostics]
    assert "NG380" in codes and "NG381" in codes
    assert all(d.severity is Severity.WARNING for d in result.diagnostics)


def test_invalid_lock_is_ng402_with_position() -> None:
    text = (
        "netgen_lock: 1\ntunnels:\n  t1:\n    site: s\n    device: d\n    wan: w\n"
        "    endpoint: e\n    interface_address: not-an-address\n    index: 0\n"
        "# end of netgen.lock.yaml\n"
    )
    with pytest.raises(UserError) as info:
        parse_lock_text(text, "netgen.lock.yaml")
    (diag,) = info.value.diagnostics
    assert diag.code == "NG402" and diag.position is not None and diag.position.line == 8


def test_capability_gate_names_device_and_feature(tmp_path: Path) -> None:
    path = write_inventory(tmp_path, SCENARIOS["legacy-hc"]("cisco_iosxe", None))
    with pytest.raises(UserError) as info:
        api.render(path, None)
    diags = [d for d in info.value.diagnostics if d.code == "NG501"]
    assert any("hq-edge1" in d.message and "legacy health-check target" in d.message for d in diags)


def test_template_error_names_template_line_and_device(tmp_path: Path) -> None:
    import shutil

    from netgen.core.resources import data_dir
    from netgen.vendors.registry import load_registry

    templates = tmp_path / "templates"
    shutil.copytree(data_dir("templates"), templates)
    (templates / "cisco_iosxe" / "config.j2").write_text("line one\n{{ plan.no_such_field }}\n")
    vendors = tmp_path / "vendors"
    vendors.mkdir()
    shutil.copy(data_dir("vendors") / "cisco_iosxe.yaml", vendors)
    registry = load_registry(vendors, templates)
    inv = base("cisco_iosxe")
    inv["sites"] = inv["sites"][:1]
    path = write_inventory(tmp_path / "inv", inv)
    session = api.open_session(path, registry=registry)
    with pytest.raises(UserError) as info:
        api.render_files(session)
    (diag,) = info.value.diagnostics
    assert diag.code == "NG504" and "hq-edge1" in diag.message
    assert diag.position is not None and diag.position.line == 2
    assert diag.position.file.endswith("config.j2")
