"""Field-by-field comparison of a proposal with the published version (three-way when the agent started from an
older version than the one now published: a field both changed differently is a conflict)."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldChange:
    field: str
    published: Any
    proposed: Any
    base: Any = None
    conflict: bool = False


def diff_documents(
    published: dict[str, Any] | None, proposed: dict[str, Any], base: dict[str, Any] | None = None
) -> list[FieldChange]:
    """The fields whose proposed value differs from the published one, in a stable order."""
    current = published or {}
    changes = []
    for field in sorted(set(current) | set(proposed) | set(base or {})):
        before, after = current.get(field), proposed.get(field)
        if before == after:
            continue
        if base is None:
            changes.append(FieldChange(field, before, after))
            continue
        origin = base.get(field)
        conflict = origin != before and origin != after
        changes.append(FieldChange(field, before, after, origin, conflict))
    return changes
