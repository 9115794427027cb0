"""What a compiled catalogue read builds: the public fields a query selects, already resolved (pure values).

The GraphQL layer turns a validated query into these (aliases, fragments, variables and ``@skip``/``@include``
applied, field selections merged); :mod:`gateway.catalogue.compiled_reads` has PostgreSQL build the answer's JSON
from them in one statement.
"""

from dataclasses import dataclass
from datetime import date, datetime

from gateway.catalogue.search import EstablishmentSearch


@dataclass(frozen=True)
class Member:
    """One entry of an object of the answer: its response ``key``, the schema ``field`` it reads, what it selects
    below (empty for a leaf), and for ``availabilities`` the index of its window in :attr:`CompiledRead.windows`.
    Members hold no request value: equal members are one shape, one statement."""

    key: str
    field: str
    members: tuple["Member", ...] = ()
    window: int | None = None
    type_name: str = ""
    """The object type the member belongs to (what ``__typename`` answers)."""


@dataclass(frozen=True)
class EstablishmentsRead:
    """``establishments(...)``: a page of the search, as a connection."""

    key: str
    search: EstablishmentSearch
    members: tuple[Member, ...]


@dataclass(frozen=True)
class NodeSelection:
    """What a query selects on an object of ``type_name`` (``Establishment``, ``Commune``, ``Caf`` or
    ``Provider``) named by a global ID."""

    type_name: str
    members: tuple[Member, ...]


@dataclass(frozen=True)
class NodeRead:
    """``node(id:)``: the object of that type and key, or null when there is none (or, for an establishment, it is
    closed)."""

    key: str
    selection: NodeSelection
    node_key: str


@dataclass(frozen=True)
class NodesRead:
    """``nodes(ids:)``: one object or null per ID, in their order."""

    key: str
    selections: tuple[NodeSelection, ...]
    """One per type the IDs name, by type name."""
    ids: tuple[tuple[str, str], ...]
    """(type name, key) of each ID."""


@dataclass(frozen=True)
class CommunesRead:
    """``communes(search:, first:)``: the communes whose name or postal code starts with ``text``."""

    key: str
    text: str
    first: int
    members: tuple[Member, ...]


@dataclass(frozen=True)
class CafsRead:
    """``cafs(first:)``: the first Caf by code."""

    key: str
    first: int
    members: tuple[Member, ...]


RootRead = EstablishmentsRead | NodeRead | NodesRead | CommunesRead | CafsRead


@dataclass(frozen=True)
class CompiledRead:
    """Every root field of one query, and the instants it is read at (Paris « today », now in UTC)."""

    roots: tuple[RootRead, ...]
    windows: tuple[tuple[date, date], ...]
    """The days each ``availabilities`` member covers (first and last), by index."""
    today: date
    now: datetime
