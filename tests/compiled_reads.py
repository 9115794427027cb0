"""Runs a query on the gateway's schema by the normal executor and by the compiled read path, giving each answer's
bytes as the HTTP view would send them."""

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse
from graphql.execution.values import get_variable_values
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.catalogue.compiled_reads import read_compiled
from gateway.graphql.compiled import CompiledReads, encode_response
from gateway.graphql.compiled_plan import Unsupported, plan_read
from gateway.graphql.context import Context
from gateway.graphql.loaders import build_loaders
from gateway.graphql.schema import build_schema
from shared.db import create_session_factory
from shared.graphql_protection import Limits


class TwoPaths:
    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = create_session_factory(engine)
        self.schema = build_schema(Limits(timeout_seconds=120))  # a loaded machine must not make a case fail
        self.reads = CompiledReads()

    @staticmethod
    def today() -> date:
        return datetime.now(ZoneInfo("Europe/Paris")).date()

    async def normal(self, document: str, variables: dict[str, Any] | None = None) -> bytes:
        return await self._answer(document, variables, None)

    async def compiled(self, document: str, variables: dict[str, Any] | None = None) -> bytes:
        return await self._answer(document, variables, self.reads)

    async def changes_at(self, document: str, variables: dict[str, Any]) -> datetime | None:
        """When the compiled answer of ``document`` says it turns stale by the clock alone."""
        parsed = parse(document)
        operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
        fragments = {d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)}
        schema = self.schema._schema
        coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
        assert not isinstance(coerced, list), coerced
        now = datetime.now(ZoneInfo("UTC"))
        plan = plan_read(schema, operation, fragments, coerced, today=self.today(), now=now)
        assert not isinstance(plan, Unsupported), plan
        async with self.reads.connection(self.sessions) as connection:
            return (await read_compiled(connection, plan)).changes_at

    async def _answer(self, document: str, variables: dict[str, Any] | None, reads: CompiledReads | None) -> bytes:
        today = self.today()
        context = Context(self.sessions, build_loaders(self.sessions, today), today, "req-test", compiled_reads=reads)
        result = await self.schema.execute(document, variable_values=variables, context_value=context)
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [error.formatted for error in result.errors]
        return encode_response(response) or json.dumps(response, separators=(",", ":")).encode()
