"""The static cost of a document: each field 1, a list's selection times the items it may return."""

import re

import strawberry
from graphql import parse, validate

from shared.graphql_rules import COST_CODE, CostModel, cost_rule


@strawberry.type
class Hour:
    day: int
    opens: str


@strawberry.type
class Place:
    name: str
    hours: list[Hour]


@strawberry.type
class PlaceEdge:
    node: Place


@strawberry.type
class PlaceConnection:
    edges: list[PlaceEdge]
    total_count: int


@strawberry.type
class Query:
    @strawberry.field
    def places(self, first: int = 20) -> list[Place]:
        return []

    @strawberry.field
    def search(self, first: int = 20) -> PlaceConnection:
        return PlaceConnection(edges=[], total_count=0)

    @strawberry.field
    def tags(self) -> list[str]:
        return []


SCHEMA = strawberry.Schema(query=Query)._schema


def _cost(document: str) -> int:
    """The cost the rule computes (it reports it when over a maximum of 0)."""
    errors = validate(SCHEMA, parse(document), [cost_rule(CostModel(max_cost=0, page_size=200, list_size=10))])
    [error] = errors
    assert error.extensions == {"code": COST_CODE}
    match = re.search(r"coût estimé (\d+)", error.message)
    assert match is not None
    return int(match.group(1))


def test_each_field_costs_one_and_a_list_multiplies_its_selection_by_first() -> None:
    assert _cost("{ places(first: 5) { name } }") == 1 + 5 * 1
    assert _cost("{ places(first: 5) { name hours { day opens } } }") == 1 + 5 * (1 + (1 + 10 * 2))


def test_an_absent_first_counts_its_default_a_variable_or_an_oversized_one_the_largest_page() -> None:
    assert _cost("{ places { name } }") == 1 + 20
    assert _cost("query($n: Int!) { places(first: $n) { name } }") == 1 + 200
    assert _cost("{ places(first: 100000) { name } }") == 1 + 200


def test_a_connection_pays_its_edges_once_and_fragments_and_aliases_count_in_full() -> None:
    assert _cost("{ search(first: 10) { totalCount edges { node { name } } } }") == 1 + 10 * (1 + 1 + 1 * (1 + 1))
    fragment = "fragment F on Query { places(first: 3) { name } }"
    assert _cost("{ a: places(first: 3) { name } ...F } " + fragment) == 2 * (1 + 3)
    assert _cost("{ tags }") == 1


def test_a_document_within_the_maximum_passes() -> None:
    rule = cost_rule(CostModel(max_cost=6))
    assert validate(SCHEMA, parse("{ places(first: 5) { name } }"), [rule]) == []
