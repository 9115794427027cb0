"""Where a delivery stands, as stored in ``deliveries.status`` (the GraphQL enum of the same name)."""

from enum import StrEnum


class DeliveryState(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
