"""``netgen lint``: check router configs (rendered or hand-written) against Cloudflare's tunnel
rules. A syntax family (:mod:`netgen.lint.syntax`, chosen by the vendor profile's ``lint``
section) turns config text into neutral tunnel facts (:mod:`netgen.lint.model`); the engine
runs the rule catalogue (:mod:`netgen.lint.rules`) over them, optionally cross-checked against
the inventory's tunnels (:mod:`netgen.lint.inventory_check`)."""

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
