"""One way to get a running SwanLab in a test: skip (with the reason) where it cannot run."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest

from .swan_harness import LabUnavailable, SwanLab


@contextmanager
def running_lab(cf_addrs: Sequence[str], cpe_addrs: Sequence[str]) -> Iterator[SwanLab]:
    """Start a lab (private namespaces, two daemons), always stop it, skip if unavailable."""
    lab = SwanLab(cf_addrs=tuple(cf_addrs), cpe_addrs=tuple(cpe_addrs))
    try:
        lab.start()
    except LabUnavailable as e:
        pytest.skip(f"strongSwan lab unavailable: {e.reason}")
    try:
        yield lab
    finally:
        lab.close()
