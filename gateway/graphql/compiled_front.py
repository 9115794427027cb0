"""The compiled read path's front door: public reads answered before strawberry's view, with the same bytes.

:class:`CompiledFront` sits in front of the GraphQL view on ``/graphql``. A POST of JSON without credentials
(no ``Authorization``, no API key) whose document — by text, or by a ``documentId`` already loaded — the normal path
has already *learned* is answered here: its variables are coerced as the executor coerces them, the planner
(:mod:`gateway.graphql.compiled_plan`) plans it and one statement answers. A document is learned when the normal path
(parsing, every validation rule and limit included) answered it by the compiled path: validation depends on the
document alone, so a learned document always passes it again. Anything else — another method, a batch, an
unlearned document, variables the executor would refuse, a plan the compiler does not build, a failed statement or
one still running at the schema's deadline — goes to the view untouched (its body replayed), which answers and
reports errors as always. This module therefore never writes an error: only answers the compiled path already
gives, byte for byte. No GraphQL context is built for the requests it answers.
"""

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from graphql import GraphQLSchema
from graphql.execution.values import get_variable_values
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.graphql.compiled import COMPILED_FAILED, DOCUMENT_KEY, CompiledReads, LearnedDocument, encode_response
from gateway.graphql.compiled_plan import Unsupported, plan_read
from shared.metrics import ServiceMetrics
from shared.text import unstorable_text
from shared.trusted_documents import TrustedDocuments

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Request:
    key: tuple[str, str | None]
    variables: dict[str, Any]


class CompiledFront:
    """ASGI app on ``/graphql`` in front of ``view`` (see the module's docstring)."""

    def __init__(
        self,
        view: ASGIApp,
        schema: GraphQLSchema,
        reads: CompiledReads,
        documents: TrustedDocuments,
        zone: ZoneInfo,
        metrics: ServiceMetrics,
        timeout_seconds: float,
    ) -> None:
        self.view, self.schema, self.reads, self.documents = view, schema, reads, documents
        self.zone, self.metrics, self.timeout_seconds = zone, metrics, timeout_seconds
        self.answered = 0
        """Requests answered here, before the view."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._may_answer(scope):
            await self.view(scope, receive, send)
            return
        started = time.perf_counter()
        body, receive = await _buffered(receive)
        request = self._request(body)
        learned = self.reads.learned.get(request.key) if request is not None else None
        if request is not None and learned is None:
            scope.setdefault("state", {})[DOCUMENT_KEY] = request.key
        answer = await self._answer(learned, request.variables, scope) if learned and request else None
        if answer is None:
            await self.view(scope, receive, send)
            return
        assert learned is not None
        await Response(answer, media_type="application/json")(scope, receive, send)
        self.answered += 1
        self.metrics.operations.labels(learned.fields, "query", "ok").observe(time.perf_counter() - started)

    def _may_answer(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "POST" or self.reads.pool is None:
            return False
        headers = Headers(scope=scope)
        media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        return media_type == "application/json" and "authorization" not in headers and "x-api-key" not in headers

    def _request(self, body: bytes) -> _Request | None:
        """The body's document and variables when it is one plain GraphQL request the view would take as is."""
        try:
            decoded = json.loads(body)
        except (ValueError, RecursionError):
            return None
        if not isinstance(decoded, dict) or unstorable_text(decoded, "request") is not None:
            return None
        text, identifier = decoded.get("query"), decoded.get("documentId")
        if text is None and isinstance(identifier, str):
            text = self.documents.known(identifier)
        name, variables = decoded.get("operationName"), decoded.get("variables")
        if not isinstance(text, str) or not (name is None or isinstance(name, str)):
            return None
        if not (variables is None or isinstance(variables, dict)) or decoded.get("extensions") is not None:
            return None
        return _Request((text, name), variables or {})

    async def _answer(self, learned: LearnedDocument, variables: dict[str, Any], scope: Scope) -> bytes | None:
        coerced = get_variable_values(self.schema, learned.operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            return None
        today = datetime.now(self.zone).date()
        plan = plan_read(self.schema, learned.operation, learned.fragments, coerced, today=today, now=datetime.now(UTC))
        if isinstance(plan, Unsupported):
            return None
        try:
            async with asyncio.timeout(self.timeout_seconds):
                data = await self.reads.read(plan, None)
        except TimeoutError:
            log.warning("compiled read cancelled at its deadline, the view answers")
            self.reads.counts["normal:compiled-failed"] += 1
            data = None
        if data is None:  # the statement failed: the view's normal executor answers, without trying it again
            scope.setdefault("state", {})[COMPILED_FAILED] = True
            return None
        return encode_response({"data": data})


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The request's body, and a ``receive`` that gives it again, then what follows (a disconnection)."""
    chunks: list[bytes] = []
    pending: list[Message] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            pending.append(message)
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    pending.insert(0, {"type": "http.request", "body": body, "more_body": False})

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return body, replay


__all__ = ["CompiledFront"]
