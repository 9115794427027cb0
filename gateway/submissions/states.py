"""The states of an operating-information submission, as stored: at most one PENDING per establishment."""

from enum import StrEnum


class SubmissionStatus(StrEnum):
    PENDING = "PENDING"
    SUPERSEDED = "SUPERSEDED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
