"""The compiled read path's planner and response encoder, without a database."""

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse
from graphql.execution.values import get_variable_values

from gateway.catalogue.selections import (
    CafsRead,
    CommunesRead,
    CompiledRead,
    EstablishmentsRead,
    Member,
    NodeRead,
    NodeSelection,
    NodesRead,
)
from gateway.graphql.compiled import CompiledData, encode_response
from gateway.graphql.compiled_plan import Unsupported, plan_read
from gateway.graphql.relay import to_global_id
from gateway.graphql.schema import build_schema

SCHEMA = build_schema()._schema
TODAY = date(2026, 12, 3)


def _plan(document: str, variables: dict[str, Any] | None = None) -> CompiledRead | Unsupported:
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)}
    values = get_variable_values(SCHEMA, operation.variable_definitions or (), variables or {})
    assert not isinstance(values, list), values
    return plan_read(SCHEMA, operation, fragments, values, today=TODAY, now=datetime(2026, 12, 3, tzinfo=UTC))


def test_aliases_fragments_and_directives_resolve_into_merged_members() -> None:
    plan = _plan(
        """query ($no: Boolean!) {
             found: establishments(first: 2) { edges { node { ...Names ... on Node { id } n: name @skip(if: $no)
                                                             availabilities(from: "2026-12-10") { date } } } }
           }
           fragment Names on Establishment { name address { oneLine } address { postalCode } }""",
        {"no": True},
    )

    assert isinstance(plan, CompiledRead)
    (root,) = plan.roots
    assert isinstance(root, EstablishmentsRead)
    node = root.members[0].members[0]
    assert [m.key for m in node.members] == ["name", "address", "id", "availabilities"]
    assert [m.field for m in node.members[1].members] == ["oneLine", "postalCode"]
    assert plan.windows == ((date(2026, 12, 10), date(2026, 12, 23)),)
    assert node.members[3] == Member(
        "availabilities", "availabilities", (Member("date", "date", type_name="Availability"),), 0, "Establishment"
    )


def test_node_and_nodes_select_by_the_type_each_id_names() -> None:
    key = "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2003"
    establishment, caf = to_global_id("Establishment", key), to_global_id("Caf", "CAF59")
    selection = "__typename ... on Commune { insee } ... on Caf { code } ... on Node { id }"
    plan = _plan(f'{{ node(id: "{establishment}") {{ {selection} }} all: nodes(ids: ["{caf}"]) {{ {selection} }} }}')

    assert isinstance(plan, CompiledRead)
    typename = Member("__typename", "__typename", type_name="Establishment")
    establishment_id = Member("id", "id", type_name="Establishment")
    assert plan.roots[0] == NodeRead("node", NodeSelection("Establishment", (typename, establishment_id)), key)
    caf_members = tuple(Member(name, name, type_name="Caf") for name in ("__typename", "code", "id"))
    assert plan.roots[1] == NodesRead("all", (NodeSelection("Caf", caf_members),), (("Caf", "CAF59"),))


def test_nodes_selects_once_per_type_whatever_the_number_of_ids() -> None:
    ids = [to_global_id("Provider", "p1"), to_global_id("Commune", "59207"), to_global_id("Provider", "p2")]
    plan = _plan("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})

    assert isinstance(plan, CompiledRead)
    (root,) = plan.roots
    assert isinstance(root, NodesRead)
    assert [selection.type_name for selection in root.selections] == ["Commune", "Provider"]
    assert root.ids == (("Provider", "p1"), ("Commune", "59207"), ("Provider", "p2"))
    too_many = {"ids": [to_global_id("Caf", f"CAF{n}") for n in range(101)]}
    assert _plan("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", too_many) == Unsupported("invalid-argument")


def test_communes_and_cafs_take_their_arguments() -> None:
    plan = _plan('{ communes(search: "Val", first: 3) { name } cafs { code } }')

    assert isinstance(plan, CompiledRead)
    assert plan.roots == (
        CommunesRead("communes", "Val", 3, (Member("name", "name", type_name="Commune"),)),
        CafsRead("cafs", 200, (Member("code", "code", type_name="Caf"),)),
    )


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("{ service { name } }", "root:service"),
        ('{ communes(search: "E") { name } }', "invalid-argument"),
        ('{ communes(search: "Esc", first: 51) { name } }', "invalid-argument"),
        ("{ cafs(first: 0) { code } }", "invalid-argument"),
        ('{ node(id: "VW5rbm93bjox") { id } }', "invalid-argument"),
        ('{ nodes(ids: ["nope"]) { id } }', "invalid-argument"),
        (
            "{ establishments { edges { node { availabilityStatus { updatedAt } } } } }",
            "field:AvailabilityStatus.updatedAt",
        ),
        ("{ establishments(first: 500) { totalCount } }", "invalid-argument"),
        ('{ establishments(after: "nope") { totalCount } }', "invalid-argument"),
        ('{ node(id: "nope") { id } }', "invalid-argument"),
        (
            '{ establishments { edges { node { availabilities(from: "2026-12-10", to: "2026-12-01") { date } } } } }',
            "invalid-argument",
        ),
        ("mutation { logout { ok } }", "not-a-query"),
    ],
)
def test_what_is_not_compiled_says_why(document: str, reason: str) -> None:
    assert _plan(document) == Unsupported(reason)


def test_a_compiled_answer_is_encoded_as_json_dumps_would() -> None:
    data = {"name": 'Crèche « l\'Île » \\ "🐣"\t\x7f', "n": [1, 2.5, None, True]}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))  # as PostgreSQL writes it

    assert encode_response({"data": CompiledData(text)}) == json.dumps({"data": data}, separators=(",", ":")).encode()
    with_extensions = {"data": CompiledData(text), "extensions": {"cost": 3}}
    expected = {"data": data, "extensions": {"cost": 3}}
    assert encode_response(with_extensions) == json.dumps(expected, separators=(",", ":")).encode()
    assert encode_response({"data": {"a": 1}}) is None
