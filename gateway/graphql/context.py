"""The per-request GraphQL context: a session factory (never a shared session) and fresh DataLoaders."""

from dataclasses import dataclass
from datetime import date

from gateway.graphql.loaders import Loaders
from shared.db import SessionFactory
from shared.outbox import OutboxSignal


@dataclass(frozen=True)
class Context:
    sessions: SessionFactory
    loaders: Loaders
    today: date
    request_id: str
    signal: OutboxSignal | None = None
    """Wakes the outbox relay when a mutation's transaction commits."""
