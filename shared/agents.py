"""Who an agent is: the ``kind`` claim of every access token, read by the three services."""

from enum import StrEnum


class AgentKind(StrEnum):
    PROVIDER_AGENT = "PROVIDER_AGENT"
    CAF_AGENT = "CAF_AGENT"
