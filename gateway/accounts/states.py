"""The accounts' vocabularies as stored: an account's status, who the agent is (``shared.agents``: the tokens say
it to every service), what it may do, what the connection log records and why sessions end. Values are the
database's (and the GraphQL enums')."""

from enum import StrEnum

from shared.agents import AgentKind


class AccountStatus(StrEnum):
    MDP_PROVISOIRE = "MDP_PROVISOIRE"
    ACTIF = "ACTIF"
    DESACTIVE = "DESACTIVE"


class Right(StrEnum):
    """What a provider agent may do on one establishment (``account_rights.right``)."""

    OPERATING_INFO = "OPERATING_INFO"
    AVAILABILITY = "AVAILABILITY"


RIGHT_LABELS = {
    Right.OPERATING_INFO: "Saisie des modalités de fonctionnement",
    Right.AVAILABILITY: "Saisie des disponibilités",
}
"""What a right is called on the Caf's screens (the annex, the amendments)."""


class ConnectionEvent(StrEnum):
    """What a line of the connection log records (``connection_log.event``)."""

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


class RevocationReason(StrEnum):
    """Why sessions end: the ``reason`` of ``SessionsRevoked`` (a test keeps both lists equal)."""

    LOGOUT = "LOGOUT"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"  # noqa: S105 - a reason, not a password
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - a reason, not a password
    DEACTIVATED = "DEACTIVATED"
    REFRESH_REPLAYED = "REFRESH_REPLAYED"


__all__ = ["AccountStatus", "AgentKind", "ConnectionEvent", "RevocationReason", "Right"]
