"""Compiled reads: PostgreSQL builds a catalogue answer's JSON text in one statement (PostgreSQL only).

The rows are those of :mod:`gateway.catalogue.repositories` (same joins, filters, order and limits: this module
reuses them); only the shaping differs. Every value is written as the normal path's JSON encoder writes it:
strings and enums through ``to_json``, labels and constants pre-serialised here, floats with Python's ``repr``
(shortest round-trip digits, ``.0`` on whole numbers), distances rounded like ``round(x, 3)``, IDs and cursors
in unpadded URL-safe base64. Non-ASCII characters are left as they are: the caller escapes them as Python's
``json.dumps`` does.
"""

import json
import math
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Float,
    Integer,
    Interval,
    Numeric,
    Select,
    Text,
    Time,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql.elements import Label
from sqlalchemy.sql.selectable import CTE, FromClause, Subquery

from gateway.catalogue import repositories
from gateway.catalogue.compiled_json import (
    Json,
    ascii_json,
    base64url,
    concat,
    const,
    float_json,
    geo_point,
    global_id,
    json_array,
    json_object,
    json_strings,
    json_value,
    labels,
    nullable,
    sql,
    sql_string,
    text_json,
)
from gateway.catalogue.compiled_references import (
    CommuneColumns,
    caf,
    cafs_list,
    commune,
    communes_list,
    provider,
    reference_node,
)
from gateway.catalogue.domain import STALE_AFTER, Area, search_key, size_class
from gateway.catalogue.search import EstablishmentSearch
from gateway.catalogue.selections import (
    CafsRead,
    CommunesRead,
    CompiledRead,
    EstablishmentsRead,
    Member,
    NodeRead,
    NodeSelection,
    NodesRead,
    RootRead,
)
from gateway.catalogue.tables import availabilities
from gateway.catalogue.vocabulary import AgeUnit, AvailabilityState, Category, EajeType
from shared.operating_info import OperatingInfoDocument, graphql_name

_RADIANS = math.radians(1.0)
_EARTH_DIAMETER_KM = 2 * 6371.0088


STATEMENTS_KEPT = 256
_statements: OrderedDict[Hashable, "_Statement"] = OrderedDict()
"""SQL texts by query shape, least recently used first (building and compiling one costs milliseconds; reusing it
costs a dictionary look-up, and asyncpg's prepared statement cache, as large, saves its parsing by PostgreSQL).
Bounded, like the parser and validation caches (S10)."""
_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class _Statement:
    """A shape's statement as PostgreSQL takes it: SQL text with positional parameters (``$1``…), the constants of
    the statement at their positions, and the positions a request's named values fill (with an index into the
    value when it is a list: ``IN ($3, $4)``)."""

    sql: str
    constants: tuple[Any, ...]
    taken: tuple[tuple[int, str, int | None], ...]

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        arguments = list(self.constants)
        for position, name, item in self.taken:
            arguments[position] = values[name] if item is None else values[name][item]
        return arguments


@dataclass(frozen=True)
class CompiledAnswer:
    data: str
    """The ``data`` object of the answer, as JSON text (non-ASCII characters unescaped)."""
    changes_at: datetime | None
    """The first instant at which an availability status of the answer turns « périmée » by the clock alone
    (None when none can): a cache keeps the answer until then at most."""


async def read_compiled(connection: asyncpg.Connection, read: CompiledRead) -> CompiledAnswer:
    """The answer of ``read``, by one statement on ``connection`` (in autocommit or in a transaction)."""
    values = _values(read)
    statement = _statement(read, values)
    row = await connection.fetchrow(statement.sql, *statement.arguments(values))
    assert row is not None  # a statement of scalar subqueries has exactly one row
    texts, moments = row[: len(read.roots)], [moment for moment in row[len(read.roots) :] if moment is not None]
    data = "{" + ",".join(f'"{root.key}":{text}' for root, text in zip(read.roots, texts, strict=True)) + "}"
    return CompiledAnswer(data, min(moments, default=None))


def _statement(read: CompiledRead, values: dict[str, Any]) -> _Statement:
    shape = tuple(_shape(root) for root in read.roots)
    statement = _statements.get(shape)
    if statement is None:
        statement = _statements[shape] = _compile(_select(read), values)
        if len(_statements) > STATEMENTS_KEPT:
            _statements.popitem(last=False)
    else:
        _statements.move_to_end(shape)
    return statement


def _select(read: CompiledRead) -> Select[Any]:
    built_roots = [_root(root, index) for index, root in enumerate(read.roots)]
    columns: list[Label[Any]] = [text.label(f"r{index}") for index, (text, _) in enumerate(built_roots)]
    columns += [moment.label(f"s{index}") for index, (_, moment) in enumerate(built_roots) if moment is not None]
    return select(*columns)


def _compile(query: Select[Any], values: dict[str, Any]) -> _Statement:
    """``query`` as asyncpg's SQLAlchemy dialect writes it (typed ``$n::TYPE`` parameters), lists expanded to as
    many parameters as ``values`` has items (the shape fixes their lengths)."""
    compiled = query.compile(dialect=_DIALECT)
    expanded = compiled.construct_expanded_state(values)
    converted = [name for name in compiled.binds if compiled._bind_processors.get(name)]
    # ARRAY's processor copies a list of strings into an equal list: the value can be passed as it is.
    assert all(isinstance(compiled.binds[name].type, ARRAY) for name in converted), "a value needs converting"
    items = {
        item_name: (name, index)
        for name, item_names in expanded.parameter_expansion.items()
        for index, item_name in enumerate(item_names)
    }
    names = expanded.positiontup or []
    taken = tuple((position, *items.get(name, (name, None))) for position, name in enumerate(names))
    constants = tuple(None if name in values or name in items else expanded.parameters[name] for name in names)
    return _Statement(expanded.statement, constants, tuple(t for t in taken if t[1] in values))


def _shape(root: RootRead) -> Hashable:
    """What the statement of ``root`` depends on: its members, which filters are given and how many items the
    lists have, never their values."""
    if isinstance(root, NodeRead):
        return ("node", root.key, root.selection)
    if isinstance(root, NodesRead):
        return ("nodes", root.key, root.selections)
    if isinstance(root, CommunesRead):
        return ("communes", root.key, root.members, search_key(root.text).isdigit())
    if isinstance(root, CafsRead):
        return ("cafs", root.key, root.members)
    search = root.search
    given = (search.departement, search.commune_insee, search.postal_code)
    lists = (len(search.categories or ()), len(search.eaje_types or ()))
    present = (search.after, search.child_age_months, search.free_between)
    points = len(search.area.points) if search.area is not None else 0
    return (
        "establishments",
        root.key,
        root.members,
        tuple(map(bool, given)),
        lists,
        tuple(v is None for v in present),
        points,
    )


def _values(read: CompiledRead) -> dict[str, Any]:
    """The value of every named parameter of the read's statement."""
    values: dict[str, Any] = {"now": read.now}
    for index, (start, end) in enumerate(read.windows):
        values |= {f"w{index}_from": start, f"w{index}_to": end}
    for index, root in enumerate(read.roots):
        record = _recording(f"r{index}_", values)
        if isinstance(root, NodeRead | NodesRead):
            _record_nodes(root, read.today, record)
        elif isinstance(root, CommunesRead):
            repositories.communes_query(root.text, root.first, record)
        elif isinstance(root, CafsRead):
            repositories.cafs_query(root.first, record)
        else:
            _record_search(root.search, read.today, record)
    return values


def _record_nodes(root: NodeRead | NodesRead, today: date, record: repositories.Value) -> None:
    if isinstance(root, NodeRead):
        record("id", root.node_key)
    else:
        record("types", [type_name for type_name, _ in root.ids])
        record("keys", [key for _, key in root.ids])
    record("today", today)
    record("soon", today + timedelta(days=repositories.SOON_DAYS - 1))


def _record_search(search: EstablishmentSearch, today: date, record: repositories.Value) -> None:
    record("today", today)
    record("soon", today + timedelta(days=repositories.SOON_DAYS - 1))
    repositories.search_conditions(search, record)
    repositories.search_after(search, record)
    record("limit", search.first + 1)
    record("first", search.first)
    for index, point in enumerate(search.area.points if search.area is not None else ()):
        record(f"dlat{index}", math.radians(point.latitude))
        record(f"dcos{index}", math.cos(math.radians(point.latitude)))
        record(f"dlon{index}", point.longitude)


def _recording(prefix: str, values: dict[str, Any]) -> repositories.Value:
    def record(name: str, value: Any) -> Any:
        values[prefix + name] = value
        return value

    return record


def _named(prefix: str) -> repositories.Value:
    """Values as named parameters, given at execution by :func:`_values` (a forgotten one is an error)."""

    def named(name: str, value: Any) -> Any:
        return bindparam(prefix + name, expanding=isinstance(value, list), required=True)

    return named


def _float_parameter(name: str) -> ColumnElement[float]:
    return bindparam(name, type_=Float, required=True)


def _root(root: RootRead, index: int) -> tuple[Json, ColumnElement[datetime] | None]:
    """The root's JSON, and when its answer asks for availability statuses, the first future instant one of its
    establishments' statuses turns « périmée »."""
    prefix = f"r{index}_"
    if isinstance(root, EstablishmentsRead):
        return _connection(root, index)
    if isinstance(root, NodeRead):
        named = _named(prefix)
        found, row = _node(root.selection, named("id", root.node_key), named, str(index))
        return found, _first_staleness(root.selection.members, row) if row is not None else None
    if isinstance(root, NodesRead):
        return _nodes(root, index)
    if isinstance(root, CommunesRead):
        return communes_list(root, _named(prefix), f"communes_{index}"), None
    return cafs_list(root, _named(prefix), f"cafs_{index}"), None


def _nodes(root: NodesRead, index: int) -> tuple[Json, ColumnElement[datetime] | None]:
    """One object or ``null`` per ID, in order: the IDs are two array parameters (types, keys), so that one
    statement serves any number of IDs; each type's object is a subquery on the key of the ID's row."""
    named = _named(f"r{index}_")
    ids = f"ids_{index}"
    items = (
        func.unnest(_text_array(f"r{index}_types"), _text_array(f"r{index}_keys"))
        .table_valued("t", "k", with_ordinality="o")
        .render_derived(name=ids)
    )
    key = literal_column(f"{ids}.k", Text)  # the objects' subqueries are correlated by name, in their own FROMs
    whens: list[tuple[ColumnElement[bool], Json]] = []
    changes: ColumnElement[datetime] | None = None
    for selection in root.selections:
        found, row = _node(selection, key, named, f"{index}_{selection.type_name.lower()}")
        whens.append((items.c.t == selection.type_name, found))
        if row is not None and _selects(selection.members, "availabilityStatus"):
            changes = _soonest_staleness(items, row)
    item = case(*whens, else_=sql("'null'")) if whens else sql("'null'")
    return json_array(item, items, [items.c.o]), changes


def _soonest_staleness(items: FromClause, row: Subquery) -> ColumnElement[datetime]:
    """The first future instant a status of the establishments named by ``items`` turns « périmée »."""
    now = bindparam("now", type_=DateTime(timezone=True), required=True)
    turns = select(_stale_after(row)).select_from(row).scalar_subquery()
    named = select(turns.label("turns")).select_from(items).where(items.c.t == "Establishment").subquery()
    return select(func.min(named.c.turns)).where(named.c.turns > now).scalar_subquery()


def _text_array(name: str) -> ColumnElement[Any]:
    """A ``text[]`` parameter, given as a list of strings."""
    return bindparam(name, type_=ARRAY(Text), required=True)


def _first_staleness(members: Sequence[Member], row: CTE | Subquery) -> ColumnElement[datetime] | None:
    if not _selects(members, "availabilityStatus"):
        return None
    now = bindparam("now", type_=DateTime(timezone=True), required=True)
    turns = _stale_after(row)
    return select(func.min(turns)).select_from(row).where(turns > now).scalar_subquery()


def _stale_after(row: CTE | Subquery) -> ColumnElement[datetime]:
    """:func:`domain.stale_after` of the row."""
    weekly = row.c.availability_updated_at + literal(STALE_AFTER, Interval)
    return func.coalesce(row.c.availability_stale_after, weekly)


# ---- establishments ----------------------------------------------------------------------------------------


def _connection(root: EstablishmentsRead, index: int) -> tuple[Json, ColumnElement[datetime] | None]:
    search = root.search
    named = _named(f"r{index}_")
    needs_summary = _selects(root.members, "availabilityStatus")
    page = repositories.page_query(search, with_summary=needs_summary, value=named).cte(f"page_{index}")
    first = named("first", search.first)
    rows = select(page, *_parsed_document(root.members, page)).order_by(page.c.sort_value, page.c.id).limit(first)
    shown = rows.cte(f"shown_{index}")
    order = (shown.c.sort_value, shown.c.id)
    area = _Area(f"r{index}_", search.area) if search.area is not None else None

    def value_of(member: Member) -> Json:
        if member.field == "totalCount":
            return cast(repositories.count_query(search, named).scalar_subquery(), Text)
        if member.field == "edges":
            return json_array(_edge(member.members, shown, area), shown, order)
        return json_object(member.members, lambda info: _page_info(info, page, shown, search, first))

    return json_object(root.members, value_of), _first_staleness(root.members, shown)


@dataclass(frozen=True)
class _Area:
    """A search's points, as the named parameters of one root (``dlat``, ``dcos``, ``dlon``)."""

    prefix: str
    area: Area


def _page_info(member: Member, page: CTE, shown: CTE, search: EstablishmentSearch, first: Any) -> Json:
    if member.field == "hasNextPage":
        more = select(func.count()).select_from(page).scalar_subquery() > first
        return case((more, sql("'true'")), else_=sql("'false'"))
    if member.field == "hasPreviousPage":
        return const("true" if search.after is not None else "false")
    direction: tuple[ColumnElement[Any], ...] = (shown.c.sort_value, shown.c.id)
    if member.field == "endCursor":
        direction = (shown.c.sort_value.desc(), shown.c.id.desc())
    found = select(_cursor(shown, search.area is not None)).order_by(*direction).limit(1).scalar_subquery()
    return func.coalesce(found, sql("'null'"))


def _edge(members: Sequence[Member], row: CTE, area: _Area | None) -> Json:
    def value_of(member: Member) -> Json:
        if member.field == "cursor":
            return _cursor(row, area is not None)
        return _establishment(member.members, row, area)

    return json_object(members, value_of)


def _cursor(row: CTE | Subquery, near: bool) -> Json:
    """``encode_cursor((sort value, id))``: base64 of ``json.dumps([value, id], separators=(",", ":"))``."""
    value = float_json(row.c.sort_value) if near else ascii_json(text_json(row.c.sort_value))
    key = concat(["[", value, ",", text_json(row.c.id), "]"])
    return concat(['"', base64url(key), '"'])


def _node(
    selection: NodeSelection, key: ColumnElement[str], value: repositories.Value, name: str
) -> tuple[Json, Subquery | None]:
    """The object of ``selection``'s type whose key is ``key``, or ``null``; for an establishment, its row too (the
    loaders' rows: an establishment closed today is none)."""
    if selection.type_name != "Establishment":
        return reference_node(selection, key, f"row_{name}"), None
    members = selection.members
    lookup = repositories.page_query_of("", date.min, lambda n, v: key if n == "id" else value(n, v))
    found_row = lookup.subquery(f"row_{name}")
    row = select(found_row, *_parsed_document(members, found_row)).limit(1).subquery(f"node_{name}")
    found = select(_establishment(members, row, None)).select_from(row).limit(1).scalar_subquery()
    return func.coalesce(found, sql("'null'")), row


def _parsed_document(members: Sequence[Member], row: CTE | Subquery) -> list[Label[Any]]:
    """The published document as ``jsonb`` when the answer reads it: parsed once per row, where each ``->`` on the
    stored ``json`` parses it again. The row's query has a LIMIT, so PostgreSQL computes the column once."""
    return [cast(row.c.info_document, JSONB).label("info_jsonb")] if _reads_document(members) else []


def _reads_document(members: Sequence[Member]) -> bool:
    return any(
        _reads_document(member.members)
        or (member.field == "operatingInfo" and any(m.field not in _ROW_INFO for m in member.members))
        for member in members
    )


def _selects(members: Sequence[Member], field: str) -> bool:
    return any(m.field == field or _selects(m.members, field) for m in members)


def _establishment(members: Sequence[Member], row: CTE | Subquery, area: _Area | None) -> Json:
    c = row.c
    is_eaje = c.category == Category.EAJE.value
    plain = {
        "name": c.name,
        "category": c.category,
        "eajeType": c.eaje_type,
        "parental": c.parental,
        "occasionalOnly": c.occasional_only,
        "avip": c.avip,
        "management": c.management,
        "phone": c.phone,
        "phone2": c.phone2,
        "email": c.email,
        "website": c.website,
        "capacity": c.capacity,
    }

    def value_of(member: Member) -> Json:
        field = member.field
        if field in plain:
            return json_value(plain[field])
        if field == "id":
            return global_id("Establishment", c.id)
        if field == "categoryLabel":
            return labels(c.category, Category)
        if field == "eajeTypeLabel":
            return labels(c.eaje_type, EajeType)
        if field == "sizeClass":
            return _size_class(c.eaje_type, c.capacity)
        if field == "alshKinds":
            return json_strings(c.alsh_kinds)
        if field == "distanceKm":
            return _distance(row, area) if area is not None else const("null")
        if field == "address":
            return json_object(member.members, lambda m: _address(m, row))
        if field == "location":
            return geo_point(member.members, c.latitude, c.longitude)
        if field == "provider":
            return _provider(member.members, row)
        if field == "caf":
            return _caf(member.members, row)
        if field == "commune":
            return _commune(member.members, row)
        if field == "operatingInfo":
            return nullable(c.info_version.is_not(None), _operating_info(member.members, row))
        if field == "availabilityStatus":
            return nullable(is_eaje, _availability_status(member.members, row))
        assert field == "availabilities"
        return case((is_eaje, _availabilities(member, c.id)), else_=sql("'[]'"))

    return json_object(members, value_of)


@cache
def _size_thresholds() -> dict[EajeType, list[tuple[int, str]]]:
    """For each EAJE type, (capacity from which, size class), derived from :func:`size_class` itself."""
    found: dict[EajeType, list[tuple[int, str]]] = {}
    for eaje_type in EajeType:
        steps: list[tuple[int, str]] = []
        for capacity in range(0, 1_001):
            value = size_class(eaje_type, capacity)
            assert value is not None
            if not steps or steps[-1][1] != value.value:
                steps.append((capacity, value.value))
        found[eaje_type] = steps
    return found


def _size_class(eaje_type: ColumnElement[str], capacity: ColumnElement[int]) -> Json:
    whens = []
    for kind, steps in _size_thresholds().items():
        for start, value in reversed(steps):
            whens.append((and_(eaje_type == kind.value, capacity >= start), const(json.dumps(value))))
    return case(*whens, else_=sql("'null'"))


def _distance(row: CTE | Subquery, area: _Area) -> Json:
    """``round(min(haversine(point, establishment)), 3)``, with the operations of :func:`domain.distance_km`."""
    radians = literal(_RADIANS, Float)
    lat2 = row.c.latitude * radians
    distances = []
    for index in range(len(area.area.points)):
        lat1, cos1 = _float_parameter(f"{area.prefix}dlat{index}"), _float_parameter(f"{area.prefix}dcos{index}")
        dlat = lat2 - lat1
        dlon = (row.c.longitude - _float_parameter(f"{area.prefix}dlon{index}")) * radians
        h = func.power(func.sin(dlat / 2.0), 2.0) + cos1 * func.cos(lat2) * func.power(func.sin(dlon / 2.0), 2.0)
        distances.append(literal(_EARTH_DIAMETER_KM, Float) * func.asin(func.sqrt(h)))
    nearest = distances[0] if len(distances) == 1 else func.least(*distances)
    return float_json(cast(func.round(cast(nearest, Numeric), 3), Float))


def _address(member: Member, row: CTE | Subquery) -> Json:
    c = row.c
    columns = {
        "streetNumber": c.street_number,
        "streetName": c.street_name,
        "complement": c.address_complement,
        "postalCode": c.postal_code,
        "communeInsee": c.commune_insee,
        "communeName": c.commune_name,
    }
    if member.field in columns:
        return json_value(columns[member.field])
    assert member.field == "oneLine"
    # Empty parts are left out, as Address.one_line does (concat_ws skips NULLs).
    street = func.nullif(func.concat_ws(" ", func.nullif(c.street_number, ""), func.nullif(c.street_name, "")), "")
    commune = c.postal_code + sql("' '") + c.commune_name
    return text_json(func.concat_ws(", ", street, func.nullif(c.address_complement, ""), func.nullif(commune, "")))


def _provider(members: Sequence[Member], row: CTE | Subquery) -> Json:
    return provider(members, row.c.provider_id, row.c.provider_name, row.c.provider_kind)


def _caf(members: Sequence[Member], row: CTE | Subquery) -> Json:
    return caf(members, row.c.caf_code, row.c.caf_label, row.c.caf_head_office)


def _commune(members: Sequence[Member], row: CTE | Subquery) -> Json:
    c = row.c
    columns = CommuneColumns(
        c.commune_insee,
        c.commune_name,
        c.departement,
        c.commune_population,
        c.commune_latitude,
        c.commune_longitude,
        c.commune_postal_codes,
    )
    return commune(members, columns)


# ---- published operating information ---------------------------------------------------------------------------

_DOCUMENT = OperatingInfoDocument.model_fields
_LISTS = ("closure_periods", "funding", "care_kinds", "languages", "eligible_work_communes", "eligible_home_communes")
_BOOLEANS = ("by_appointment", "closed_on_public_holidays", "national_fee_scale", "meals_provided", "nappies_provided")
_TEXTS = [
    "hours_note",
    "disability_welcome",
    "project",
    "provider_presentation",
    "team",
    "fees",
    "admission_conditions",
    "registration",
]
_PYTHON_NAMES = {graphql_name(name): name for name in _DOCUMENT}
_ROW_INFO = ("version", "openingHours", "__typename")
"""What the compiled path reads from the operating info's row, not from its document."""


def _get(document: ColumnElement[object], key: str) -> ColumnElement[object]:
    return document.op("->")(literal_column(sql_string(key)))


def _get_text(document: ColumnElement[object], key: str) -> ColumnElement[str]:
    return type_coerce(document.op("->>")(literal_column(sql_string(key))), Text)


def _operating_info(members: Sequence[Member], row: CTE | Subquery) -> Json:
    c = row.c

    def value_of(member: Member) -> Json:
        if member.field == "version":
            return json_value(c.info_version)
        if member.field == "openingHours":
            return json_value(c.info_opening_hours)
        document = c.info_jsonb
        if member.field == "weeklyHours":
            return _weekly_hours(member.members, document)
        if member.field in ("ageMin", "ageMax"):
            return _age(member.members, _get(document, _PYTHON_NAMES[member.field]))
        return _document_leaf(document, _PYTHON_NAMES[member.field])

    return json_object(members, value_of)


def _document_leaf(document: ColumnElement[object], name: str) -> Json:
    default = json.dumps(_DOCUMENT[name].get_default(call_default_factory=True))
    if name in _LISTS:
        return json_strings(_get(document, name), default, binary=True)
    if name in _BOOLEANS:
        value = _get_text(document, name)
        return case((value == "true", const("true")), (value == "false", const("false")), else_=const(default))
    if name == "capacity":
        return func.coalesce(cast(cast(_get_text(document, name), Integer), Text), const(default))
    assert name in _TEXTS, name
    return func.coalesce(text_json(_get_text(document, name)), const(default))


def _weekly_hours(members: Sequence[Member], document: ColumnElement[object]) -> Json:
    slots = func.jsonb_array_elements(func.coalesce(_get(document, "opening_hours"), cast(const("[]"), JSONB)))
    alias = slots.table_valued("s", with_ordinality="o").render_derived(name="h")
    slot = literal_column("h.s", JSONB)

    def value_of(member: Member) -> Json:
        if member.field == "day":
            return text_json(_get_text(slot, "day"))
        return text_json(cast(_get_text(slot, member.field), Time))

    return json_array(json_object(members, value_of), alias, [literal_column("h.o")])


def _age(members: Sequence[Member], age: ColumnElement[object]) -> Json:
    value = cast(_get_text(age, "value"), Integer)
    unit = _get_text(age, "unit")

    def value_of(member: Member) -> Json:
        if member.field == "value":
            return cast(value, Text)
        if member.field == "unit":
            return text_json(unit)
        # Age.in_months: weeks are rounded down (10 weeks → 2 months).
        months = case(
            (unit == AgeUnit.AN.value, value * 12), (unit == AgeUnit.SEMAINE.value, value * 7 // 30), else_=value
        )
        return cast(months, Text)

    return nullable(func.jsonb_typeof(age) == "object", json_object(members, value_of))


# ---- availabilities ------------------------------------------------------------------------------------------


def _availability_status(members: Sequence[Member], row: CTE | Subquery) -> Json:
    """:func:`domain.availability_state` over the row's 14-day summary, as ``Establishment.availability_status``."""
    c = row.c
    updated = c.availability_updated_at
    now = bindparam("now", type_=DateTime(timezone=True), required=True)
    stale = now > _stale_after(row)
    state = case(
        (updated.is_(None), AvailabilityState.NON_RENSEIGNEES.value),
        (stale, AvailabilityState.PERIMEES.value),
        (and_(c.next_free_day.is_not(None), c.free_places_soon > 0), AvailabilityState.DISPONIBLE.value),
        else_=AvailabilityState.COMPLET.value,
    )

    def value_of(member: Member) -> Json:
        if member.field == "state":
            return text_json(state)
        if member.field == "label":
            return labels(state, AvailabilityState)
        if member.field == "freePlaces":
            return cast(func.coalesce(c.free_places_soon, 0), Text)
        return nullable(updated.is_not(None), json_value(c.next_free_day))

    return json_object(members, value_of)


def _availabilities(member: Member, establishment_id: ColumnElement[str]) -> Json:
    assert member.window is not None
    start = bindparam(f"w{member.window}_from", type_=Date, required=True)
    end = bindparam(f"w{member.window}_to", type_=Date, required=True)
    a = availabilities.c
    columns = {"date": a.day, "slot": a.slot, "places": a.places, "ageGroup": a.age_group}
    columns |= {"careKind": a.care_kind, "channel": a.channel}
    item = json_object(member.members, lambda m: json_value(columns[m.field]))
    found = (a.establishment_id == establishment_id, a.day.between(start, end))
    return json_array(item, None, [a.day, a.slot, a.id], *found)
