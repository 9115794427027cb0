"""What an answer depends on, and what a publication touches, as tags (pure: no framework).

A list answer (``establishments``) gets the tags of one place criterion of its filter — the most selective one:
``c:<INSEE>`` for a commune, ``pc:<postal code>``, the grid cells ``g:<i>:<j>`` its « near » circles cover (and
``g:*``), ``d:<département>``, else ``all`` — suffixed ``/<category>`` when the filter names categories, plus
``lists``. Any establishment the list counts or shows matches that criterion, so a publication about it, which
carries the tags of its establishment's place, reaches the list. ``node``/``nodes`` of an establishment get
``e:<id>``. A publication's establishment cell and postal code are not in the event (except for
ESTABLISHMENT_CHANGED): they come from a :class:`PlaceIndex` of every commune's cells and postal codes; a commune
the index does not know touches ``g:*`` and ``pc:*`` (every « near » and postal-code list). An establishment
UPDATED may have left its old place, which the event does not give: it touches ``lists``.
"""

import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from gateway.catalogue.domain import EARTH_KM_PER_DEGREE

LATITUDE_STEP = 0.05
"""The grid: cells of 0.05° of latitude × 0.07° of longitude, about 5.5 × 5 km in metropolitan France."""
LONGITUDE_STEP = 0.07
MARGIN_DEGREES = 0.01
"""Circles are widened by ~1 km: the index rounds positions to 0.01° (:mod:`gateway.catalogue.places`), and an
establishment on a cell's edge must be covered whatever rounding put it there."""
LISTS = "lists"
EVERY_CELL = "g:*"
EVERY_POSTAL_CODE = "pc:*"


def cell(latitude: float, longitude: float) -> str:
    return f"g:{math.floor(latitude / LATITUDE_STEP)}:{math.floor(longitude / LONGITUDE_STEP)}"


MAX_RADIUS_KM = 100.0
"""Beyond any radius the API accepts (30 km): larger circles are refused by the executor, not tagged."""


def circle_cells(latitude: float, longitude: float, radius_km: float) -> set[str]:
    """The cells a circle's bounding box (widened by the margin) covers; a ValueError for a circle no search
    accepts (the executor refuses it in French), which also bounds the set."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180 and 0 <= radius_km <= MAX_RADIUS_KM):
        raise ValueError("not a circle a search accepts")
    dlat = radius_km / EARTH_KM_PER_DEGREE + MARGIN_DEGREES
    dlon = radius_km / EARTH_KM_PER_DEGREE / max(math.cos(math.radians(latitude)), 0.01) + MARGIN_DEGREES
    rows = range(math.floor((latitude - dlat) / LATITUDE_STEP), math.floor((latitude + dlat) / LATITUDE_STEP) + 1)
    columns = range(
        math.floor((longitude - dlon) / LONGITUDE_STEP), math.floor((longitude + dlon) / LONGITUDE_STEP) + 1
    )
    return {f"g:{row}:{column}" for row in rows for column in columns}


@dataclass(frozen=True)
class ListCriteria:
    """The place criteria of an ``establishments`` search, as the client gave them."""

    commune_insee: str | None = None
    postal_code: str | None = None
    circles: tuple[tuple[float, float, float], ...] = ()
    """(latitude, longitude, radius in km) of each « near » point."""
    departement: str | None = None
    categories: tuple[str, ...] = ()


def list_tags(criteria: ListCriteria) -> frozenset[str]:
    if criteria.commune_insee is not None:
        places = {f"c:{criteria.commune_insee}"}
    elif criteria.postal_code is not None:
        places = {f"pc:{criteria.postal_code}", EVERY_POSTAL_CODE}
    elif criteria.circles:
        places = {EVERY_CELL}.union(*(circle_cells(*circle) for circle in criteria.circles))
    elif criteria.departement is not None:
        places = {f"d:{criteria.departement}"}
    else:
        places = {"all"}
    if criteria.categories:
        places = {f"{place}/{category}" for place in places for category in criteria.categories}
    return frozenset({LISTS, *places})


def establishment_tag(establishment_id: str) -> str:
    return f"e:{establishment_id}"


@dataclass
class PlaceIndex:
    """Every commune's establishment cells and postal codes, as the tags a publication there touches (loaded at
    start-up, then grown by the publications). Compact: one tuple of interned strings per commune."""

    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ready: bool = False
    """Loaded from the database: before, no commune is known for sure."""

    def load(self, places: Iterable[tuple[str, str, float, float]]) -> None:
        """(commune INSEE, postal code, latitude, longitude) rows, all at once."""
        found: dict[str, set[str]] = {}
        for commune_insee, postal_code, latitude, longitude in places:
            found.setdefault(commune_insee, set()).update(_place(postal_code, latitude, longitude))
        for commune_insee, tags in found.items():
            self.tags[commune_insee] = tuple(sorted(set(self.tags.get(commune_insee, ())) | tags))
        self.ready = True

    def add(self, commune_insee: str, postal_code: str, latitude: float, longitude: float) -> None:
        known = self.tags.get(commune_insee, ())
        new = _place(postal_code, latitude, longitude) - set(known)
        if new:
            self.tags[commune_insee] = tuple(sorted((*known, *new)))

    def place_tags(self, commune_insee: str) -> set[str]:
        known = self.tags.get(commune_insee)
        if not self.ready or known is None:
            return {EVERY_CELL, EVERY_POSTAL_CODE}
        return set(known)


def _place(postal_code: str, latitude: float, longitude: float) -> set[str]:
    return {sys.intern(cell(latitude, longitude)), sys.intern(f"pc:{postal_code}")}


@dataclass(frozen=True)
class Touched:
    """What a publication says about its establishment."""

    establishment_id: str
    departement: str
    commune_insee: str
    category: str
    moved: bool = False
    """An UPDATED register entry: its previous place is unknown."""


def publication_tags(touched: Touched, index: PlaceIndex) -> frozenset[str]:
    places = {"all", f"d:{touched.departement}", f"c:{touched.commune_insee}"} | index.place_tags(touched.commune_insee)
    categorised = {f"{place}/{touched.category}" for place in places}
    extra = {LISTS} if touched.moved else set()
    return frozenset({establishment_tag(touched.establishment_id), *places, *categorised, *extra})


def union(tag_sets: Iterable[frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*tag_sets)
