"""The catalogue's enumerations exposed to GraphQL, each value described by its French label."""

from enum import StrEnum

import strawberry

from gateway.catalogue.vocabulary import (
    LABELS,
    AgeGroup,
    AgeUnit,
    AlshKind,
    AvailabilityState,
    CareKind,
    Category,
    Channel,
    ClosurePeriod,
    EajeType,
    Funding,
    Management,
    ProviderKind,
    SizeClass,
    Slot,
    Weekday,
)


def _expose(cls: type[StrEnum], description: str) -> None:
    strawberry.enum(cls, description=description)
    for value in cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = LABELS[cls(value.value)]


_expose(Category, "Type de structure (taxonomie de monenfant.fr).")
_expose(EajeType, "Type d'établissement d'accueil du jeune enfant (CSP art. R. 2324-17).")
_expose(SizeClass, "Catégorie de taille selon le nombre de places (CSP art. R. 2324-46 et R. 2324-48).")
_expose(AlshKind, "Temps d'accueil d'un accueil de loisirs (CASF art. R. 227-1).")
_expose(Management, "Mode de gestion de l'établissement.")
_expose(ProviderKind, "Nature du fournisseur de données (gestionnaire).")
_expose(Weekday, "Jour de la semaine.")
_expose(ClosurePeriod, "Période de fermeture annuelle.")
_expose(AgeUnit, "Unité d'un âge d'accueil.")
_expose(Funding, "Financement de l'établissement.")
_expose(CareKind, "Type d'accueil.")
_expose(Slot, "Créneau d'une disponibilité.")
_expose(AgeGroup, "Section d'âge d'une disponibilité.")
_expose(Channel, "Canal de transmission d'une disponibilité (arrêté du 31 août 2021).")
_expose(AvailabilityState, "État des disponibilités d'une crèche.")

__all__ = [
    "AgeGroup",
    "AgeUnit",
    "AlshKind",
    "AvailabilityState",
    "CareKind",
    "Category",
    "Channel",
    "ClosurePeriod",
    "EajeType",
    "Funding",
    "Management",
    "ProviderKind",
    "SizeClass",
    "Slot",
    "Weekday",
]
