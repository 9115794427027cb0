"""What the CLI needs to know about a stack component: its status and how it failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    running: bool
    healthy: bool
    port: int | None
    pid: int | None
    detail: str = ""


@dataclass
class ComponentError(RuntimeError):
    """A component could not be started (or checked); carries the logs worth showing."""

    component: str
    reason: str
    logs: list[Path] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.component}: {self.reason}"
