"""The establishments' categories (monenfant.fr taxonomy), each with the French label agents and families read.

They are part of the submission event's contract (the category travels to moderation, whose queue filters on it)
and of the gateway's and moderation's GraphQL enums, hence here.
"""

from enum import StrEnum


class Category(StrEnum):
    EAJE = "EAJE"
    ASSISTANT_MATERNEL = "ASSISTANT_MATERNEL"
    MAM = "MAM"
    RPE = "RPE"
    GARDE_A_DOMICILE = "GARDE_A_DOMICILE"
    ALSH = "ALSH"
    LAEP = "LAEP"
    LIEU_INFORMATION = "LIEU_INFORMATION"
    MEDIATION_FAMILIALE = "MEDIATION_FAMILIALE"
    ESPACE_RENCONTRE = "ESPACE_RENCONTRE"
    SOUTIEN_SCOLARITE = "SOUTIEN_SCOLARITE"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS: dict[StrEnum, str] = {
    Category.EAJE: "Crèche",
    Category.ASSISTANT_MATERNEL: "Assistant maternel",
    Category.MAM: "Maison d'assistants maternels",
    Category.RPE: "Relais petite enfance",
    Category.GARDE_A_DOMICILE: "Service de garde à domicile",
    Category.ALSH: "Accueil de loisirs sans hébergement",
    Category.LAEP: "Lieu d'accueil enfants-parents",
    Category.LIEU_INFORMATION: "Lieu d'information",
    Category.MEDIATION_FAMILIALE: "Service de médiation familiale",
    Category.ESPACE_RENCONTRE: "Espace de rencontre",
    Category.SOUTIEN_SCOLARITE: "Scolarité",
}
