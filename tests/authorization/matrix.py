"""The S16 table (``matrix.toml``) and what the services' SDLs hold: operations and sensitive fields."""

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import strawberry
from graphql import GraphQLObjectType
from graphql import build_schema as parse_sdl

from gateway.graphql.schema import build_schema as build_gateway_schema
from moderation.graphql.schema import build_schema as build_moderation_schema
from notifier.graphql import build_schema as build_notifier_schema

TABLE = Path(__file__).with_name("matrix.toml")
SERVICES = ("gateway", "moderation", "notifier")
ROOTS = {"query_type": "Query", "mutation_type": "Mutation", "subscription_type": "Subscription"}
SENSITIVE = re.compile(
    r"(?i)(e?mail|recipient|phone|identifier|agentnumber|siret|apikey|token|useragent|persons|signator|createdby|claimedby|"
    r"submittedby|decidedby|history|comment|contact|lastused|^accounts$|^keys$|^address$|^note$|proposed|^reasons$|"
    r"^changes$)"
)
"""Field names that are personal, secret or audit data: each such field of either SDL needs a row."""
DENIALS = {
    "unauth": "UNAUTHENTICATED",
    "forbid": "FORBIDDEN",
    "notfound": "NOT_FOUND",
    "outside": "OUTSIDE_TERRITORY",
    "invalid": "INVALID_CREDENTIALS",
    "norefresh": "INVALID_REFRESH_TOKEN",
    "skipped": "SKIPPED",
    "refused": "4403",
}
GRANTS = ("public", "allowed", "own")


@dataclass(frozen=True)
class Row:
    service: str
    name: str
    """``Query.me``, ``Mutation.login``… for operations; ``Type.field`` for sensitive fields."""
    via: str
    """The operation that runs the cell (the row's own name for an operation)."""
    expect: dict[str, str]
    """Role → outcome (``public``, ``allowed``, ``own`` or a key of ``DENIALS``)."""

    @property
    def field(self) -> str | None:
        return None if self.via == self.name else self.name.split(".", 1)[1]


@dataclass(frozen=True)
class Cell:
    row: Row
    role: str

    @property
    def outcome(self) -> str:
        return self.row.expect[self.role]

    @property
    def denial(self) -> str | None:
        return DENIALS.get(self.outcome)

    @property
    def id(self) -> str:
        return f"{self.row.service}:{self.row.name} x {self.role}"


@cache
def table() -> dict[str, object]:
    with TABLE.open("rb") as file:
        return tomllib.load(file)


def roles() -> list[str]:
    found = table()["roles"]
    assert isinstance(found, list)
    return [str(role) for role in found]


def rows() -> list[Row]:
    found = []
    for service in SERVICES:
        section = table()[service]
        assert isinstance(section, dict)
        for name, expect in section["operations"].items():
            found.append(Row(service, name, name, dict(zip(roles(), expect, strict=True))))
        for name, spec in section["fields"].items():
            found.append(Row(service, name, spec["via"], dict(zip(roles(), spec["expect"], strict=True))))
    return found


def cells() -> list[Cell]:
    return [Cell(row, role) for row in rows() for role in roles()]


def notes(service: str) -> dict[str, str]:
    section = table()[service]
    assert isinstance(section, dict)
    return dict(section.get("notes", {}))


@cache
def sdl(service: str) -> str:
    builders: dict[str, Callable[[], strawberry.Schema]] = {
        "gateway": build_gateway_schema, "moderation": build_moderation_schema, "notifier": build_notifier_schema,
    }  # fmt: skip
    return builders[service]().as_str()


@cache
def operations(service: str) -> frozenset[str]:
    """``Query.x``, ``Mutation.y``, ``Subscription.z``: every root field of the service's SDL."""
    schema = parse_sdl(sdl(service))
    found: set[str] = set()
    for attribute, kind in ROOTS.items():
        root = getattr(schema, attribute)
        if root is not None:
            found |= {f"{kind}.{name}" for name in root.fields}
    return frozenset(found)


@cache
def fields(service: str) -> frozenset[str]:
    """``Type.field`` for every field of every object type of the SDL (roots excepted)."""
    schema = parse_sdl(sdl(service))
    roots = {root.name for root in (schema.query_type, schema.mutation_type, schema.subscription_type) if root}
    return frozenset(
        f"{name}.{field}"
        for name, kind in schema.type_map.items()
        if isinstance(kind, GraphQLObjectType) and not name.startswith("__") and name not in roots
        for field in kind.fields
    )


def sensitive_fields(service: str) -> frozenset[str]:
    return frozenset(name for name in fields(service) if SENSITIVE.search(name.split(".", 1)[1]))
