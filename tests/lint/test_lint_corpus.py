"""A corpus of broken configs, one fault each, each yielding exactly its finding.

Every file in ``corpus/<vendor>/`` was derived from a rendered scenario with one edit. Its first
line says what the linter must find: ``! expect: CF004:23`` (``#`` for the other vendors), and
optionally ``scenario=NAME`` to lint with that scenario's inventory expectations.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netgen.lint import RULES, Severity, Source, lint_sources
from netgen.vendors.registry import load_registry
from tests.lint.test_lint_rendered import scenario_expectations
from tests.scenarios import SCENARIOS, write_inventory

CORPUS = Path(__file__).parent / "corpus"
HEADER = re.compile(r"^[!#] expect: (CF\d{3}):(\d+)(?: scenario=(\S+))?$")
REGISTRY = load_registry()
MIN_FAULTS = {"cisco_iosxe": 6, "juniper_srx": 4, "strongswan": 4, "vyos": 4}


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*/*") if p.is_file())


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fault_yields_exactly_its_finding(tmp_path: Path, path: Path) -> None:
    vendor = path.parent.name
    text = path.read_text()
    header = HEADER.match(text.splitlines()[0])
    assert header, f"{path}: first line must be an `expect: CFnnn:LINE` comment"
    rule, line, scenario = header.group(1), int(header.group(2)), header.group(3)
    assert rule in RULES
    expectations = None
    if scenario is not None:
        inventory = write_inventory(tmp_path, SCENARIOS[scenario](vendor, None))
        expectations = scenario_expectations(inventory)
    findings = lint_sources([Source(path.name, text)], REGISTRY.vendors[vendor], expectations)
    errors = {(f.rule, f.line) for f in findings if f.severity is Severity.ERROR}
    assert errors == {(rule, line)}, "\n".join(f.format() for f in findings)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fault_is_silent_on_the_rule_without_it(path: Path) -> None:
    """The expected rule only fires where the fault is (no finding elsewhere in the file)."""
    vendor = path.parent.name
    text = path.read_text()
    header = HEADER.match(text.splitlines()[0])
    assert header
    rule, line = header.group(1), int(header.group(2))
    found = lint_sources([Source(path.name, text)], REGISTRY.vendors[vendor])
    assert all(f.line == line for f in found if f.rule == rule)


def test_corpus_covers_every_vendor() -> None:
    lintable = [v for v in REGISTRY.ids() if REGISTRY.vendors[v].lint is not None]
    counts = {v: len(list((CORPUS / v).glob("*"))) for v in lintable}
    assert all(counts[v] >= n for v, n in MIN_FAULTS.items()), counts
