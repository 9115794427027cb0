"""The shape of the establishments page statement: the page is chosen on ``establishments`` alone, then joined.

Choosing the page (ORDER BY … LIMIT) on the fully joined rows made PostgreSQL join commune, provider, Caf and
operating information to every row the filters keep (thousands for « near » in a city) before keeping 21.
"""

from datetime import date

import pytest
from sqlalchemy import Select
from sqlalchemy.sql import Subquery, visitors
from sqlalchemy.sql.util import find_tables

from gateway.catalogue.domain import Area, GeoPoint
from gateway.catalogue.repositories import page_query
from gateway.catalogue.search import EstablishmentSearch
from gateway.catalogue.vocabulary import Category

TODAY = date(2026, 12, 3)
NEAR = Area((GeoPoint(48.85789, 2.37971),), 5.0)
SEARCHES = {
    "near EAJE with free places (Q1)": EstablishmentSearch(
        categories=(Category.EAJE,), free_between=(TODAY, date(2026, 12, 16)), area=NEAR, today=TODAY
    ),
    "commune (Q2)": EstablishmentSearch(first=50, commune_insee="59328", today=TODAY),
    "next page": EstablishmentSearch(departement="59", after=("Crèche", "id-1"), today=TODAY),
    "two points": EstablishmentSearch(area=Area((*NEAR.points, GeoPoint(48.9, 2.3)), 3.0), today=TODAY),
}


def _chosen(statement: Select[object]) -> Select[object]:
    found = {e for e in visitors.iterate(statement) if isinstance(e, Subquery) and e.name == "chosen"}
    assert len(found) == 1, "the page is chosen in one subquery"
    inner = found.pop().element
    assert isinstance(inner, Select)
    return inner


def _from_tables(statement: Select[object]) -> set[str]:
    return {table.name for source in statement.get_final_froms() for table in find_tables(source)}


@pytest.mark.parametrize("search", SEARCHES.values(), ids=SEARCHES.keys())
def test_the_page_is_chosen_on_establishments_alone_then_joined(search: EstablishmentSearch) -> None:
    statement = page_query(search)
    chosen = _chosen(statement)

    assert _from_tables(chosen) == {"establishments"}
    assert chosen._limit_clause is not None
    assert chosen._order_by_clauses
    assert {"communes", "providers", "departements", "cafs", "operating_info_versions"} <= _from_tables(statement)
    assert statement._limit_clause is None, "the outer statement only joins and orders the chosen rows"


def test_an_age_filter_reads_the_published_operating_information_while_choosing() -> None:
    chosen = _chosen(page_query(EstablishmentSearch(child_age_months=18, today=TODAY)))

    assert _from_tables(chosen) == {"establishments", "operating_info_versions"}
