"""The states people see in the partner space, as GraphQL enums whose values are described by their French label.

Each type showing one gives the code (``status: SubmissionStatus!``) and the label beside it (``statusLabel``).
"""

from enum import StrEnum

import strawberry


class HabilitationRequestStatus(StrEnum):
    SOUMISE = "SOUMISE"
    CONVENTION_ENVOYEE = "CONVENTION_ENVOYEE"
    CONVENTION_RECUE = "CONVENTION_RECUE"
    ACTIVEE = "ACTIVEE"
    REJETEE = "REJETEE"


class SubmissionStatus(StrEnum):
    PENDING = "PENDING"
    SUPERSEDED = "SUPERSEDED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ConventionStatus(StrEnum):
    EN_VIGUEUR = "EN_VIGUEUR"
    RESILIATION_NOTIFIEE = "RESILIATION_NOTIFIEE"
    RESILIEE = "RESILIEE"


class ConnectionEvent(StrEnum):
    LOGIN_OK = "LOGIN_OK"
    LOGIN_FAILED = "LOGIN_FAILED"
    LOGIN_THROTTLED = "LOGIN_THROTTLED"
    REFRESH_REUSED = "REFRESH_REUSED"
    LOGOUT = "LOGOUT"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"  # noqa: S105 - an event, not a password
    RESET_REQUESTED = "RESET_REQUESTED"
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - an event, not a password
    SAISIE_DISPONIBILITES = "SAISIE_DISPONIBILITES"
    SAISIE_MODALITES = "SAISIE_MODALITES"


class AccountStatus(StrEnum):
    MDP_PROVISOIRE = "MDP_PROVISOIRE"
    ACTIF = "ACTIF"
    DESACTIVE = "DESACTIVE"


class AgentKind(StrEnum):
    PROVIDER_AGENT = "PROVIDER_AGENT"
    CAF_AGENT = "CAF_AGENT"


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
