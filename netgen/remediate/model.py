"""What a remediation is: the commands that turn one config into another, and back."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Remediation:
    """Commands in paste order: ``remediation`` turns the old config into the new one,
    ``rollback`` the new one back into the old; ``extension`` names their files."""

    remediation: list[str]
    rollback: list[str]
    extension: str
    # the config lines compared (for ``--running``: the managed part of the running config)
    current: list[str] = field(default_factory=list)
    intended: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.remediation and not self.rollback
