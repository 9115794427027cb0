"""Input objects of the public catalogue (``<Noun>Input`` / filters)."""

from datetime import date

import strawberry

from gateway.graphql.enums import Category, EajeType


@strawberry.input(description="Une période, bornes comprises.")
class DateRangeInput:
    from_: date = strawberry.field(name="from")
    to: date


@strawberry.input(description="Un point (domicile, travail…), en degrés WGS 84.")
class GeoPointInput:
    latitude: float
    longitude: float


@strawberry.input(description="Autour d'un ou deux points (domicile et/ou travail), dans un rayon donné.")
class NearInput:
    points: list[GeoPointInput] = strawberry.field(description="Un ou deux points.")
    radius_km: float = strawberry.field(default=5.0, description="Rayon en kilomètres (0,1 à 30).")


@strawberry.input(description="Filtres de la recherche de structures.")
class EstablishmentFilter:
    departement: str | None = strawberry.field(default=None, description="Code du département (59, 2A, 974…).")
    commune_insee: str | None = strawberry.field(default=None, description="Code INSEE de la commune (59207).")
    postal_code: str | None = strawberry.field(default=None, description="Code postal (59278).")
    categories: list[Category] | None = None
    eaje_types: list[EajeType] | None = None
    child_age_months: int | None = strawberry.field(default=None, description="Âge de l'enfant, en mois.")
    free_places: DateRangeInput | None = strawberry.field(
        default=None, description="Seulement les crèches ayant des places libres sur cette période."
    )
