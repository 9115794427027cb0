"""Validation rules every service's GraphQL endpoint applies: they refuse a document before any resolver runs.

* :func:`single_use_rule` (S4): a sensitive root field (login, password reset…) runs at most once per request.
  Aliases and fragment spreads could otherwise multiply password guesses inside one HTTP request, below any
  per-request throttling. Batched requests (a JSON array of operations) are refused by the HTTP layer.
* :func:`cost_rule`: a static estimate of the work a document asks for, refused above a maximum. Each field costs 1
  and its selection is multiplied by the number of items it may return: the literal ``first``, the argument's
  default, or a short list's size when the field is a list without one. A ``first`` given by a variable counts as
  the largest page (its value is unknown until execution), and so does a larger literal (the field refuses it).
  A connection's ``edges`` are paid by its ``first``. Introspection (``__schema``, ``__type``) counts 1: it is off
  in production, and GraphiQL's own introspection query must pass in development (the token limit and the
  deadline still bound it).
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
)

COST_CODE = "QUERY_TOO_COSTLY"


def single_use_rule(fields: Collection[str]) -> type[ValidationRule]:
    watched = frozenset(fields)

    class SingleUseRootFields(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> None:
            fragments = _fragments(self)
            counts: dict[str, int] = {}
            _count(node.selection_set, fragments, counts, frozenset())
            for name, count in sorted(counts.items()):
                if name in watched and count > 1:
                    self.report_error(GraphQLError(f"'{name}' may be asked only once per request (found {count})."))

    return SingleUseRootFields


def _fragments(rule: ValidationRule) -> dict[str, FragmentDefinitionNode]:
    definitions = rule.context.document.definitions
    return {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}


def _count(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    counts: dict[str, int],
    visiting: frozenset[str],
) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            counts[selection.name.value] = counts.get(selection.name.value, 0) + 1
        elif isinstance(selection, InlineFragmentNode):
            _count(selection.selection_set, fragments, counts, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in visiting:
                _count(fragments[name].selection_set, fragments, counts, visiting | {name})


@dataclass(frozen=True)
class CostModel:
    max_cost: int = 20_000
    page_size: int = 200
    """Items a list may return when ``first`` is a variable (the largest page the services serve)."""
    list_size: int = 10
    """Items assumed for a list field that takes no ``first`` (short lists: opening hours, reasons…)."""


def cost_rule(model: CostModel) -> type[ValidationRule]:
    class CostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            walk = _CostWalk(model, _fragments(self), self.context.schema)
            cost = walk.selection_cost(node.selection_set, root, frozenset())
            if cost > model.max_cost:
                message = (
                    f"Requête trop coûteuse : coût estimé {cost}, maximum {model.max_cost}. "
                    "Demandez moins d'éléments (argument first) ou moins de champs imbriqués."
                )
                self.report_error(GraphQLError(message, node, extensions={"code": COST_CODE}))

    return CostLimit


class _CostWalk:
    def __init__(
        self, model: CostModel, fragments: Mapping[str, FragmentDefinitionNode], schema: GraphQLSchema
    ) -> None:
        self._model = model
        self._fragments = fragments
        self._schema = schema

    def selection_cost(self, selection_set: SelectionSetNode, parent: GraphQLNamedType, seen: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self._type(condition.name.value) if condition else parent
                total += self.selection_cost(selection.selection_set, target or parent, seen)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self._fragments.get(selection.name.value)
                if fragment is not None and fragment.name.value not in seen:
                    target = self._type(fragment.type_condition.name.value) or parent
                    total += self.selection_cost(fragment.selection_set, target, seen | {fragment.name.value})
        return total

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self._schema.get_type(name)

    def _field_cost(self, node: FieldNode, parent: GraphQLNamedType, seen: frozenset[str]) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 1
        definition = parent.fields.get(node.name.value)
        if definition is None or node.selection_set is None:
            return 1  # __typename, or a leaf
        child = self.selection_cost(node.selection_set, get_named_type(definition.type), seen)
        return 1 + self._items(node, definition, parent) * child

    def _items(self, node: FieldNode, definition: GraphQLField, parent: GraphQLNamedType) -> int:
        first = definition.args.get("first")
        if first is not None:
            given = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
            if isinstance(given, IntValueNode):  # above the largest page, the field itself refuses it
                return min(max(int(given.value), 0), self._model.page_size)
            if given is not None:
                return self._model.page_size
            return first.default_value if isinstance(first.default_value, int) else self._model.page_size
        if _is_list(definition.type) and not parent.name.endswith("Connection"):
            return self._model.list_size
        return 1


def _is_list(output: GraphQLOutputType) -> bool:
    inner = output.of_type if isinstance(output, GraphQLNonNull) else output
    return isinstance(inner, GraphQLList)


__all__ = ["COST_CODE", "CostModel", "cost_rule", "single_use_rule"]
