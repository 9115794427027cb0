"""The states of a review item and the steps of its history, with the French words a moderator reads."""

from enum import StrEnum


class ReviewStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SUPERSEDED = "SUPERSEDED"


class HistoryAction(StrEnum):
    CREATED = "CREATED"
    CLAIMED = "CLAIMED"
    RELEASED = "RELEASED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SUPERSEDED = "SUPERSEDED"


class Decision(StrEnum):
    """What a moderator decides: the item's new status, its history's step and the event's ``decision``."""

    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ClaimState(StrEnum):
    """Who holds a pending item, as the queue filters it."""

    MINE = "MINE"
    OTHERS = "OTHERS"
    FREE = "FREE"


STATUS_LABELS: dict[ReviewStatus, str] = {
    ReviewStatus.PENDING: "En attente de décision",
    ReviewStatus.APPROVED: "Validée",
    ReviewStatus.REJECTED: "Refusée",
    ReviewStatus.SUPERSEDED: "Remplacée par une saisie plus récente",
}

ACTION_LABELS: dict[HistoryAction, str] = {
    HistoryAction.CREATED: "Reçue",
    HistoryAction.CLAIMED: "Prise en charge",
    HistoryAction.RELEASED: "Relâchée",
    HistoryAction.APPROVED: "Validée",
    HistoryAction.REJECTED: "Refusée",
    HistoryAction.SUPERSEDED: "Remplacée par une saisie plus récente",
}
