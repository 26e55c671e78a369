"""Progress reporting from the library to whoever shows it (the CLI's progress bar)."""

from __future__ import annotations

from collections.abc import Callable

# (done, total) after each unit of work (a device); total is known before the first call
Progress = Callable[[int, int], None]
