"""A family's search, validated: the filters of ``establishments(...)`` as a pure value object."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gateway.catalogue.domain import DEPARTEMENT_CODE, INSEE_CODE, POSTAL_CODE, Area
from gateway.catalogue.vocabulary import Category, EajeType
from shared.errors import PermanentError

MAX_PAGE = 100
MAX_RADIUS_KM = 30.0
MAX_DATE_SPAN_DAYS = 366


class InvalidSearchError(PermanentError):
    """A search argument is invalid; ``argument`` names it (as the client wrote it)."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument} : {message}")
        self.argument = argument


@dataclass(frozen=True)
class EstablishmentSearch:
    first: int = 20
    after: tuple[Any, ...] | None = None
    departement: str | None = None
    commune_insee: str | None = None
    postal_code: str | None = None
    categories: tuple[Category, ...] = ()
    eaje_types: tuple[EajeType, ...] = ()
    child_age_months: int | None = None
    free_between: tuple[date, date] | None = None
    area: Area | None = None
    today: date = field(default_factory=date.today)

    def __post_init__(self) -> None:
        _check(1 <= self.first <= MAX_PAGE, "first", f"doit être compris entre 1 et {MAX_PAGE}")
        _check_code(self.departement, DEPARTEMENT_CODE, "filter.departement", "un code de département (59, 2A, 974…)")
        _check_code(self.commune_insee, INSEE_CODE, "filter.communeInsee", "un code INSEE à 5 caractères (59207…)")
        _check_code(self.postal_code, POSTAL_CODE, "filter.postalCode", "un code postal à 5 chiffres (59278…)")
        if self.child_age_months is not None:
            _check(0 <= self.child_age_months <= 216, "filter.childAgeMonths", "doit être compris entre 0 et 216")
        if self.free_between is not None:
            start, end = self.free_between
            _check(start <= end, "filter.freePlaces", f"la période se termine ({end}) avant de commencer ({start})")
            span = (end - start).days
            _check(span <= MAX_DATE_SPAN_DAYS, "filter.freePlaces", f"{MAX_DATE_SPAN_DAYS} jours au plus")
        if self.area is not None:
            _check_area(self.area)


def _check(condition: bool, argument: str, message: str) -> None:
    if not condition:
        raise InvalidSearchError(argument, message)


def _check_code(value: str | None, pattern: Any, argument: str, expected: str) -> None:
    if value is not None and not pattern.match(value):
        raise InvalidSearchError(argument, f"« {value} » n'est pas {expected}")


def _check_area(area: Area) -> None:
    _check(
        0.1 <= area.radius_km <= MAX_RADIUS_KM, "near.radiusKm", f"doit être compris entre 0,1 et {MAX_RADIUS_KM:g} km"
    )
    _check(1 <= len(area.points) <= 2, "near.points", "un ou deux points (domicile, travail)")
    for point in area.points:
        _check(-90 <= point.latitude <= 90, "near.points.latitude", "doit être comprise entre -90 et 90")
        _check(-180 <= point.longitude <= 180, "near.points.longitude", "doit être comprise entre -180 et 180")
