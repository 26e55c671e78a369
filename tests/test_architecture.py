"""The package layout docs/architecture.md describes is the one the layers contract enforces."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _contract_layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = config["tool"]["importlinter"]["contracts"]
    layers: list[str] = contract["layers"]
    return layers


def test_docs_list_the_contract_layers_in_order() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Layers, top to bottom", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(netgen\.[a-z_.]+)`", section, re.M)
    # the contract splits netgen.cloudflare in two layers; the table shows the lower part once
    names = [layer.split(" ")[0] for layer in _contract_layers()]
    shown = [
        "netgen.cloudflare"
        if n.startswith("netgen.cloudflare.") and n != "netgen.cloudflare.payloads"
        else n
        for n in names
    ]
    assert documented == list(dict.fromkeys(shown))


def test_every_subpackage_says_what_it_takes_and_gives() -> None:
    for init in sorted((ROOT / "netgen").glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and len(doc) > 60, f"{init.relative_to(ROOT)} needs a docstring"


def test_modules_and_functions_stay_small() -> None:
    big = []
    for path in sorted((ROOT / "netgen").rglob("*.py")):
        text = path.read_text()
        if text.count("\n") > 420:
            big.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef) and node.end_lineno:
                length = node.end_lineno - node.lineno + 1
                if length > 70:
                    big.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length}")
    assert big == []
