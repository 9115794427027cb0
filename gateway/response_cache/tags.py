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

A publication of availabilities (EAJE only) is finer when the index knows the EAJE's exact position: it touches
the one cell of that position rather than every cell of its commune, and the cache then keeps the « near » lists
whose circles, as the executor measures them (:func:`within`), cannot include it.
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


NEAR_MARGIN_KM = 0.1
"""Added to a circle's radius when a publication's position is tested against it: the executor compares the same
flat distance in SQL floating point, and nothing rides on a hundred metres but a few more answers dropped."""
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


Circles = tuple[tuple[float, float, float], ...]


def distance(point: tuple[float, float], circles: Circles) -> float:
    """The executor's ranking distance (:func:`gateway.catalogue.repositories.distance2`, flat around each centre)
    from ``point`` to the nearest centre, in km."""
    latitude, longitude = point
    nearest = math.inf
    for centre_latitude, centre_longitude, _ in circles:
        dy = (latitude - centre_latitude) * EARTH_KM_PER_DEGREE
        dx = (longitude - centre_longitude) * EARTH_KM_PER_DEGREE * math.cos(math.radians(centre_latitude))
        nearest = min(nearest, math.hypot(dx, dy))
    return nearest


def within(point: tuple[float, float], circles: Circles) -> bool:
    """Whether ``point`` may be in a list searching ``circles`` (its radius and :data:`NEAR_MARGIN_KM`)."""
    return any(distance(point, (circle,)) <= circle[2] + NEAR_MARGIN_KM for circle in circles)


def may_change(point: tuple[float, float], shown: bool, circles: Circles, reach: float | None) -> bool:
    """Whether a publication of availabilities about an establishment at ``point`` may change a « near » list's
    answer: not when the point is outside its circles; nor, for a full page ranked by distance that does not show
    it (``reach``: its farthest establishment's distance), when the point is farther than that page goes — gaining
    or losing free places, it still ranks after every establishment shown."""
    if not within(point, circles):
        return False
    return shown or reach is None or distance(point, circles) <= reach + NEAR_MARGIN_KM


def establishment_tag(establishment_id: str) -> str:
    return f"e:{establishment_id}"


@dataclass
class PlaceIndex:
    """Every commune's establishment cells and postal codes, as the tags a publication there touches (loaded at
    start-up, then grown by the publications). Compact: one tuple of interned strings per commune."""

    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ready: bool = False
    """Loaded from the database: before, no commune is known for sure."""
    positions: dict[str, complex] = field(default_factory=dict)
    """Every EAJE's exact position (latitude + longitude·j, compact), kept by the publications of its changes."""

    def load_positions(self, rows: Iterable[tuple[str, float, float]]) -> None:
        """(establishment id, latitude, longitude) of every EAJE."""
        for establishment_id, latitude, longitude in rows:
            self.positions[establishment_id] = complex(latitude, longitude)

    def locate(self, establishment_id: str, category: str, latitude: float | None, longitude: float | None) -> None:
        """An establishment created or changed: its position now (forgotten when not an EAJE or not given)."""
        if category == "EAJE" and latitude is not None and longitude is not None:
            self.positions[establishment_id] = complex(latitude, longitude)
        else:
            self.positions.pop(establishment_id, None)

    def position(self, establishment_id: str) -> tuple[float, float] | None:
        found = self.positions.get(establishment_id)
        return None if found is None else (found.real, found.imag)

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
    position: tuple[float, float] | None = None
    """Its exact position, when known and the publication leaves it where it was (availabilities)."""


def publication_tags(touched: Touched, index: PlaceIndex) -> frozenset[str]:
    around = index.place_tags(touched.commune_insee)
    if touched.position is not None:  # its own cell, not every cell of its commune
        around = {tag for tag in around if not tag.startswith("g:")} | {cell(*touched.position)}
    places = {"all", f"d:{touched.departement}", f"c:{touched.commune_insee}"} | around
    categorised = {f"{place}/{touched.category}" for place in places}
    extra = {LISTS} if touched.moved else set()
    return frozenset({establishment_tag(touched.establishment_id), *places, *categorised, *extra})


def union(tag_sets: Iterable[frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*tag_sets)
