"""The catalogue's read queries for its API (other features read it through `lookups.py`).

A list of establishments costs at most three statements whatever its page size: the count (when asked for),
the page (one joined row per establishment, with its commune, provider, Caf, published operating information
and an availability summary), and the availabilities of the whole page (when asked for).

The compiled read path (:mod:`gateway.catalogue.compiled_reads`) reuses ``page_query``, ``count_query``,
``page_query_of``, ``communes_query`` and ``cafs_query`` inside its one statement, with each request value as a
named parameter (:data:`Value`).
"""

import math
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Result,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import FromClause

from gateway.catalogue.domain import EARTH_KM_PER_DEGREE, Area, search_key
from gateway.catalogue.records import (
    AvailabilityRecord,
    CafRecord,
    CommuneRecord,
    EstablishmentRecord,
    OperatingInfoRecord,
    ProviderRecord,
)
from gateway.catalogue.search import EstablishmentSearch
from gateway.catalogue.states import VersionStatus
from gateway.catalogue.tables import (
    availabilities,
    cafs,
    commune_postal_codes,
    communes,
    departements,
    establishments,
    operating_info_versions,
    providers,
)
from gateway.catalogue.vocabulary import (
    AgeGroup,
    AlshKind,
    CareKind,
    Category,
    Channel,
    EajeType,
    Management,
    ProviderKind,
    Slot,
)

E, V, A = establishments, operating_info_versions, availabilities
SOON_DAYS = 14


def _published_join() -> ColumnElement[bool]:
    return and_(V.c.establishment_id == E.c.id, V.c.status == VersionStatus.PUBLISHED)


def _full_from() -> FromClause:
    return (
        E.join(communes, communes.c.insee == E.c.commune_insee)
        .join(providers, providers.c.id == E.c.provider_id)
        .join(departements, departements.c.code == E.c.departement)
        .join(cafs, cafs.c.code == departements.c.caf_code)
        .outerjoin(V, _published_join())
    )


Value = Callable[[str, Any], Any]
"""How a request's value enters a query: as itself (:func:`as_value`), or as a named bound parameter whose value
is given at execution (the compiled read path builds one statement per query shape and reuses it)."""


def as_value(_name: str, value: Any) -> Any:
    return value


def distance2(area: Area, value: Value = as_value) -> ColumnElement[float]:
    """Squared distance in km² to the nearest point of ``area`` (flat projection around each point)."""
    terms: list[ColumnElement[float]] = []
    for index, point in enumerate(area.points):
        kx = value(f"kx{index}", EARTH_KM_PER_DEGREE * math.cos(math.radians(point.latitude)))
        dy = (E.c.latitude - value(f"lat{index}", point.latitude)) * EARTH_KM_PER_DEGREE
        dx = (E.c.longitude - value(f"lon{index}", point.longitude)) * kx
        terms.append(dy * dy + dx * dx)
    if len(terms) == 1:
        return terms[0]
    return case((terms[0] <= terms[1], terms[0]), else_=terms[1])


def _open_on(today: date, value: Value = as_value) -> ColumnElement[bool]:
    """Listed: not closed, or closing after ``today``."""
    return or_(E.c.closed_on.is_(None), E.c.closed_on > value("today", today))


def search_conditions(
    search: EstablishmentSearch, value: Value = as_value, *, free_places: bool = True
) -> list[ColumnElement[bool]]:
    """The conditions of ``search``; with ``value`` recording, also the way to collect its named values.

    ``free_places=False`` leaves out the free places condition (:func:`page_query` tests it on sorted rows).
    """
    conditions: list[ColumnElement[bool]] = [_open_on(search.today, value)]
    if search.departement:
        conditions.append(E.c.departement == value("departement", search.departement))
    if search.commune_insee:
        conditions.append(E.c.commune_insee == value("commune", search.commune_insee))
    if search.postal_code:
        conditions.append(E.c.postal_code == value("postal_code", search.postal_code))
    if search.categories:
        conditions.append(E.c.category.in_(value("categories", [c.value for c in search.categories])))
    if search.eaje_types:
        conditions.append(E.c.eaje_type.in_(value("eaje_types", [t.value for t in search.eaje_types])))
    if search.child_age_months is not None:
        age = value("age", search.child_age_months)
        conditions.append(V.c.id.is_not(None))
        conditions.append(or_(V.c.age_min_months.is_(None), V.c.age_min_months <= age))
        conditions.append(or_(V.c.age_max_months.is_(None), V.c.age_max_months >= age))
    if search.free_between is not None and free_places:
        conditions.append(_has_free_places(search.free_between, E.c.id, value))
    if search.area is not None:
        conditions.append(or_(*_boxes(search.area, value)))
        conditions.append(distance2(search.area, value) <= value("radius2", search.area.radius_km**2))
    return conditions


def _has_free_places(
    between: tuple[date, date], establishment_id: ColumnElement[str], value: Value
) -> ColumnElement[bool]:
    start, end = value("free_from", between[0]), value("free_to", between[1])
    free = select(A.c.id).where(A.c.establishment_id == establishment_id, A.c.day.between(start, end), A.c.places > 0)
    return exists(free)


def _boxes(area: Area, value: Value) -> list[ColumnElement[bool]]:
    boxes = []
    for index, (lat0, lat1, lon0, lon1) in enumerate(area.bounding_boxes()):
        latitudes = value(f"lat0_{index}", lat0), value(f"lat1_{index}", lat1)
        longitudes = value(f"lon0_{index}", lon0), value(f"lon1_{index}", lon1)
        boxes.append(and_(E.c.latitude.between(*latitudes), E.c.longitude.between(*longitudes)))
    return boxes


def _sort_columns(search: EstablishmentSearch, value: Value = as_value) -> list[ColumnElement[Any]]:
    if search.area is not None:
        return [distance2(search.area, value), E.c.id]
    return [E.c.name, E.c.id]


def search_after(search: EstablishmentSearch, value: Value = as_value) -> ColumnElement[bool] | None:
    if search.after is None:
        return None
    first, second = _sort_columns(search, value)
    after, identifier = value("after_value", search.after[0]), value("after_id", search.after[1])
    return or_(first > after, and_(first == after, second > identifier))


def count_query(search: EstablishmentSearch, value: Value = as_value) -> Select[Any]:
    """How many establishments match ``search`` (also a subquery of the compiled read path)."""
    source: FromClause = E.outerjoin(V, _published_join()) if search.child_age_months is not None else E
    return select(func.count()).select_from(source).where(*search_conditions(search, value))


async def read_without_transaction(session: AsyncSession) -> None:
    """For a session that only reads: each statement runs on its own, which READ COMMITTED gives two statements
    anyway, without the BEGIN and ROLLBACK round trips around them. Called before the session's first statement."""
    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


async def count_establishments(session: AsyncSession, search: EstablishmentSearch) -> int:
    statement = _prepared(("count", _shape(search)), lambda: count_query(search, _named))
    return int(await session.scalar(statement, _search_values(search)) or 0)


async def list_establishments(
    session: AsyncSession, search: EstablishmentSearch, *, with_summary: bool = True
) -> list[EstablishmentRecord]:
    """One page (``first`` + 1 rows, so the caller knows whether there is a next page).

    ``with_summary=False`` leaves out the 14-day availability summary when the caller does not show it.
    """
    shape = ("page", _shape(search), with_summary)
    statement = _prepared(shape, lambda: page_query(search, with_summary=with_summary, value=_named))
    values = _search_values(search, page=True)
    rows = _as_dicts(await session.execute(statement, values))
    return [_establishment(row, (row["sort_value"], row["id"])) for row in rows]


STATEMENTS_KEPT = 256
_statements: OrderedDict[Hashable, Select[Any]] = OrderedDict()
"""A search's statements by shape, its values as named parameters: built once, a reused statement skips its
construction and SQLAlchemy's cache key walk. Bounded, least recently used first out."""


def _prepared(shape: Hashable, build: Callable[[], Select[Any]]) -> Select[Any]:
    statement = _statements.get(shape)
    if statement is None:
        statement = _statements[shape] = build()
        if len(_statements) > STATEMENTS_KEPT:
            _statements.popitem(last=False)
    else:
        _statements.move_to_end(shape)
    return statement


def _shape(search: EstablishmentSearch) -> Hashable:
    """What a search's statement depends on: which filters are given, never their values."""
    given = (search.departement, search.commune_insee, search.postal_code, search.categories, search.eaje_types)
    present = (search.after, search.child_age_months, search.free_between)
    points = len(search.area.points) if search.area is not None else 0
    return tuple(map(bool, given)), tuple(v is not None for v in present), points


def _named(name: str, value: Any) -> Any:
    """A named parameter in place of ``value``; typed as an integer if it is one (LIMIT has no column to say so)."""
    integer = Integer() if isinstance(value, int) and not isinstance(value, bool) else None
    return bindparam(name, type_=integer, expanding=isinstance(value, list), required=True)


def _search_values(search: EstablishmentSearch, *, page: bool = False) -> dict[str, Any]:
    """The value of every named parameter of the search's statement (the summary's too, for a page).

    The names and values :func:`search_conditions` and :func:`search_after` give their ``value`` (a test holds
    them equal), worked out without building their SQL expressions again: the statement itself is built once per
    shape (:func:`_prepared`), and building the expressions only to collect the values cost a request more than
    running the statement's Python side."""
    values: dict[str, Any] = {"today": search.today}
    given = (
        ("departement", search.departement),
        ("commune", search.commune_insee),
        ("postal_code", search.postal_code),
        ("categories", [c.value for c in search.categories]),
        ("eaje_types", [t.value for t in search.eaje_types]),
    )
    values |= {name: value for name, value in given if value}
    if search.child_age_months is not None:
        values["age"] = search.child_age_months
    if search.free_between is not None:
        values["free_from"], values["free_to"] = search.free_between
    if search.area is not None:
        values |= _area_values(search.area)
    if page:
        if search.after is not None:
            values["after_value"], values["after_id"] = search.after[0], search.after[1]
        values |= {"limit": search.first + 1, "soon": search.today + timedelta(days=SOON_DAYS - 1)}
    return values


def _area_values(area: Area) -> dict[str, Any]:
    """The named values of :func:`_boxes`, :func:`distance2` and the radius."""
    values: dict[str, Any] = {}
    for index, (lat0, lat1, lon0, lon1) in enumerate(area.bounding_boxes()):
        values |= {f"lat0_{index}": lat0, f"lat1_{index}": lat1, f"lon0_{index}": lon0, f"lon1_{index}": lon1}
    for index, point in enumerate(area.points):
        values[f"kx{index}"] = EARTH_KM_PER_DEGREE * math.cos(math.radians(point.latitude))
        values[f"lat{index}"], values[f"lon{index}"] = point.latitude, point.longitude
    values["radius2"] = area.radius_km**2
    return values


def page_query(search: EstablishmentSearch, *, with_summary: bool = True, value: Value = as_value) -> Select[Any]:
    """The rows of one page and one more, in order, each with its ``sort_value`` (the cursor's first part).

    By name, without a free places filter, an index gives the rows in order (``ix_establishments_commune``,
    ``_departement``, ``_name``) and PostgreSQL joins only the first ones: one joined statement.

    By distance, or with a free places filter, the page is chosen on ``establishments`` alone first (joined to its
    published operating information only when a filter reads it): ids and sort values, ordered and limited. The
    commune, provider, Caf, operating information and summary are then joined to those rows only, not to every
    row of the area before the sort. The free places test comes last: the other filters' rows are sorted
    (``OFFSET 0`` keeps PostgreSQL from moving the test before the sort) and their availabilities looked up in that
    order until the page is full — near a point in a city, about 20 look-ups instead of one per EAJE of the area.
    """
    sort = _sort_columns(search, value)
    after = search_after(search, value)
    limit = value("limit", search.first + 1)
    if search.area is None and search.free_between is None:
        query = _page_select(search.today, [sort[0].label("sort_value")], with_summary=with_summary, value=value)
        query = query.where(*search_conditions(search, value), *([] if after is None else [after]))
        return query.order_by(*sort).limit(limit)
    source: FromClause = E.outerjoin(V, _published_join()) if search.child_age_months is not None else E
    candidates = select(E.c.id, sort[0].label("sort_value")).select_from(source)
    candidates = candidates.where(*search_conditions(search, value, free_places=False))
    if after is not None:
        candidates = candidates.where(after)
    page = candidates.order_by(*sort).limit(limit)
    if search.free_between is not None:
        ordered = candidates.order_by(*sort).offset(0).subquery("ordered")
        free = _has_free_places(search.free_between, ordered.c.id, value)
        page = select(ordered).where(free).order_by(ordered.c.sort_value, ordered.c.id).limit(limit)
    chosen = page.subquery("chosen")
    rows = chosen.join(_full_from(), E.c.id == chosen.c.id)
    query = _page_select(search.today, [chosen.c.sort_value], with_summary=with_summary, value=value, source=rows)
    return query.order_by(chosen.c.sort_value, chosen.c.id)


def page_query_of(establishment_id: str, today: date, value: Value = as_value) -> Select[Any]:
    """The joined row of one listed establishment (``node``), as :func:`get_establishments` reads it."""
    return _page_select(today, value=value).where(E.c.id == value("id", establishment_id), _open_on(today, value))


async def get_establishments(session: AsyncSession, ids: Sequence[str], today: date) -> list[EstablishmentRecord]:
    query = _page_select(today).where(E.c.id.in_(list(ids)), _open_on(today))
    rows = _as_dicts(await session.execute(query))
    return [_establishment(row, (row["name"], row["id"])) for row in rows]


def _summary_columns(today: date, with_summary: bool, value: Value = as_value) -> list[ColumnElement[Any]]:
    if not with_summary:
        return [null().label("next_free_day"), literal(0).label("free_places_soon")]
    soon = value("soon", today + timedelta(days=SOON_DAYS - 1))
    today = value("today", today)
    upcoming = and_(A.c.establishment_id == E.c.id, A.c.day.between(today, soon), A.c.places > 0)
    next_free_day = select(func.min(A.c.day)).where(upcoming).scalar_subquery()
    free_soon = select(func.coalesce(func.sum(A.c.places), 0)).where(upcoming).scalar_subquery()
    return [next_free_day.label("next_free_day"), free_soon.label("free_places_soon")]


def _page_select(
    today: date,
    extra: Sequence[ColumnElement[Any]] = (),
    *,
    with_summary: bool = True,
    value: Value = as_value,
    source: FromClause | None = None,
) -> Select[Any]:
    """The joined row of each establishment of ``source`` (by default every establishment: :func:`_full_from`)."""
    columns = [
        *E.c,
        communes.c.name.label("commune_name"),
        communes.c.population.label("commune_population"),
        communes.c.latitude.label("commune_latitude"),
        communes.c.longitude.label("commune_longitude"),
        communes.c.postal_codes.label("commune_postal_codes"),
        providers.c.name.label("provider_name"),
        providers.c.kind.label("provider_kind"),
        providers.c.caf_code.label("provider_caf_code"),
        cafs.c.code.label("caf_code"),
        cafs.c.label.label("caf_label"),
        cafs.c.head_office.label("caf_head_office"),
        cafs.c.director.label("caf_director"),
        V.c.version.label("info_version"),
        V.c.document.label("info_document"),
        V.c.opening_hours.label("info_opening_hours"),
        V.c.published_at.label("info_published_at"),
        *_summary_columns(today, with_summary, value),
        *extra,
    ]
    return select(*columns).select_from(_full_from() if source is None else source)


def _as_dicts(result: Result[Any]) -> list[dict[str, Any]]:
    """The rows as plain dicts: a page reads ~50 × 45 items, and a dict's item costs a fraction of a RowMapping's
    (and of a Row's attribute)."""
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


def _establishment(row: Mapping[str, Any], sort_key: tuple[Any, ...]) -> EstablishmentRecord:
    info = None
    if row["info_version"] is not None:
        info = OperatingInfoRecord(
            row["info_version"], row["info_document"], row["info_opening_hours"], _utc(row["info_published_at"])
        )
    return EstablishmentRecord(
        id=row["id"],
        name=row["name"],
        category=Category(row["category"]),
        eaje_type=EajeType(row["eaje_type"]) if row["eaje_type"] else None,
        parental=row["parental"],
        occasional_only=row["occasional_only"],
        alsh_kinds=tuple(AlshKind(k) for k in row["alsh_kinds"]),
        avip=row["avip"],
        management=Management(row["management"]) if row["management"] else None,
        street_number=row["street_number"],
        street_name=row["street_name"],
        address_complement=row["address_complement"],
        postal_code=row["postal_code"],
        commune=CommuneRecord(
            insee=row["commune_insee"],
            name=row["commune_name"],
            departement=row["departement"],
            population=row["commune_population"],
            latitude=row["commune_latitude"],
            longitude=row["commune_longitude"],
            postal_codes=tuple(row["commune_postal_codes"].split()),
        ),
        departement=row["departement"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        phone=row["phone"],
        phone2=row["phone2"],
        email=row["email"],
        website=row["website"],
        capacity=row["capacity"],
        availability_updated_at=_aware(row["availability_updated_at"]),
        availability_channel=Channel(row["availability_channel"]) if row["availability_channel"] else None,
        availability_stale_after=_aware(row["availability_stale_after"]),
        next_free_day=_as_date(row["next_free_day"]),
        free_places_soon=int(row["free_places_soon"] or 0),
        provider=ProviderRecord(
            row["provider_id"], row["provider_name"], ProviderKind(row["provider_kind"]), row["provider_caf_code"]
        ),
        caf=CafRecord(row["caf_code"], row["caf_label"], row["caf_head_office"], row["caf_director"]),
        operating_info=info,
        sort_key=sort_key,
    )


def _utc(value: datetime) -> datetime:
    """SQLite gives timestamps back without their time zone; they were stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _as_date(value: Any) -> date | None:
    """SQLite returns aggregates of dates as text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


async def list_availabilities(
    session: AsyncSession, establishment_ids: Sequence[str], start: date, end: date
) -> list[AvailabilityRecord]:
    query = (
        select(A)
        .where(A.c.establishment_id.in_(list(establishment_ids)), A.c.day.between(start, end))
        .order_by(A.c.establishment_id, A.c.day, A.c.slot, A.c.id)
    )
    return [
        AvailabilityRecord(
            establishment_id=row.establishment_id,
            day=row.day,
            slot=Slot(row.slot),
            places=row.places,
            age_group=AgeGroup(row.age_group) if row.age_group else None,
            care_kind=CareKind(row.care_kind),
            communicated_at=_utc(row.communicated_at),
            channel=Channel(row.channel),
        )
        for row in await session.execute(query)
    ]


async def search_communes(session: AsyncSession, text: str, first: int) -> list[CommuneRecord]:
    return [_commune(row) for row in await session.execute(communes_query(text, first))]


def communes_query(text: str, first: int, value: Value = as_value) -> Select[Any]:
    """Communes whose name starts with ``text`` (any accent or case), or whose postal code starts with it; the most
    populated first."""
    key = search_key(text)
    condition: ColumnElement[bool]
    if key.isdigit():
        # Digits are a postal code being typed, never an INSEE code: 59278 is Escautpont's postal code, while the
        # commune whose INSEE code is 59278 is Hallennes-lez-Haubourdin.
        codes = select(commune_postal_codes.c.insee).where(
            commune_postal_codes.c.postal_code.startswith(value("key", key))
        )
        condition = communes.c.insee.in_(codes)
    else:
        condition = communes.c.search_name.startswith(value("key", key))
    order = (communes.c.population.desc(), communes.c.insee)
    return select(communes).where(condition).order_by(*order).limit(value("first", first))


async def get_communes(session: AsyncSession, codes: Sequence[str]) -> list[CommuneRecord]:
    query = select(communes).where(communes.c.insee.in_(list(codes)))
    return [_commune(row) for row in await session.execute(query)]


def _commune(row: Any) -> CommuneRecord:
    return CommuneRecord(
        insee=row.insee,
        name=row.name,
        departement=row.departement,
        population=row.population,
        latitude=row.latitude,
        longitude=row.longitude,
        postal_codes=tuple(row.postal_codes.split()),
    )


async def list_cafs(session: AsyncSession, first: int) -> list[CafRecord]:
    query = cafs_query(first)
    return [CafRecord(r.code, r.label, r.head_office, r.director) for r in await session.execute(query)]


def cafs_query(first: int, value: Value = as_value) -> Select[Any]:
    return select(cafs).order_by(cafs.c.code).limit(value("first", first))


async def get_cafs(session: AsyncSession, codes: Sequence[str]) -> list[CafRecord]:
    query = select(cafs).where(cafs.c.code.in_(list(codes)))
    return [CafRecord(r.code, r.label, r.head_office, r.director) for r in await session.execute(query)]


async def get_caf_departements(session: AsyncSession, codes: Sequence[str]) -> dict[str, list[str]]:
    query = select(departements.c.caf_code, departements.c.code).where(departements.c.caf_code.in_(list(codes)))
    found: dict[str, list[str]] = {}
    for caf_code, departement in await session.execute(query.order_by(departements.c.code)):
        found.setdefault(caf_code, []).append(departement)
    return found


async def get_providers(session: AsyncSession, ids: Sequence[str]) -> list[ProviderRecord]:
    query = select(providers).where(providers.c.id.in_(list(ids)))
    return [ProviderRecord(r.id, r.name, ProviderKind(r.kind), r.caf_code) for r in await session.execute(query)]
