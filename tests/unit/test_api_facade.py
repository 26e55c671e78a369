"""The library facade (netgen.api) loads each name from its module on first use, so a command
imports what it runs: these tests keep the declared imports and the run-time table the same,
and check that the everyday commands leave the heavy parts unloaded."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import netgen.api as api

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "acme" / "inventory.yaml"


def _declared() -> dict[str, str]:
    """name -> module of the imports under ``if TYPE_CHECKING:`` in netgen/api/__init__.py."""
    tree = ast.parse((ROOT / "netgen" / "api" / "__init__.py").read_text())
    (block,) = [n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.dump(n)]
    return {
        alias.name: str(node.module)
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_declared_imports_table_and_all_agree() -> None:
    declared = _declared()
    assert declared == {name: f"netgen.api.{home}" for name, home in api._HOMES.items()}
    assert sorted(api.__all__) == sorted(api._HOMES)


def test_every_name_is_the_object_of_its_module() -> None:
    for name, home in api._HOMES.items():
        assert getattr(api, name) is getattr(importlib.import_module(f"netgen.api.{home}"), name)


def test_no_name_is_also_a_submodule() -> None:
    """Importing a submodule binds its name on the package: a function of the same name
    would turn into the module once anything imported it."""
    for name in api._HOMES:
        assert importlib.util.find_spec(f"netgen.api.{name}") is None, name


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        api.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


_PROBE = """
import json, sys
from netgen.cli.app import main
sys.argv = ["netgen", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

HEAVY = (
    "netgen.api.cloud",
    "netgen.api.diffing",
    "netgen.api.handoff_packets",
    "netgen.api.running_diff",
    "netgen.api.linting",
    "netgen.sync",
    "netgen.lint",
    "netgen.remediate",
    "netgen.handoff",
    "hier_config",
    "cloudflare",
)


def _loaded(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_help_and_validate_leave_the_other_commands_unloaded() -> None:
    for args in (("--help",), ("validate", str(EXAMPLE))):
        loaded = _loaded(*args)
        assert "netgen.cli.app" in loaded
        assert sorted(m for m in loaded if m.startswith(HEAVY)) == [], args
    assert "netgen.api.planning" in _loaded("validate", str(EXAMPLE))


def test_a_command_still_loads_what_it_runs(tmp_path: Path) -> None:
    config = tmp_path / "edge1.ios"
    config.write_text("hostname edge1\n")
    loaded = _loaded("lint", str(config), "--vendor", "cisco_iosxe")
    assert "netgen.api.linting" in loaded and "netgen.lint.engine" in loaded
