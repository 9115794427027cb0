"""The states people see in the partner space, as GraphQL enums whose values are described by their French label.

Each type showing one gives the code (``status: SubmissionStatus!``) and the label beside it (``statusLabel``).
The enums themselves are the owning features' (``accounts.states``, ``habilitation.states``,
``submissions.states``): this module only exposes them, with their labels.
"""

from enum import StrEnum

import strawberry

from gateway.accounts.states import AccountStatus, AgentKind, ConnectionEvent
from gateway.catalogue.states import RegisterStatus
from gateway.habilitation.states import ConventionStatus, HabilitationRequestStatus
from gateway.submissions.states import SubmissionStatus

STATUS_LABELS: dict[StrEnum, str] = {
    HabilitationRequestStatus.SOUMISE: "Soumise à la Caf",
    HabilitationRequestStatus.CONVENTION_ENVOYEE: "Convention envoyée au fournisseur",
    HabilitationRequestStatus.CONVENTION_RECUE: "Convention signée reçue",
    HabilitationRequestStatus.ACTIVEE: "Habilitation activée",
    HabilitationRequestStatus.REJETEE: "Demande refusée",
    SubmissionStatus.PENDING: "En attente de validation par la Caf",
    SubmissionStatus.SUPERSEDED: "Remplacée par une saisie plus récente",
    SubmissionStatus.APPROVED: "Validée et publiée",
    SubmissionStatus.REJECTED: "Refusée par la Caf",
    ConventionStatus.EN_VIGUEUR: "En vigueur",
    ConventionStatus.RESILIATION_NOTIFIEE: "Résiliation notifiée",
    ConventionStatus.RESILIEE: "Résiliée",
    ConnectionEvent.LOGIN_OK: "Connexion",
    ConnectionEvent.LOGIN_FAILED: "Échec de connexion",
    ConnectionEvent.LOGIN_THROTTLED: "Connexion refusée (trop de tentatives)",
    ConnectionEvent.REFRESH_REUSED: "Jeton de renouvellement réutilisé : session révoquée",
    ConnectionEvent.LOGOUT: "Déconnexion",
    ConnectionEvent.PASSWORD_CHANGED: "Mot de passe changé",
    ConnectionEvent.RESET_REQUESTED: "Mot de passe perdu : demande sans suite",
    ConnectionEvent.PASSWORD_RESET: "Mot de passe perdu : nouveau mot de passe envoyé",
    ConnectionEvent.SAISIE_DISPONIBILITES: "Saisie de disponibilités",
    ConnectionEvent.SAISIE_MODALITES: "Saisie de modalités de fonctionnement",
    AccountStatus.MDP_PROVISOIRE: "Mot de passe provisoire",
    AccountStatus.ACTIF: "Actif",
    AccountStatus.DESACTIVE: "Désactivé",
    AgentKind.PROVIDER_AGENT: "Agent d'un fournisseur de données",
    AgentKind.CAF_AGENT: "Agent de la Caf",
    RegisterStatus.OUVERT: "Ouvert",
    RegisterStatus.FERME: "Fermé",
}


def label_of(value: StrEnum) -> str:
    return STATUS_LABELS[value]


def _expose(cls: type[StrEnum], description: str) -> None:
    strawberry.enum(cls, description=description)
    for value in cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = STATUS_LABELS[cls(value.value)]


_expose(HabilitationRequestStatus, "Étape d'une demande d'habilitation (convention art. 3-1, 3-2).")
_expose(SubmissionStatus, "État d'une saisie de modalités de fonctionnement.")
_expose(ConventionStatus, "État d'une convention d'habilitation (art. 5).")
_expose(ConnectionEvent, "Ce qu'enregistre une ligne du journal des connexions.")
_expose(AccountStatus, "État du compte d'un agent.")
_expose(AgentKind, "Qui est la personne connectée : agent d'un fournisseur ou de la Caf.")
_expose(
    RegisterStatus,
    "État d'un établissement du registre : affiché au catalogue public, ou fermé (dès sa date de fermeture).",
)

__all__ = [
    "STATUS_LABELS",
    "AccountStatus",
    "AgentKind",
    "ConnectionEvent",
    "ConventionStatus",
    "HabilitationRequestStatus",
    "RegisterStatus",
    "SubmissionStatus",
    "label_of",
]
