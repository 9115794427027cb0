"""The shape of the establishments page statement (repositories.page_query).

Choosing a page by distance on the fully joined rows made PostgreSQL join commune, provider, Caf and operating
information to every row of the area (thousands in a city) before keeping 21, and look up the free places of every
EAJE of the area: the page is now chosen on ``establishments`` alone, free places tested in order, then joined.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import BindParameter, Exists, Select
from sqlalchemy.sql import Subquery, visitors
from sqlalchemy.sql.util import find_tables

from gateway.catalogue.domain import Area, GeoPoint
from gateway.catalogue.repositories import (
    SOON_DAYS,
    _named,
    _search_values,
    count_query,
    page_query,
    search_after,
    search_conditions,
)
from gateway.catalogue.search import EstablishmentSearch
from gateway.catalogue.vocabulary import Category, EajeType

TODAY = date(2026, 12, 3)
NEAR = Area((GeoPoint(48.85789, 2.37971),), 5.0)
FORTNIGHT = (TODAY, date(2026, 12, 16))
JOINED = {"communes", "providers", "departements", "cafs", "operating_info_versions"}
CHOSEN_FIRST = {
    "near EAJE with free places (Q1)": EstablishmentSearch(
        categories=(Category.EAJE,), free_between=FORTNIGHT, area=NEAR, today=TODAY
    ),
    "near, next page": EstablishmentSearch(area=NEAR, after=(1.5, "id-1"), today=TODAY),
    "two points": EstablishmentSearch(area=Area((*NEAR.points, GeoPoint(48.9, 2.3)), 3.0), today=TODAY),
    "commune with free places": EstablishmentSearch(commune_insee="59328", free_between=FORTNIGHT, today=TODAY),
}


def _subquery(statement: Select[object], name: str) -> Select[object] | None:
    found = {e for e in visitors.iterate(statement) if isinstance(e, Subquery) and e.name == name}
    assert len(found) <= 1
    inner = found.pop().element if found else None
    assert inner is None or isinstance(inner, Select)
    return inner


def _from_tables(statement: Select[object]) -> set[str]:
    return {table.name for source in statement.get_final_froms() for table in find_tables(source)}


@pytest.mark.parametrize("search", CHOSEN_FIRST.values(), ids=CHOSEN_FIRST.keys())
def test_the_page_is_chosen_on_establishments_alone_then_joined(search: EstablishmentSearch) -> None:
    statement = page_query(search)
    chosen = _subquery(statement, "chosen")

    assert chosen is not None
    assert _from_tables(chosen) <= {"establishments"}, "no join before the page is chosen"
    assert chosen._limit_clause is not None
    assert chosen._order_by_clauses
    assert _from_tables(statement) >= JOINED
    assert statement._limit_clause is None, "the outer statement only joins and orders the chosen rows"


@pytest.mark.parametrize("search", [CHOSEN_FIRST["near EAJE with free places (Q1)"]], ids=["Q1"])
def test_free_places_are_looked_up_on_the_sorted_rows_not_before_the_sort(search: EstablishmentSearch) -> None:
    statement = page_query(search)
    ordered, chosen = _subquery(statement, "ordered"), _subquery(statement, "chosen")

    assert ordered is not None
    assert chosen is not None
    assert ordered._offset_clause is not None, "OFFSET 0 keeps the free places test out of the sorted rows"
    assert ordered._order_by_clauses
    assert not [e for e in visitors.iterate(ordered) if isinstance(e, Exists)]
    assert [e for e in chosen._where_criteria if isinstance(e, Exists)]


def test_an_age_filter_reads_the_published_operating_information_while_choosing() -> None:
    chosen = _subquery(page_query(EstablishmentSearch(child_age_months=18, area=NEAR, today=TODAY)), "chosen")

    assert chosen is not None
    assert _from_tables(chosen) == {"establishments", "operating_info_versions"}


def test_by_name_without_free_places_an_index_gives_the_order_and_one_joined_statement_takes_the_page() -> None:
    statement = page_query(EstablishmentSearch(first=50, commune_insee="59328", today=TODAY))

    assert _subquery(statement, "chosen") is None
    assert _from_tables(statement) >= JOINED | {"establishments"}
    assert statement._limit_clause is not None


SEARCHES = {
    **CHOSEN_FIRST,
    "commune (Q2)": EstablishmentSearch(first=50, commune_insee="59328", today=TODAY),
    "every filter": EstablishmentSearch(
        departement="59",
        postal_code="59278",
        categories=(Category.EAJE, Category.RPE),
        eaje_types=(EajeType.MICRO_CRECHE,),
        child_age_months=18,
        free_between=FORTNIGHT,
        after=("Crèche", "id-1"),
        today=TODAY,
    ),
}


@pytest.mark.parametrize("page", [False, True])
@pytest.mark.parametrize("search", SEARCHES.values(), ids=SEARCHES.keys())
def test_a_searchs_values_are_those_its_statement_names(search: EstablishmentSearch, page: bool) -> None:
    recorded: dict[str, object] = {}

    def record(name: str, value: object) -> object:
        recorded[name] = value
        return value

    search_conditions(search, record)
    if page:
        search_after(search, record)
        recorded |= {"limit": search.first + 1, "soon": TODAY + timedelta(days=SOON_DAYS - 1)}
    assert _search_values(search, page=page) == recorded
    statement = page_query(search, with_summary=True, value=_named) if page else count_query(search, _named)
    names = {p.key for p in visitors.iterate(statement) if isinstance(p, BindParameter) and p.required}
    assert names <= recorded.keys()
