"""The GraphQL contract the three services share: dates with their offset, user errors, Relay connections.

* Every ``DateTime`` is written with its offset (``2026-12-02T17:26:22.123456+00:00``). SQLite hands back naive
  values for ``DateTime(timezone=True)`` columns; the project stores UTC only, so a naive value is UTC.
* A mutation's expected failures are ``userErrors { field code message }``: ``field`` is the GraphQL path of the
  input in the caller's words (``operatingInfo.openingHours[0].opens``), ``message`` is French, ``code`` is stable.
* Every list is a Relay connection with ``totalCount`` and a capped ``first``; cursors are opaque.
"""

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

import strawberry
from strawberry.types.scalar import ScalarDefinition

from shared.errors import PermanentError

T = TypeVar("T")
MAX_PAGE = 100


def _serialize_datetime(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _parse_datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} : précisez le décalage horaire (par exemple +01:00 ou Z)")
    return parsed


AWARE_DATETIME = strawberry.scalar(
    name="DateTime",
    description="Date et heure ISO 8601, toujours avec le décalage horaire (2026-12-02T17:26:22+00:00).",
    serialize=_serialize_datetime,
    parse_value=_parse_datetime,
)
SCALAR_MAP: dict[object, ScalarDefinition] = {datetime: AWARE_DATETIME}
"""Every schema's ``StrawberryConfig(scalar_map=…)``, so that no ``DateTime`` leaves without its offset."""


@strawberry.type(name="UserError", description="Une saisie refusée : le champ, un code stable, un message en français.")
class UserError:
    field: str | None = strawberry.field(
        description="Le chemin GraphQL de la saisie en cause (operatingInfo.openingHours[0].opens), ou null."
    )
    code: str = strawberry.field(description="Code stable, pour les programmes (REQUIRED, NOT_FOUND…).")
    message: str = strawberry.field(description="Message en français, pour les personnes.")


class PageArgumentError(PermanentError):
    """``first`` or ``after`` is not acceptable; the message, in French, names the argument."""

    code = "BAD_USER_INPUT"


@strawberry.type(description="Pagination (Relay).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="Un élément d'une liste paginée et son curseur.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="Une page d'une liste (Relay) : les éléments, la pagination et le nombre total.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Nombre total d'éléments de la liste, toutes pages comprises.")


@dataclass(frozen=True)
class Page:
    """Which slice of an ordered list a request asks for: skip ``offset`` rows, return ``first``."""

    first: int
    offset: int

    @property
    def limit(self) -> int:
        """Rows to read: one more than asked, to know whether a next page exists."""
        return self.first + 1


def page_of(first: int, after: str | None, *, maximum: int = MAX_PAGE) -> Page:
    """Check ``first`` and ``after`` (an opaque offset cursor) and say which slice they ask for."""
    if not 1 <= first <= maximum:
        raise PageArgumentError(f"first : doit être compris entre 1 et {maximum} (reçu {first}).")
    return Page(first, 0 if after is None else decode_offset(after) + 1)


def connection_of(nodes: Sequence[T], page: Page, total_count: int) -> Connection[T]:
    """The connection of ``nodes``, read with ``page.limit`` from ``page.offset`` of a list of ``total_count``."""
    shown = list(nodes[: page.first])
    edges = [Edge(cursor=encode_offset(page.offset + index), node=node) for index, node in enumerate(shown)]
    info = PageInfo(
        has_next_page=len(nodes) > page.first,
        has_previous_page=page.offset > 0,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, page_info=info, total_count=total_count)


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_offset(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    kind, _, number = text.partition(":")
    if kind != "offset" or not number.isascii() or not number.isdigit() or len(number) > 9:
        raise PageArgumentError("after : ce curseur n'a pas été donné par cette liste.")
    return int(number)
