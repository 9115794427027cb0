"""The compiled read path: public catalogue queries answered by one PostgreSQL statement that builds the JSON.

:class:`CompiledExecution` is the schema's execution context. After parsing, validation and every protection rule
(depth, aliases, tokens, cost: they run before execution) and inside the deadline, a query whose root fields the
planner (:mod:`gateway.graphql.compiled_plan`) supports is answered by
:func:`gateway.catalogue.compiled_reads.read_compiled`: the result's ``data`` is a :class:`CompiledData` holding the
JSON text, spliced into the response by :func:`encode_response`. Anything else takes the normal path, and so does a
compiled statement that fails (the normal path then reports the error as usual). A request uses it only when its
context carries :class:`CompiledReads` (the HTTP view sets it on PostgreSQL with ``GATEWAY_COMPILED_READS`` on).

A compiled read is one statement: on the gateway it runs straight on asyncpg, on a pool of its own
(:meth:`CompiledReads.open`), in autocommit, without pre-ping or reset query, so that it costs one round trip to
PostgreSQL instead of five (pre-ping's BEGIN and ROLLBACK, then BEGIN, the statement, ROLLBACK). A connection the
database has closed fails the statement: the pool replaces it and the normal path answers (on the read engine,
which reads again on a new connection when its own was closed: :func:`shared.db.retry_once_if_disconnected`).
"""

import codecs
import contextlib
import json
import logging
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from asyncpg.connection import LoggedQuery
from graphql import FieldNode, FragmentDefinitionNode, GraphQLSchema, OperationDefinitionNode, OperationType
from sqlalchemy.exc import SQLAlchemyError

from gateway.catalogue.compiled_reads import STATEMENTS_KEPT, read_compiled
from gateway.catalogue.selections import CompiledRead
from gateway.graphql.compiled_plan import Unsupported, plan_read
from gateway.graphql.subscriptions import SharedEventResults
from gateway.response_cache.freshness import valid_until
from shared.db import POOL_WAIT_SECONDS, SessionFactory, create_driver_pool

log = logging.getLogger(__name__)
COMPILED = "compiled"


LEARNED_KEPT = 256
DOCUMENT_KEY = "compiled_document"
"""Where the front leaves, in the request's ``scope["state"]``, the (document, operation name) the view may learn."""
COMPILED_FAILED = "compiled_failed"
"""Set in the request's ``scope["state"]`` when the front's statement failed: the view goes straight to the normal
executor."""


@dataclass(frozen=True)
class LearnedDocument:
    operation: OperationDefinitionNode
    fragments: Mapping[str, FragmentDefinitionNode]
    fields: str
    """The operation metrics' label of its root fields."""


class LearnedDocuments:
    """(document text, operation name) → what the normal path found when it validated it; bounded LRU (S10)."""

    def __init__(self, capacity: int = LEARNED_KEPT) -> None:
        self._capacity = capacity
        self._known: OrderedDict[tuple[str, str | None], LearnedDocument] = OrderedDict()

    def __len__(self) -> int:
        return len(self._known)

    def get(self, key: tuple[str, str | None]) -> LearnedDocument | None:
        found = self._known.get(key)
        if found is not None:
            self._known.move_to_end(key)
        return found

    def learn(
        self,
        key: tuple[str, str | None],
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
    ) -> None:
        self._known[key] = LearnedDocument(operation, fragments, _fields_label(schema, operation))
        if len(self._known) > self._capacity:
            self._known.popitem(last=False)


def _fields_label(schema: GraphQLSchema, operation: OperationDefinitionNode) -> str:
    """As :func:`shared.metrics.operation_metrics` labels it: the root fields selected directly, sorted, three."""
    root = schema.get_root_type(operation.operation)
    selected = {s.name.value for s in operation.selection_set.selections if isinstance(s, FieldNode)}
    names = sorted(name for name in selected if root is not None and name in root.fields)
    return "+".join(names[:3]) or "invalid"


class CompiledData(dict[str, Any]):
    """The ``data`` of a compiled answer: empty as a dict, its JSON text in :attr:`text`."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class CompiledReads:
    """This process's compiled read path: how many queries took it, and why the others did not."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.pool: asyncpg.Pool[asyncpg.Record] | None = None
        """The compiled reads' own pool (autocommit, no pre-ping), once :meth:`open`; else the request's sessions."""
        self.learned = LearnedDocuments()
        """The documents :class:`gateway.graphql.compiled_front.CompiledFront` answers before the view."""
        self.query_loggers: list[Callable[[LoggedQuery], None]] = []
        """Given every statement the own pool runs (asyncpg's query loggers), on connections opened after."""

    async def open(self, database_url: str, pool_size: int = 16) -> None:
        """Connections are opened on demand and kept up to ``pool_size`` (beyond it, reads wait for one)."""
        self.pool = await create_driver_pool(
            database_url, max_size=pool_size, statement_cache_size=STATEMENTS_KEPT, init=self._on_connect
        )

    async def _on_connect(self, connection: asyncpg.Connection) -> None:
        for logger in self.query_loggers:
            connection.add_query_logger(logger)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
            self.pool = None

    @contextlib.asynccontextmanager
    async def connection(self, sessions: SessionFactory | None) -> AsyncIterator[asyncpg.Connection]:
        """Where a compiled statement runs: the own pool when open, else the driver connection of a session."""
        if self.pool is not None:
            async with self.pool.acquire(timeout=POOL_WAIT_SECONDS) as connection:
                yield connection
            return
        assert sessions is not None, "without its own pool, a compiled read runs on the request's sessions"
        async with sessions() as session:
            raw = await (await session.connection()).get_raw_connection()
            yield raw.driver_connection

    async def read(self, plan: CompiledRead, sessions: SessionFactory | None) -> CompiledData | None:
        """The answer's ``data`` by one statement (on the own pool, else a session of ``sessions``); None when the
        statement failed (logged and counted: the normal path answers)."""
        try:
            async with self.connection(sessions) as connection:
                answer = await read_compiled(connection, plan)
        except (SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            log.warning(
                "compiled read failed, the normal path answers", extra={"error": type(error).__name__}, exc_info=True
            )
            self.counts["normal:compiled-failed"] += 1
            return None
        self.counts[COMPILED] += 1
        if answer.changes_at is not None:
            valid_until(answer.changes_at)  # a status turns « périmée » then: a cached answer expires
        return CompiledData(answer.data)

    def paths(self) -> dict[str, int]:
        """``compiled`` and ``normal:<reason>`` → count (the ``/metrics`` counter)."""
        return dict(self.counts)


class CompiledExecution(SharedEventResults):
    def execute_operation(self, serially: bool | None = None) -> Any:
        reads: CompiledReads | None = getattr(self.context_value, "compiled_reads", None)
        if reads is None or self.operation.operation is not OperationType.QUERY:
            return super().execute_operation(serially)
        context = self.context_value
        plan = plan_read(
            self.schema,
            self.operation,
            self.fragment_definitions,
            self.variable_values,
            today=context.today,
            now=datetime.now(UTC),
        )
        if isinstance(plan, Unsupported):
            reads.counts[f"normal:{plan.reason}"] += 1
            return super().execute_operation(serially)
        return self._compiled(reads, plan, serially)

    async def _compiled(self, reads: CompiledReads, plan: CompiledRead, serially: bool | None) -> Any:
        data = await reads.read(plan, self.context_value.sessions)
        if data is None:
            result = super().execute_operation(serially)
            return await result if self.is_awaitable(result) else result
        learning = self.context_value.compiled_document
        if learning is not None:  # validated, coerced and compiled: the front may answer it from now on
            reads.learned.learn(learning, self.schema, self.operation, self.fragment_definitions)
        return self.build_response(data)


def _escape_as_json(error: UnicodeError) -> tuple[str, int]:
    """``json.dumps``'s escapes (``\\uXXXX``, surrogate pairs) for the characters ASCII cannot hold."""
    assert isinstance(error, UnicodeEncodeError)
    escaped = []
    for char in error.object[error.start : error.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            escaped.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
        else:
            escaped.append(f"\\u{code:04x}")
    return "".join(escaped), error.end


codecs.register_error("structures_json_escape", _escape_as_json)


def encode_response(response: object) -> bytes | None:
    """The bytes ``json.dumps(response, separators=(",", ":"))`` would give for a compiled answer, else None."""
    if not isinstance(response, dict) or not isinstance(response.get("data"), CompiledData):
        return None
    text: str = response["data"].text
    data = text.replace("\x7f", "\\u007f").encode("ascii", "structures_json_escape")
    rest = json.dumps({key: value for key, value in response.items() if key != "data"}, separators=(",", ":"))
    return b'{"data":' + data + (b"," + rest[1:-1].encode() if len(rest) > 2 else b"") + b"}"


__all__ = [
    "COMPILED_FAILED",
    "DOCUMENT_KEY",
    "CompiledData",
    "CompiledExecution",
    "CompiledReads",
    "LearnedDocument",
    "LearnedDocuments",
    "encode_response",
]
