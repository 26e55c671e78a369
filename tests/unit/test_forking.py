"""netgen.core.forking: a call computed in a forked child gives the value, or the exception,
the serial call gives; a child not waited for is stopped."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from netgen.core.forking import alongside


def test_the_child_computes_the_value() -> None:
    parent = os.getpid()
    with alongside(lambda: (os.getpid(), list(range(100_000)))) as value:
        pid, numbers = value()
        assert value() == (pid, numbers)  # asked twice: the same value, no second wait
    assert pid != parent
    assert numbers == list(range(100_000))  # larger than a pipe's buffer


def test_a_failing_child_leaves_the_parent_to_raise_the_error() -> None:
    calls: list[int] = []

    def broken() -> int:
        calls.append(os.getpid())
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"), alongside(broken) as value:
        value()
    assert calls == [os.getpid()]  # the child's call left no trace here; the parent's raised


def test_a_child_not_waited_for_is_stopped(tmp_path: Path) -> None:
    started = tmp_path / "started"

    def slow() -> None:
        started.write_text(str(os.getpid()))
        time.sleep(60)

    with alongside(slow):
        while not started.exists() or not started.read_text():
            time.sleep(0.01)
    child = int(started.read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped on leaving the block
        os.kill(child, 0)
