"""The webhook dispatcher: fans publications out into the outbox, claims due deliveries, POSTs them signed.

It runs as its own process (``structures webhooks``), beside the gateway's web processes, on the gateway's
PostgreSQL database: it can be scaled, restarted or killed without touching the API, and several may run at once
(claims skip each other's rows). Three loops:

- fan-out: the publication log after the fan-out cursor → one outbox row per matching endpoint, cursor moved in
  the same transaction (positions are gapless and follow commit order: nothing is skipped, nothing twice);
- claims: due rows, a few per endpoint whose in-flight requests are under the cap, leased and committed before
  sending — a failing or slow endpoint holds its own slots only, never the others';
- outcomes: attempts recorded in batches (delivered, due again after the schedule's wait, or dead).

A kill between a send and its record leaves the row due when its lease ends: it is sent again with the same
``webhook-id`` (at-least-once; integrators drop what they already have).
"""

import asyncio
import contextlib
import json
import logging
import ssl
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from gateway.publications.feed import Publication
from gateway.webhooks import repositories
from gateway.webhooks.policy import RETRY_SCHEDULE, next_wait
from gateway.webhooks.repositories import Delivery, Endpoint, Outcome
from gateway.webhooks.signing import signed_headers
from shared.db import SessionFactory
from shared.relay import to_global_id
from shared.sealing import open_sealed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DispatchSettings:
    private_key: str
    """The private half of ``GATEWAY_WEBHOOK_SEALING_KEY``: opens the sealed signing secrets."""
    schedule: Sequence[timedelta] = RETRY_SCHEDULE
    lease: timedelta = timedelta(seconds=30)
    per_endpoint: int = 4
    poll_seconds: float = 0.05
    flush_seconds: float = 0.05


@dataclass
class DispatchCounts:
    delivered: int = 0
    failed: int = 0
    dead: int = 0


def body_of(publication: Publication) -> str:
    """The POSTed JSON: the Standard Webhooks envelope around the publication as the subscription gives it."""
    place = publication.place
    data = {
        "id": publication.id, "cursor": str(publication.position), "type": publication.type.name,
        "establishmentId": to_global_id("Establishment", publication.establishment_id),
        "departement": place.departement, "communeInsee": place.commune_insee, "category": place.category,
        "occurredAt": publication.occurred_at.isoformat(), "data": publication.data,
    }  # fmt: skip
    envelope = {"type": publication.type.value, "timestamp": publication.occurred_at.isoformat(), "data": data}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Dispatcher:
    sessions: SessionFactory
    new_client: Callable[[], httpx.AsyncClient]
    """A client for one endpoint: each endpoint has its own small connection pool (httpcore's pool scans all its
    connections at each request, which costs more than the request itself with hundreds of connections)."""
    settings: DispatchSettings
    counts: DispatchCounts = field(default_factory=DispatchCounts)
    _in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _slots: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _outcomes: list[tuple[Outcome, timedelta | None]] = field(default_factory=list)
    _secrets: dict[str, str] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    _freed: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set; then finish what is in flight and record it."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._every(stop, self.fan_out_once))
            group.create_task(self._claims(stop))
            group.create_task(self._every(stop, self.flush, self.settings.flush_seconds))
        if self._tasks:
            await asyncio.wait(self._tasks)
        await self.flush()
        for client in self._clients.values():
            await client.aclose()

    async def _every(self, stop: asyncio.Event, turn: Any, seconds: float | None = None) -> None:
        while not stop.is_set():
            try:
                busy = await turn()
            except Exception as error:  # noqa: BLE001 - loop boundary: log, wait, try again
                log.warning("webhook dispatcher turn failed", extra={"turn": turn.__name__, "error": repr(error)})
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(seconds or self.settings.poll_seconds):
                        await stop.wait()

    async def _claims(self, stop: asyncio.Event) -> None:
        """Claim as soon as a request slot frees (or every poll, for what became due meanwhile)."""
        while not stop.is_set():
            self._freed.clear()
            try:
                more = await self.claim_once()
            except Exception as error:  # noqa: BLE001 - loop boundary: log, wait, try again
                log.warning("webhook claim failed", extra={"error": repr(error)})
                more = False
            if not more:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.poll_seconds):
                        await self._freed.wait()

    async def fan_out_once(self) -> bool:
        async with self.sessions() as session, session.begin():
            read = await repositories.fan_out(session, datetime.now(UTC))
        return read > 0

    async def claim_once(self) -> bool:
        """Claim and start sending; True when there may be more due right away."""
        busy = {endpoint for endpoint, n in self._in_flight.items() if n >= self.settings.per_endpoint}
        async with self.sessions() as session, session.begin():
            claimed = await repositories.claim_due(
                session, datetime.now(UTC), lease=self.settings.lease, per_endpoint=self.settings.per_endpoint,
                busy=busy,
            )  # fmt: skip
        for delivery, endpoint, publication in claimed:
            self._in_flight[endpoint.id] += 1
            task = asyncio.create_task(self._send(delivery, endpoint, publication))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return bool(claimed)

    async def _send(self, delivery: Delivery, endpoint: Endpoint, publication: Publication) -> None:
        slots = self._slots.setdefault(endpoint.id, asyncio.Semaphore(self.settings.per_endpoint))
        try:
            async with slots:
                outcome = await self.attempt(delivery, endpoint, publication)
        finally:
            self._in_flight[endpoint.id] -= 1
            self._freed.set()
        wait = None if outcome.delivered else next_wait(delivery.attempts + 1, self.settings.schedule)
        self._outcomes.append((outcome, wait))
        self._count(outcome, wait)

    async def attempt(self, delivery: Delivery, endpoint: Endpoint, publication: Publication) -> Outcome:
        """One signed POST; never raises for the endpoint's faults (they are the outcome)."""
        body = body_of(publication)
        now = datetime.now(UTC)
        headers = signed_headers(self._secret(endpoint), webhook_id=delivery.webhook_id, at=now, body=body)
        try:
            answer = await self._client(endpoint.id).post(endpoint.url, content=body.encode(), headers=headers)
        except httpx.HTTPError as error:
            return Outcome(delivery.webhook_id, now, None, f"{type(error).__name__}: {error}")
        refused = None if answer.is_success else f"HTTP {answer.status_code}"
        return Outcome(delivery.webhook_id, now, answer.status_code, refused)

    def _client(self, endpoint_id: str) -> httpx.AsyncClient:
        client = self._clients.get(endpoint_id)
        if client is None:
            client = self._clients[endpoint_id] = self.new_client()
        return client

    def _secret(self, endpoint: Endpoint) -> str:
        secret = self._secrets.get(endpoint.sealed_secret)
        if secret is None:
            secret = self._secrets[endpoint.sealed_secret] = open_sealed(
                endpoint.sealed_secret, self.settings.private_key
            )
        return secret

    def _count(self, outcome: Outcome, wait: timedelta | None) -> None:
        if outcome.delivered:
            self.counts.delivered += 1
        elif wait is None:
            self.counts.dead += 1
        else:
            self.counts.failed += 1

    async def flush(self) -> bool:
        """Record the outcomes gathered so far, in one transaction."""
        if not self._outcomes:
            return False
        batch, self._outcomes = self._outcomes, []
        try:
            async with self.sessions() as session, session.begin():
                await repositories.record_outcomes(session, [o for o, _ in batch], {o.webhook_id: w for o, w in batch})
        except BaseException:
            self._outcomes[:0] = batch  # recorded on the next turn; meanwhile the leases hold the rows
            raise
        return False


def http_clients(timeout_seconds: float, connections: int) -> Callable[[], httpx.AsyncClient]:
    """Makes one endpoint's client: short timeouts, no redirects (a redirect could lead anywhere the URL policy
    refuses), no proxies from the environment, ``connections`` at most. The TLS context (the CA bundle, slow to
    load) is built once and shared."""
    timeout = httpx.Timeout(timeout_seconds, connect=min(2.0, timeout_seconds))
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    tls = ssl.create_default_context()
    return lambda: httpx.AsyncClient(
        timeout=timeout, limits=limits, follow_redirects=False, trust_env=False, verify=tls
    )
