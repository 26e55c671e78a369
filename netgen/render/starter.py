"""`netgen init`: a commented starter inventory."""

from __future__ import annotations

from pathlib import Path

from netgen.core.errors import UserError
from netgen.core.resources import data_dir
from netgen.render.output import atomic_write

STARTER = "common/starter-inventory.yaml"


def starter_text() -> str:
    return (data_dir("templates") / STARTER).read_text()


def write_starter(directory: Path, *, force: bool = False) -> Path:
    """Write ``inventory.yaml`` into ``directory``; never overwrite unless ``force``."""
    target = directory / "inventory.yaml"
    if target.exists() and not force:
        raise UserError.single(
            "NG901",
            "inventory.yaml already exists",
            file=target,
            hint="use --force to overwrite, or pick another directory",
        )
    try:
        atomic_write(target, starter_text().encode())
    except OSError as exc:
        raise UserError.single("NG901", f"cannot write: {exc.strerror}", file=target) from None
    return target
