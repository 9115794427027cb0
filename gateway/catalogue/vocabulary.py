"""The catalogue's enumerations, with the French labels families and agents see.

Values are the domain's French codes (``MICRO_CRECHE``, ``ALSH``…); identifiers in code stay English.
Sources: monenfant.fr taxonomy, CSP R. 2324-17 / R. 2324-46 / R. 2324-48, CASF R. 227-1, convention art. 2.
The operating-information document's own values (weekdays, closures, funding…) live in
``shared.operating_info_vocabulary`` and are re-exported here.
"""

from enum import StrEnum

from shared.establishment_categories import CATEGORY_LABELS, Category
from shared.operating_info_vocabulary import DOCUMENT_LABELS, AgeUnit, CareKind, ClosurePeriod, Funding, Weekday


class LabelledEnum(StrEnum):
    """An enumeration whose members carry a French label."""

    @property
    def label(self) -> str:
        return LABELS[self]


class EajeType(LabelledEnum):
    CRECHE_COLLECTIVE = "CRECHE_COLLECTIVE"
    HALTE_GARDERIE = "HALTE_GARDERIE"
    MULTI_ACCUEIL = "MULTI_ACCUEIL"
    CRECHE_FAMILIALE = "CRECHE_FAMILIALE"
    JARDIN_ENFANTS = "JARDIN_ENFANTS"
    MICRO_CRECHE = "MICRO_CRECHE"


class SizeClass(LabelledEnum):
    MICRO_CRECHE = "MICRO_CRECHE"
    PETITE_CRECHE = "PETITE_CRECHE"
    CRECHE = "CRECHE"
    GRANDE_CRECHE = "GRANDE_CRECHE"
    TRES_GRANDE_CRECHE = "TRES_GRANDE_CRECHE"
    PETITE_CRECHE_FAMILIALE = "PETITE_CRECHE_FAMILIALE"
    CRECHE_FAMILIALE = "CRECHE_FAMILIALE"
    GRANDE_CRECHE_FAMILIALE = "GRANDE_CRECHE_FAMILIALE"
    TRES_GRANDE_CRECHE_FAMILIALE = "TRES_GRANDE_CRECHE_FAMILIALE"


class AlshKind(LabelledEnum):
    PERISCOLAIRE = "PERISCOLAIRE"
    EXTRASCOLAIRE = "EXTRASCOLAIRE"
    MERCREDIS = "MERCREDIS"


class Management(LabelledEnum):
    MUNICIPALE = "MUNICIPALE"
    INTERCOMMUNALE = "INTERCOMMUNALE"
    CCAS_CIAS = "CCAS_CIAS"
    ASSOCIATIVE = "ASSOCIATIVE"
    PARENTALE = "PARENTALE"
    PRIVEE_LUCRATIVE = "PRIVEE_LUCRATIVE"
    ENTREPRISE = "ENTREPRISE"
    MUTUALISTE = "MUTUALISTE"
    HOSPITALIERE = "HOSPITALIERE"
    AUTRE = "AUTRE"


class ProviderKind(LabelledEnum):
    COMMUNE = "COMMUNE"
    CCAS = "CCAS"
    CIAS = "CIAS"
    EPCI = "EPCI"
    ASSOCIATION = "ASSOCIATION"
    ENTREPRISE = "ENTREPRISE"
    MUTUELLE = "MUTUELLE"
    ETABLISSEMENT_PUBLIC = "ETABLISSEMENT_PUBLIC"
    AUTRE = "AUTRE"


class Slot(LabelledEnum):
    JOURNEE = "JOURNEE"
    MATIN = "MATIN"
    APRES_MIDI = "APRES_MIDI"


class AgeGroup(LabelledEnum):
    BEBES = "BEBES"
    MOYENS = "MOYENS"
    GRANDS = "GRANDS"


class Channel(LabelledEnum):
    SAISIE_ESPACE_PRO = "SAISIE_ESPACE_PRO"
    TRANSMISSION_INFORMATISEE = "TRANSMISSION_INFORMATISEE"


class AvailabilityState(LabelledEnum):
    NON_RENSEIGNEES = "NON_RENSEIGNEES"
    DISPONIBLE = "DISPONIBLE"
    COMPLET = "COMPLET"
    PERIMEES = "PERIMEES"


LABELS: dict[StrEnum, str] = {
    **DOCUMENT_LABELS,
    **CATEGORY_LABELS,
    EajeType.CRECHE_COLLECTIVE: "Crèche collective",
    EajeType.HALTE_GARDERIE: "Halte-garderie",
    EajeType.MULTI_ACCUEIL: "Multi-accueil",
    EajeType.CRECHE_FAMILIALE: "Crèche familiale (service d'accueil familial)",
    EajeType.JARDIN_ENFANTS: "Jardin d'enfants",
    EajeType.MICRO_CRECHE: "Micro-crèche",
    SizeClass.MICRO_CRECHE: "Micro-crèche",
    SizeClass.PETITE_CRECHE: "Petite crèche",
    SizeClass.CRECHE: "Crèche",
    SizeClass.GRANDE_CRECHE: "Grande crèche",
    SizeClass.TRES_GRANDE_CRECHE: "Très grande crèche",
    SizeClass.PETITE_CRECHE_FAMILIALE: "Petite crèche familiale",
    SizeClass.CRECHE_FAMILIALE: "Crèche familiale",
    SizeClass.GRANDE_CRECHE_FAMILIALE: "Grande crèche familiale",
    SizeClass.TRES_GRANDE_CRECHE_FAMILIALE: "Très grande crèche familiale",
    AlshKind.PERISCOLAIRE: "Périscolaire",
    AlshKind.EXTRASCOLAIRE: "Extrascolaire",
    AlshKind.MERCREDIS: "Mercredis",
    Management.MUNICIPALE: "Gestion municipale",
    Management.INTERCOMMUNALE: "Gestion intercommunale",
    Management.CCAS_CIAS: "CCAS / CIAS",
    Management.ASSOCIATIVE: "Gestion associative",
    Management.PARENTALE: "Gestion parentale",
    Management.PRIVEE_LUCRATIVE: "Gestion privée",
    Management.ENTREPRISE: "Crèche d'entreprise",
    Management.MUTUALISTE: "Gestion mutualiste",
    Management.HOSPITALIERE: "Gestion hospitalière",
    Management.AUTRE: "Autre gestion",
    ProviderKind.COMMUNE: "Commune",
    ProviderKind.CCAS: "Centre communal d'action sociale",
    ProviderKind.CIAS: "Centre intercommunal d'action sociale",
    ProviderKind.EPCI: "Intercommunalité (EPCI)",
    ProviderKind.ASSOCIATION: "Association",
    ProviderKind.ENTREPRISE: "Entreprise",
    ProviderKind.MUTUELLE: "Mutuelle",
    ProviderKind.ETABLISSEMENT_PUBLIC: "Établissement public",
    ProviderKind.AUTRE: "Autre",
    Slot.JOURNEE: "journée",
    Slot.MATIN: "matin",
    Slot.APRES_MIDI: "après-midi",
    AgeGroup.BEBES: "bébés",
    AgeGroup.MOYENS: "moyens",
    AgeGroup.GRANDS: "grands",
    Channel.SAISIE_ESPACE_PRO: "Saisie dans l'espace professionnel",
    Channel.TRANSMISSION_INFORMATISEE: "Transmission informatisée",
    AvailabilityState.NON_RENSEIGNEES: "Disponibilités non renseignées",
    AvailabilityState.DISPONIBLE: "Places disponibles",
    AvailabilityState.COMPLET: "Complet",
    AvailabilityState.PERIMEES: "Disponibilités non mises à jour depuis plus d'une semaine",
}

__all__ = [
    "AgeUnit",
    "CareKind",
    "Category",
    "ClosurePeriod",
    "Funding",
    "Weekday",
]
