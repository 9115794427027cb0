"""The per-request GraphQL context: a session factory (never a shared session) and fresh DataLoaders."""

from dataclasses import dataclass
from datetime import date

from gateway.graphql.loaders import Loaders
from shared.db import SessionFactory


@dataclass(frozen=True)
class Context:
    sessions: SessionFactory
    loaders: Loaders
    today: date
    request_id: str
