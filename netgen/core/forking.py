"""One call computed in a forked child while the parent goes on (``alongside``).

A command that has two independent pieces of work and more than one core starts one in a
child forked from itself (the child reads the parent's objects from its memory, nothing is
copied in) and does the other; the child's value comes back through a private pipe. If the
child cannot give a value (it failed, or was killed), the parent computes it itself, so the
outcome is always the one the serial order gives, errors included.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    return hasattr(os, "fork")


@contextmanager
def alongside(call: Callable[[], T]) -> Iterator[Callable[[], T]]:
    """Start ``call`` in a forked child; the function yielded waits for its value. On leaving
    the block a child whose value was not asked for is stopped."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, hand the value over, and leave without cleanup
        os.close(read)
        code = 1
        try:
            data = pickle.dumps(call(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    done = False
    result: T

    def value() -> T:
        nonlocal done, result
        if not done:
            done = True
            with os.fdopen(read, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(pid, 0)
            result = pickle.loads(data) if os.waitstatus_to_exitcode(status) == 0 else call()
        return result

    try:
        yield value
    finally:
        if not done:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read)
