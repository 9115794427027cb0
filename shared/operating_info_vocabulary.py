"""The coded values of the operating-information document, each with the French label agents and families read.

They are part of the document's contract (its event schema and the gateway's GraphQL enums), hence here.
"""

from enum import StrEnum


class DocumentEnum(StrEnum):
    """An enumeration of the document whose members carry a French label."""

    @property
    def label(self) -> str:
        return DOCUMENT_LABELS[self]


class Weekday(DocumentEnum):
    LUNDI = "LUNDI"
    MARDI = "MARDI"
    MERCREDI = "MERCREDI"
    JEUDI = "JEUDI"
    VENDREDI = "VENDREDI"
    SAMEDI = "SAMEDI"
    DIMANCHE = "DIMANCHE"


class ClosurePeriod(DocumentEnum):
    JAMAIS = "JAMAIS"
    JUILLET = "JUILLET"
    AOUT = "AOUT"
    NOEL_NOUVEL_AN = "NOEL_NOUVEL_AN"


class AgeUnit(DocumentEnum):
    SEMAINE = "SEMAINE"
    MOIS = "MOIS"
    AN = "AN"


class Funding(DocumentEnum):
    PSU = "PSU"
    PAJE = "PAJE"
    ENTREPRISE = "ENTREPRISE"
    INTERCOMMUNAL = "INTERCOMMUNAL"
    CONSEIL_DEPARTEMENTAL = "CONSEIL_DEPARTEMENTAL"
    AUTRE = "AUTRE"


class CareKind(DocumentEnum):
    REGULIER = "REGULIER"
    OCCASIONNEL = "OCCASIONNEL"
    URGENCE = "URGENCE"
    SAISONNIER = "SAISONNIER"


DOCUMENT_LABELS: dict[StrEnum, str] = {
    Weekday.LUNDI: "lundi",
    Weekday.MARDI: "mardi",
    Weekday.MERCREDI: "mercredi",
    Weekday.JEUDI: "jeudi",
    Weekday.VENDREDI: "vendredi",
    Weekday.SAMEDI: "samedi",
    Weekday.DIMANCHE: "dimanche",
    ClosurePeriod.JAMAIS: "jamais",
    ClosurePeriod.JUILLET: "juillet",
    ClosurePeriod.AOUT: "août",
    ClosurePeriod.NOEL_NOUVEL_AN: "Noël / Nouvel an",
    AgeUnit.SEMAINE: "semaine(s)",
    AgeUnit.MOIS: "mois",
    AgeUnit.AN: "an(s)",
    Funding.PSU: "Prestation de service unique (Caf/MSA)",
    Funding.PAJE: "Paje / CMG (Caf/MSA)",
    Funding.ENTREPRISE: "Entreprise",
    Funding.INTERCOMMUNAL: "Intercommunalité",
    Funding.CONSEIL_DEPARTEMENTAL: "Conseil départemental",
    Funding.AUTRE: "Autre",
    CareKind.REGULIER: "régulier",
    CareKind.OCCASIONNEL: "occasionnel",
    CareKind.URGENCE: "d'urgence",
    CareKind.SAISONNIER: "saisonnier",
}
