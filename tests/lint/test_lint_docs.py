"""docs/lint.md documents every rule of the catalogue (its rule reference is generated)."""

from __future__ import annotations

import re
from pathlib import Path

from netgen.lint import RULES
from netgen.lint.rules import markdown
from netgen.vendors.registry import load_registry

DOC = Path(__file__).parents[2] / "docs" / "lint.md"
BLOCK = re.compile(r"<!-- BEGIN RULES[^>]*-->\n(.*)<!-- END RULES -->", re.S)


def test_docs_mention_every_rule() -> None:
    text = DOC.read_text()
    missing = [rule for rule in RULES if f"### {rule}" not in text]
    assert missing == []


def test_docs_rule_reference_is_generated_from_the_catalogue() -> None:
    block = BLOCK.search(DOC.read_text())
    assert block, "docs/lint.md lost its generated rule block"
    assert block.group(1) == markdown(vendor_fixes()), (
        "regenerate it with tests/lint/test_lint_docs.py"
    )


def vendor_fixes() -> dict[str, dict[str, str]]:
    registry = load_registry()
    return {
        v.display_name: dict(v.lint.fixes)
        for v in (registry.vendors[i] for i in registry.ids())
        if v.lint is not None
    }


if __name__ == "__main__":  # regenerate the block: python -m tests.lint.test_lint_docs
    text = DOC.read_text()
    match = BLOCK.search(text)
    assert match
    DOC.write_text(text[: match.start(1)] + markdown(vendor_fixes()) + text[match.end(1) :])


def test_every_rule_cites_a_source_and_a_fix() -> None:
    for rule in RULES.values():
        assert rule.id == f"CF{int(rule.id[2:]):03d}"
        assert rule.source and rule.fix and rule.checks
