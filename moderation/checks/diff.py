"""Field-by-field comparison of a proposal with the published version (three-way when the agent started from an
older version than the one now published: a field both changed differently is a conflict).

Fields are named as the GraphQL API names them (``hoursNote``) and values are written with those names too, so a
moderator's screen shows them with the document's French labels.
"""

from dataclasses import dataclass
from typing import Any

from shared.operating_info import OperatingInfoDocument, field_label, graphql_name, in_graphql_names


@dataclass(frozen=True)
class FieldChange:
    field: str
    published: Any
    proposed: Any
    base: Any = None
    conflict: bool = False

    @property
    def label(self) -> str:
        """The field's French label (« Précisions sur les horaires »)."""
        return field_label(self.field)


def diff_documents(
    published: OperatingInfoDocument | None,
    proposed: OperatingInfoDocument,
    base: OperatingInfoDocument | None = None,
) -> list[FieldChange]:
    """The fields whose proposed value differs from the published one, in the document's order.

    Nothing published compares as the empty document (a field left at its default is no change) and shows null.
    """
    empty = _values(OperatingInfoDocument())
    current, after_all = _values(published) if published else empty, _values(proposed)
    origin_all = _values(base) if base else None
    changes = []
    for name in OperatingInfoDocument.model_fields:
        before, after = current[name], after_all[name]
        if before == after:
            continue
        shown = before if published else None
        if origin_all is None:
            changes.append(FieldChange(graphql_name(name), shown, after))
            continue
        origin = origin_all[name]
        changes.append(FieldChange(graphql_name(name), shown, after, origin, origin != before and origin != after))
    return changes


def _values(document: OperatingInfoDocument) -> dict[str, Any]:
    return {name: in_graphql_names(value) for name, value in document.model_dump(mode="json").items()}
