"""S4: a sensitive root field (login, password reset…) runs at most once per request.

Aliases and fragment spreads could otherwise multiply password guesses inside one HTTP request, below any
per-request throttling. Batched requests (a JSON array of operations) are refused by the HTTP layer.
"""

from collections.abc import Collection

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

SENSITIVE_ROOT_FIELDS: frozenset[str] = frozenset(
    {
        "login",
        "requestPasswordReset",
        "changePassword",
        "refreshSession",
        "createChallenge",
        "requestHabilitation",
        "activateHabilitation",
        "deactivateAgent",
    }
)


def single_use_rule(fields: Collection[str] = SENSITIVE_ROOT_FIELDS) -> type[ValidationRule]:
    watched = frozenset(fields)

    class SingleUseRootFields(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> None:
            fragments = {
                d.name.value: d for d in self.context.document.definitions if isinstance(d, FragmentDefinitionNode)
            }
            counts: dict[str, int] = {}
            _count(node.selection_set, fragments, counts, frozenset())
            for name, count in sorted(counts.items()):
                if name in watched and count > 1:
                    self.report_error(GraphQLError(f"'{name}' may be asked only once per request (found {count})."))

    return SingleUseRootFields


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


__all__ = ["SENSITIVE_ROOT_FIELDS", "single_use_rule"]
