"""Locate the built-in templates/ and vendors/ directories.

In a source checkout they sit beside the package; in a wheel they are force-included as
``netgen/_data/templates`` and ``netgen/_data/vendors`` (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # netgen/


def data_dir(name: str) -> Path:
    """The directory ``templates`` or ``vendors``, wherever this install keeps it."""
    if name not in ("templates", "vendors"):
        raise ValueError(name)
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"netgen data directory {name!r} not found next to {_PACKAGE}")
