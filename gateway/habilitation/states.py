"""The steps of a habilitation request (convention art. 3-1, 3-2) and the states of a convention (art. 5), as
stored."""

from enum import StrEnum


class HabilitationRequestStatus(StrEnum):
    SOUMISE = "SOUMISE"
    CONVENTION_ENVOYEE = "CONVENTION_ENVOYEE"
    CONVENTION_RECUE = "CONVENTION_RECUE"
    ACTIVEE = "ACTIVEE"
    REJETEE = "REJETEE"


class ConventionStatus(StrEnum):
    EN_VIGUEUR = "EN_VIGUEUR"
    RESILIATION_NOTIFIEE = "RESILIATION_NOTIFIEE"
    RESILIEE = "RESILIEE"


class ChallengePurpose(StrEnum):
    """What an on-screen challenge protects (``challenges.purpose``): a challenge serves that form only."""

    HABILITATION_REQUEST = "HABILITATION_REQUEST"
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - a purpose, not a password
