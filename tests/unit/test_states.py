"""States are enums: no bare status literal in the services' code, and each enum agrees with what mirrors it (the
GraphQL enums of the committed SDL, the event contracts' literals, the columns that store it)."""

import ast
from enum import Enum, StrEnum
from pathlib import Path
from typing import get_args

import pytest
from graphql import GraphQLEnumType, build_schema
from sqlalchemy import Column, String, Table

from gateway.accounts import tables as account_tables
from gateway.accounts.states import AccountStatus, AgentKind, ConnectionEvent, RevocationReason, Right
from gateway.catalogue import tables as catalogue_tables
from gateway.catalogue.states import VersionStatus
from gateway.habilitation import tables as habilitation_tables
from gateway.habilitation.states import ChallengePurpose, ConventionStatus, HabilitationRequestStatus
from gateway.submissions import tables as submission_tables
from gateway.submissions.states import SubmissionStatus
from moderation import tables as moderation_tables
from moderation.queue.states import Decision, HistoryAction, ReviewStatus
from notifier import tables as notifier_tables
from notifier.states import DeliveryState
from shared.establishment_categories import Category
from shared.events import DecisionCode, RevocationCode

ROOT = Path(__file__).resolve().parents[2]

STATES: dict[str, list[type[StrEnum]]] = {
    "gateway": [
        AccountStatus, AgentKind, Right, ConnectionEvent, RevocationReason, HabilitationRequestStatus,
        ConventionStatus, ChallengePurpose, SubmissionStatus, VersionStatus,
    ],
    "moderation": [ReviewStatus, HistoryAction, Decision, AgentKind],
    "notifier": [DeliveryState, AgentKind],
}  # fmt: skip
"""Each service's families of states. A service is scanned for its own values only: the three never share code, and
a word such as CREATED is a review step in moderation but an event's free vocabulary in the gateway."""


def _docstrings(tree: ast.AST) -> set[int]:
    bodies = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, bodies) and node.body and isinstance(node.body[0], ast.Expr)
    }


def _enum_definitions(tree: ast.AST) -> set[int]:
    """The nodes within a class deriving from an enum: where a value is written once, by definition."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        bases = [getattr(base, "id", getattr(base, "attr", "")) for base in getattr(node, "bases", [])]
        if isinstance(node, ast.ClassDef) and {"Enum", "StrEnum"} & set(bases):
            inside |= {id(child) for child in ast.walk(node)}
    return inside


def bare_literals(source: str, values: set[str]) -> list[tuple[int, str]]:
    """The string constants of ``source`` equal to one of ``values``, outside docstrings and enum definitions."""
    tree = ast.parse(source)
    skipped = _docstrings(tree) | _enum_definitions(tree)
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in values and id(node) not in skipped
    )


def _sources(service: str) -> list[Path]:
    return [path for path in sorted((ROOT / service).rglob("*.py")) if "migrations" not in path.parts]


@pytest.mark.parametrize("service", sorted(STATES))
def test_no_bare_status_literal_is_left_in_a_services_code(service: str) -> None:
    values = {member.value for family in STATES[service] for member in family}
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path in _sources(service)
        for line, value in bare_literals(path.read_text(encoding="utf-8"), values)
    ]

    assert not found, "use the enum member instead:\n" + "\n".join(found)


def test_the_scan_sees_a_bare_literal_in_code_but_not_in_docstrings_comments_or_enum_definitions() -> None:
    source = '''
"""PENDING in a docstring."""
from enum import StrEnum


class Status(StrEnum):
    PENDING = "PENDING"


def f(status: str) -> bool:
    """Is it "PENDING"?"""
    return status == "PENDING"  # "PENDING" in a comment
'''

    assert bare_literals(source, {"PENDING"}) == [(12, "PENDING")]


def _graphql_enums(service: str) -> dict[str, set[str]]:
    schema = build_schema((ROOT / service / "schema.graphql").read_text(encoding="utf-8"))
    return {
        name: set(kind.values)
        for name, kind in schema.type_map.items()
        if isinstance(kind, GraphQLEnumType) and not name.startswith("__")
    }


MIRRORED: list[tuple[str, str, type[Enum]]] = [
    ("gateway", "AccountStatus", AccountStatus),
    ("gateway", "AgentKind", AgentKind),
    ("gateway", "AgentRight", Right),
    ("gateway", "ConnectionEvent", ConnectionEvent),
    ("gateway", "ChallengePurpose", ChallengePurpose),
    ("gateway", "ConventionStatus", ConventionStatus),
    ("gateway", "HabilitationRequestStatus", HabilitationRequestStatus),
    ("gateway", "SubmissionStatus", SubmissionStatus),
    ("moderation", "ReviewStatus", ReviewStatus),
    ("moderation", "HistoryAction", HistoryAction),
    ("notifier", "DeliveryState", DeliveryState),
    ("gateway", "Category", Category),
    ("moderation", "Category", Category),
]


@pytest.mark.parametrize(("service", "graphql_name", "enum"), MIRRORED, ids=[m[1] for m in MIRRORED])
def test_each_graphql_enum_of_the_committed_sdl_has_its_states_values(
    service: str, graphql_name: str, enum: type[Enum]
) -> None:
    assert _graphql_enums(service)[graphql_name] == {member.value for member in enum}


def test_the_event_contracts_literals_are_the_enums_values() -> None:
    assert set(get_args(DecisionCode)) == {member.value for member in Decision}
    assert set(get_args(RevocationCode)) == {member.value for member in RevocationReason}


def test_a_moderators_decision_is_a_state_of_the_submission_it_decides_on_and_of_the_review_item() -> None:
    decisions = {member.value for member in Decision}

    assert decisions <= {member.value for member in SubmissionStatus}
    assert decisions <= {member.value for member in ReviewStatus}
    assert decisions <= {member.value for member in HistoryAction}


STORED: list[tuple[Table, str, type[Enum]]] = [
    (account_tables.accounts, "status", AccountStatus),
    (account_tables.accounts, "kind", AgentKind),
    (account_tables.account_rights, "right", Right),
    (account_tables.connection_log, "event", ConnectionEvent),
    (habilitation_tables.habilitation_requests, "status", HabilitationRequestStatus),
    (habilitation_tables.request_events, "status", HabilitationRequestStatus),
    (habilitation_tables.conventions, "status", ConventionStatus),
    (habilitation_tables.challenges, "purpose", ChallengePurpose),
    (submission_tables.submissions, "status", SubmissionStatus),
    (catalogue_tables.operating_info_versions, "status", VersionStatus),
    (moderation_tables.review_items, "status", ReviewStatus),
    (moderation_tables.review_history, "action", HistoryAction),
    (notifier_tables.deliveries, "status", DeliveryState),
]


@pytest.mark.parametrize(("table", "column", "enum"), STORED, ids=[f"{t.name}.{c}" for t, c, _ in STORED])
def test_each_value_fits_the_column_that_stores_it(table: Table, column: str, enum: type[Enum]) -> None:
    stored: Column[str] = table.c[column]
    assert isinstance(stored.type, String)
    assert stored.type.length is not None

    assert max(len(member.value) for member in enum) <= stored.type.length


@pytest.mark.parametrize(
    ("table", "enum"),
    [
        (submission_tables.submissions, SubmissionStatus),
        (catalogue_tables.operating_info_versions, VersionStatus),
        (moderation_tables.review_items, ReviewStatus),
    ],
    ids=["submissions", "operating_info_versions", "review_items"],
)
def test_the_partial_indexes_on_a_status_name_one_of_its_values(table: Table, enum: type[Enum]) -> None:
    wheres = [str(index.dialect_options["postgresql"]["where"]) for index in table.indexes]
    named = {where.split("'")[1] for where in wheres if where.startswith("status = '")}

    assert named
    assert named <= {member.value for member in enum}
