"""The states of a published operating-information version, as stored: at most one PUBLISHED per establishment."""

from enum import StrEnum


class VersionStatus(StrEnum):
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"
    """Replaced by a newer published version."""
    WITHDRAWN = "WITHDRAWN"
    """Withdrawn by the Caf (convention, article 2)."""
