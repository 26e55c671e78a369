"""Fixtures for the strongSwan end-to-end tests (see swan_harness.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .labs import running_lab
from .swan_harness import SwanLab


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: real strongSwan daemons in private network namespaces (needs root)"
    )


@pytest.fixture
def lab() -> Iterator[SwanLab]:
    """A fresh lab per test (about 0.1 s to start, 0.1 s to stop): cf = 192.0.2.10 and
    192.0.2.20, cpe = 192.0.2.2, all /24 on one veth pair. Skips if the machine cannot run it."""
    with running_lab(("192.0.2.10/24", "192.0.2.20/24"), ("192.0.2.2/24",)) as swan_lab:
        yield swan_lab
