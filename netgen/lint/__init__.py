"""``netgen lint``: check router configs against Cloudflare's tunnel rules.

A vendor parser turns config text into neutral tunnel facts (:mod:`netgen.lint.model`); the
engine runs the rule catalogue (:mod:`netgen.lint.rules`) over them, optionally cross-checked
against the inventory's tunnels (:class:`TunnelExpectation`).
"""

from netgen.lint.engine import (
    PARSERS,
    NotLintableError,
    check_facts,
    lint,
    lint_sources,
    lint_text,
)
from netgen.lint.model import (
    Finding,
    LintResult,
    Severity,
    Source,
    TunnelExpectation,
    expectations_for,
)
from netgen.lint.rules import RULES, Rule

__all__ = [
    "PARSERS",
    "RULES",
    "Finding",
    "LintResult",
    "NotLintableError",
    "Rule",
    "Severity",
    "Source",
    "TunnelExpectation",
    "check_facts",
    "expectations_for",
    "lint",
    "lint_sources",
    "lint_text",
]
