"""Runs GraphQL documents against the gateway's schema in-process, counting the SQL statements each one costs."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.graphql.context import Context
from gateway.graphql.loaders import build_loaders
from gateway.graphql.schema import build_schema
from shared.db import create_session_factory
from shared.graphql_protection import Limits


class SchemaClient:
    def __init__(self, engine: AsyncEngine, limits: Limits | None = None) -> None:
        self.sessions = create_session_factory(engine)
        self.schema = build_schema(limits)
        self.statements: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    @staticmethod
    def today() -> date:
        return datetime.now(ZoneInfo("Europe/Paris")).date()

    async def run(self, document: str, variables: dict[str, Any] | None = None) -> tuple[Any, list[str]]:
        """(data, error messages) — and ``self.statements`` holds this run's SQL only."""
        self.statements = []
        today = self.today()
        context = Context(self.sessions, build_loaders(self.sessions, today), today, "req-test")
        result = await self.schema.execute(document, variable_values=variables, context_value=context)
        return result.data, [error.message for error in result.errors or ()]

    async def data(self, document: str, variables: dict[str, Any] | None = None) -> Any:
        data, errors = await self.run(document, variables)
        assert errors == [], errors
        return data
