"""The catalogue's states: a published operating-information version's, as stored (at most one PUBLISHED per
establishment), and an establishment's in the Caf's register."""

from enum import StrEnum


class VersionStatus(StrEnum):
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"
    """Replaced by a newer published version."""
    WITHDRAWN = "WITHDRAWN"
    """Withdrawn by the Caf (convention, article 2)."""


class RegisterStatus(StrEnum):
    """Whether the public catalogue shows an establishment of the register today (it leaves on its closing day)."""

    OUVERT = "OUVERT"
    FERME = "FERME"
