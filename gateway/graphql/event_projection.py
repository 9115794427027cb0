"""The projection of a publication onto one subscription's own selection (quality.md M1).

The fields of a :class:`~gateway.graphql.subscriptions.PublicationEvent` are leaves without arguments that depend on
the publication only, so a publication is executed once, through the normal executor, with every field selected
(its *row*); each subscription's answer is then the row's values under the subscription's response keys, in its
order. The keys come from graphql-core's own field collection (aliases, fragments, ``@include``/``@skip`` with the
subscription's variables), so the answer is the one the executor would build. The root field's arguments (the
feed's filter, ``after``) shape the source stream only, not an event's answer. A selection this cannot express
(``@defer``, an event field with an argument or a sub-selection) has no projection and is executed as usual.
"""

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLObjectType,
    OperationType,
    get_named_type,
    is_leaf_type,
    parse,
)
from graphql.execution.collect_fields import collect_fields, collect_subfields
from graphql.execution.executor import Executor

TYPENAME = "__typename"


@dataclass(frozen=True, slots=True)
class EventProjection:
    """Where each of the row's values goes in one subscription's answer."""

    root_key: str
    root_field: str
    keys: tuple[tuple[str, str], ...]
    """(response key, field name) in the answer's order."""
    typename: str

    def project(self, row: dict[str, Any]) -> dict[str, Any]:
        """The subscription's ``data`` from the row (the values of every field, by field name)."""
        return {self.root_key: {key: self.typename if name == TYPENAME else row[name] for key, name in self.keys}}


def plan_projection(executor: "Executor[Any]") -> EventProjection | None:
    """The projection of ``executor``'s subscription operation; None when it must be executed as usual."""
    schema, operation = executor.schema, executor.operation
    root_type = schema.get_root_type(OperationType.SUBSCRIPTION)
    if operation.operation is not OperationType.SUBSCRIPTION or root_type is None:
        return None
    roots = collect_fields(schema, executor.fragments, executor.variable_values, root_type, operation)
    if len(roots.grouped_field_set) != 1 or roots.new_defer_usages or roots.forbidden_directive_instances:
        return None
    [(root_key, details)] = roots.grouped_field_set.items()
    event_type = _event_type(root_type, details[0].node.name.value)
    if event_type is None:
        return None
    fields = collect_subfields(schema, executor.fragments, executor.variable_values, operation, event_type, details)
    if fields.new_defer_usages or fields.forbidden_directive_instances:
        return None
    keys, row_fields = [], _row_fields(event_type)
    for key, field_details in fields.grouped_field_set.items():
        node = field_details[0].node
        if node.arguments or node.selection_set is not None or node.name.value not in row_fields:
            return None
        keys.append((key, node.name.value))
    return EventProjection(root_key, details[0].node.name.value, tuple(keys), event_type.name)


def row_document(event_type: GraphQLObjectType, root_field: str) -> DocumentNode:
    """The subscription selecting every field of the event (its row), executed once per publication."""
    return parse(f"subscription {{ {root_field} {{ {' '.join(sorted(_row_fields(event_type) - {TYPENAME}))} }} }}")


def _event_type(root_type: GraphQLObjectType, name: str) -> GraphQLObjectType | None:
    field = root_type.fields.get(name)
    named = get_named_type(field.type) if field is not None else None
    return named if isinstance(named, GraphQLObjectType) else None


def _row_fields(event_type: GraphQLObjectType) -> frozenset[str]:
    """The fields a row holds: the leaves without arguments (all of a publication's), and ``__typename``."""
    return frozenset(
        name for name, field in event_type.fields.items() if not field.args and is_leaf_type(get_named_type(field.type))
    ) | {TYPENAME}
