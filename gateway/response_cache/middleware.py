"""The ASGI face of the response cache, in front of the GraphQL endpoint (inside the conditional-GET middleware,
so a cached answer still gets its ETag and 304).

Only anonymous requests (no ``Authorization``, no ``X-Api-Key``) to ``GET``/``POST /graphql`` whose operation
:class:`~gateway.response_cache.requests.RequestReader` accepts are looked up; everything else passes untouched.
A hit is answered from memory with ``X-Cache: hit``; a miss runs the endpoint, answers with ``X-Cache: miss``, and
stores the answer when it is a 200 JSON answer without errors (and no publication touching it was read meanwhile).
"""

import asyncio
import json
import re
from collections.abc import Callable, Coroutine, Mapping
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.catalogue.places import list_eaje_positions, list_places
from gateway.response_cache.freshness import measuring_freshness
from gateway.response_cache.invalidation import Invalidation
from gateway.response_cache.refresh import Refresher
from gateway.response_cache.requests import CacheableRequest, NotCacheableError, RequestReader
from gateway.response_cache.store import Entry, Replay, ResponseCache, compress
from gateway.response_cache.tags import PlaceIndex, distance, establishment_tag
from shared.db import SessionFactory
from shared.relay import InvalidArgumentError, from_global_id
from shared.trusted_documents import TrustedDocuments

_ESTABLISHMENT_ID = re.compile(rb'"(RXN0YWJsaXNobWVudD[A-Za-z0-9_=-]{40,80})"')
"""A global ID of an establishment in an answer: base64 of « Establishment:<uuid> »."""


class ResponseCacheMiddleware:
    def __init__(self, app: ASGIApp, *, caching: "ResponseCaching", path: str = "/graphql") -> None:
        self.app, self.caching, self.path = app, caching, path
        caching.endpoint = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _candidate(scope, self.path):
            await self.app(scope, receive, send)
            return
        body, receive = await _buffered(receive) if scope["method"] == "POST" else (b"", receive)
        replay = Replay(scope["method"], scope.get("query_string", b""), body, _kept_headers(scope))
        request = self.caching.cacheable(replay)
        if request is None:
            await self.app(scope, receive, send)
            return
        self.caching.application = scope.get("app")
        entry = self.caching.cache.get(request.key)
        if entry is not None:
            await _send_entry(entry, send)
            return
        await self.caching.compute(scope, receive, send, request, replay)


class ResponseCaching:
    """The cache of one process: its memory, its place index, the requests it reads, the endpoint it calls."""

    def __init__(
        self, cache: ResponseCache, documents: TrustedDocuments, today: Callable[[], date], refresh_workers: int = 2
    ) -> None:
        self.cache, self.documents, self.today = cache, documents, today
        self.index = PlaceIndex()
        self.reader = RequestReader()
        self.refresher = Refresher(self.recompute, concurrency=refresh_workers) if refresh_workers > 0 else None
        self.invalidation = Invalidation(cache, self.index, self.refresher)
        self.endpoint: ASGIApp | None = None
        """The GraphQL endpoint behind the middleware (set when Starlette builds its middleware stack)."""
        self.application: object = None
        """The Starlette application, as requests carry it in their scope (the refresh-ahead's requests too)."""

    async def start(
        self, sessions: SessionFactory, spawn: Callable[[Coroutine[Any, Any, None], str], object], stop: asyncio.Event
    ) -> None:
        """Load the place index (after any demo data), start the refresh-ahead."""
        async with sessions() as session:
            self.index.load(await list_places(session))
            self.index.load_positions(await list_eaje_positions(session))
        if self.refresher is not None:
            spawn(self.refresher.run(stop), "response-cache-refresh")

    def cacheable(self, replay: Replay) -> CacheableRequest | None:
        params = _params(replay)
        if params is None or params.get("extensions"):
            return None
        document = params.get("query")
        identifier = params.get("documentId")
        if document is None and isinstance(identifier, str):
            document = self.documents.known(identifier)
        if not isinstance(document, str):
            return None
        return self.reader.read(document, params.get("operationName"), params.get("variables"), self.today())

    async def compute(
        self, scope: Scope, receive: Receive, send: Send, request: CacheableRequest, replay: Replay
    ) -> None:
        """Run the endpoint, answer, and store the answer if it may be kept."""
        assert self.endpoint is not None, "the middleware sets the endpoint"
        try:
            tags = request.tags()
        except NotCacheableError:
            await self.endpoint(scope, receive, send)
            return
        ticket = self.cache.begin()
        start: Message | None = None
        chunks: list[bytes] = []

        async def capturing(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                message = {**message, "headers": [*message.get("headers", []), (b"x-cache", b"miss")]}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        stored = False
        try:
            with measuring_freshness() as freshness:
                await self.endpoint(scope, receive, capturing)
            body = b"".join(chunks)
            answer = _keepable(start, body) if start is not None else None
            if start is not None and answer is not None:
                expires = freshness.until.timestamp() if freshness.until is not None else None
                headers = tuple((n, v) for n, v in start.get("headers", []) if n.lower() != b"content-length")
                stored = True
                tags |= _answer_tags(body)
                entry = Entry(
                    request.key,
                    compress(body),
                    headers,
                    tags,
                    expires,
                    replay,
                    availabilities=request.reads_availabilities(),
                    circles=request.circles(),
                    reach=self._reach(request, answer),
                )
                self.cache.store(ticket, entry)
        finally:
            if not stored:
                self.cache.end(ticket)

    def _reach(self, request: CacheableRequest, answer: Any) -> float | None:
        """How far a full « near » page goes, when every establishment it shows has a known position."""
        shown = request.full_page(answer)
        positions = [self.index.position(key) for key in shown or ()]
        if not positions or any(position is None for position in positions):
            return None
        circles = request.circles()
        return max(distance(position, circles) for position in positions if position is not None)

    async def recompute(self, replay: Replay) -> None:
        """Compute a dropped answer again, as its request would (the refresh-ahead)."""
        request = self.cacheable(replay)
        if request is None:
            return
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": replay.method,
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "root_path": "",
            "query_string": replay.query_string,
            "headers": list(replay.headers),
            "client": None,
            "server": None,
            "state": {},
            "app": self.application,
        }

        async def receive() -> Message:
            return {"type": "http.request", "body": replay.body, "more_body": False}

        async def discard(_message: Message) -> None:
            return None

        await self.compute(scope, receive, discard, request, replay)


def _candidate(scope: Scope, path: str) -> bool:
    if scope["type"] != "http" or scope["path"] != path or scope["method"] not in ("GET", "POST"):
        return False
    headers = Headers(scope=scope)
    if "authorization" in headers or "x-api-key" in headers:
        return False
    return scope["method"] == "GET" or headers.get("content-type", "").startswith("application/json")


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a ``receive`` that gives it again to the endpoint."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def again() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, again


def _params(replay: Replay) -> Mapping[str, Any] | None:
    if replay.method == "GET":
        params: dict[str, Any] = dict(parse_qsl(replay.query_string.decode("latin-1"), keep_blank_values=True))
        variables = params.get("variables")
        if variables:
            try:
                params["variables"] = json.loads(variables)
            except (ValueError, RecursionError):
                return None
        return params
    try:
        parsed = json.loads(replay.body)
    except (ValueError, RecursionError):  # not JSON, or nested too deep: the endpoint says so
        return None
    return parsed if isinstance(parsed, dict) else None


def _kept_headers(scope: Scope) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((n, v) for n, v in scope.get("headers", []) if n in (b"content-type", b"accept", b"host"))


def _keepable(start: Message, body: bytes) -> Any:
    """The answer, parsed, when it may be kept; else None."""
    headers = Headers(raw=start.get("headers", []))
    if start["status"] != 200 or not headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        answer = json.loads(body)
    except (ValueError, RecursionError):
        return None
    keep = isinstance(answer, dict) and "errors" not in answer and answer.get("data") is not None
    return answer if keep else None


def _answer_tags(body: bytes) -> frozenset[str]:
    """The establishments an answer shows (defence in depth: the operation's tags already cover them)."""
    tags = set()
    for match in _ESTABLISHMENT_ID.finditer(body):
        try:
            type_name, key = from_global_id(match.group(1).decode(), argument="id")
        except InvalidArgumentError:
            continue
        if type_name == "Establishment":
            tags.add(establishment_tag(key))
    return frozenset(tags)


async def _send_entry(entry: Entry, send: Send) -> None:
    body = entry.answer()
    headers = [*entry.headers, (b"content-length", str(len(body)).encode()), (b"x-cache", b"hit")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
