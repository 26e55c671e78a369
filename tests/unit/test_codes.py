"""The code catalogue, the package and docs/errors.md agree."""

from __future__ import annotations

import re
from pathlib import Path

from netgen.core.codes import CODES

ROOT = Path(__file__).resolve().parents[2]


def test_every_code_raised_in_the_package_is_catalogued() -> None:
    used: set[str] = set()
    for path in (ROOT / "netgen").rglob("*.py"):
        used |= set(re.findall(r'"(NG\d{3})"', path.read_text()))
    assert used - set(CODES) == set()


def test_docs_document_every_code() -> None:
    text = (ROOT / "docs" / "errors.md").read_text()
    documented = set(re.findall(r"^\| (NG\d{3}) \|", text, flags=re.M))
    assert documented == set(CODES)
