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
import time
from collections import OrderedDict, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from standardwebhooks import Webhook

from gateway.publications.feed import Publication
from gateway.webhooks import repositories
from gateway.webhooks.policy import RETRY_SCHEDULE, next_wait
from gateway.webhooks.repositories import Delivery, Endpoint, Outcome
from gateway.webhooks.sending import DeliveryError
from gateway.webhooks.signing import signed_headers
from shared.db import SessionFactory
from shared.relay import to_global_id
from shared.sealing import open_sealed

log = logging.getLogger(__name__)
PURGE_BATCH = 5000
PACE_WEIGHT = 0.2
"""Weight of the latest attempt in an endpoint's moving mean of attempt durations."""


@dataclass(frozen=True)
class DispatchSettings:
    private_key: str
    """The private half of ``GATEWAY_WEBHOOK_SEALING_KEY``: opens the sealed signing secrets."""
    schedule: Sequence[timedelta] = RETRY_SCHEDULE
    lease: timedelta = timedelta(seconds=30)
    per_endpoint: int = 4
    poll_seconds: float = 0.05
    fan_out_seconds: float = 0.02
    """The publication log is read this often when it had nothing new (a transaction each time)."""
    flush_seconds: float = 0.05
    gather_seconds: float = 0.01
    """After a request slot frees, the claim waits this long for others to free: one claim of many rows rather than
    many claims of one (each claim is a transaction)."""
    retention: timedelta = timedelta(days=14)
    """Delivered and dead deliveries are kept this long in the delivery log (and for replay), then purged."""
    purge_seconds: float = 60.0
    claim_factor: int = 8
    """A fast endpoint holds up to ``per_endpoint × claim_factor`` claimed rows (see :meth:`Dispatcher.room`)."""
    bodies_kept: int = 4096
    """Publications whose signed-over body is kept in memory: each goes to every matching endpoint, in several
    claims, so most claims read no publication at all."""


@dataclass
class DispatchCounts:
    delivered: int = 0
    failed: int = 0
    dead: int = 0


class Sender(Protocol):
    async def post(self, endpoint_id: str, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """The answer's HTTP status; :class:`DeliveryError` when there is none."""

    async def close(self) -> None: ...


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
    sender: Sender
    settings: DispatchSettings
    counts: DispatchCounts = field(default_factory=DispatchCounts)
    _in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _slots: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _outcomes: list[tuple[Outcome, timedelta | None]] = field(default_factory=list)
    _signers: dict[str, Webhook] = field(default_factory=dict)
    _bodies: OrderedDict[int, tuple[str, bytes]] = field(default_factory=OrderedDict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _pace: dict[str, float] = field(default_factory=dict)
    """Endpoint → moving mean of its attempts' durations (seconds), failures included."""

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set; then finish the requests in flight and record them (claimed rows not yet sent are
        left to their lease)."""
        self._stopping = stop
        async with asyncio.TaskGroup() as group:
            group.create_task(self._every(stop, self.fan_out_once, self.settings.fan_out_seconds))
            group.create_task(self._claims(stop))
            group.create_task(self._every(stop, self.flush, self.settings.flush_seconds))
            group.create_task(self._every(stop, self.purge_once, self.settings.purge_seconds))
        if self._tasks:
            await asyncio.wait(self._tasks)
        await self.flush()
        await self.sender.close()

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
            self._wake.clear()
            try:
                more = await self.claim_once()
            except Exception as error:  # noqa: BLE001 - loop boundary: log, wait, try again
                log.warning("webhook claim failed", extra={"error": repr(error)})
                more = False
            if not more:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.poll_seconds):
                        await self._wake.wait()
                await asyncio.sleep(self.settings.gather_seconds)

    async def purge_once(self) -> bool:
        """Drop a batch of finished deliveries older than the retention; True when there may be more."""
        async with self.sessions() as session, session.begin():
            purged = await repositories.purge_finished(
                session, datetime.now(UTC) - self.settings.retention, PURGE_BATCH
            )
        return purged >= PURGE_BATCH

    async def fan_out_once(self) -> bool:
        async with self.sessions() as session, session.begin():
            read = await repositories.fan_out(session, datetime.now(UTC))
        if read:
            self._wake.set()  # new rows are due: claim them now rather than at the next poll
        return read > 0

    async def claim_once(self) -> bool:
        """Claim and start sending; True when there may be more due right away.

        Each endpoint is claimed for up to its *room* (:meth:`room`): what it can take within a quarter of the lease
        at its recent pace, so that a fast endpoint gets a batch per claim and a slow one never holds rows past their
        lease. Endpoints more than half full are skipped; those not yet timed get ``per_endpoint``."""
        rooms: dict[int, list[str]] = defaultdict(list)
        for endpoint_id in self._pace:
            room = self.room(endpoint_id)
            if self._in_flight[endpoint_id] <= room // 2:
                rooms[room].append(endpoint_id)
        now = datetime.now(UTC)
        lease = self.settings.lease
        async with self.sessions() as session, session.begin():
            per = self.settings.per_endpoint
            untimed_busy = {endpoint_id for endpoint_id, n in self._in_flight.items() if n >= per}
            claimed = await repositories.claim_due(
                session, now, lease=lease, per_endpoint=per, busy=untimed_busy | self._pace.keys()
            )
            for room, endpoint_ids in rooms.items():
                claimed += await repositories.claim_due(session, now, lease=lease, per_endpoint=room, only=endpoint_ids)
            missing = sorted({d.position for d, _ in claimed} - self._bodies.keys())
            if missing:
                self._keep(await repositories.publications_at(session, missing))
        for delivery, endpoint in claimed:
            self._in_flight[endpoint.id] += 1
            task = asyncio.create_task(self._send(delivery, endpoint, self._bodies[delivery.position]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return bool(claimed)

    def room(self, endpoint_id: str) -> int:
        """Rows to hold for an endpoint: ``per_endpoint`` requests at a time for a quarter of the lease at its mean
        attempt time, between 1 and ``per_endpoint × claim_factor``."""
        per = self.settings.per_endpoint
        pace = self._pace.get(endpoint_id)
        if pace is None:
            return per
        fits = int(per * self.settings.lease.total_seconds() / 4 / max(pace, 1e-3))
        return max(1, min(per * self.settings.claim_factor, fits))

    def _keep(self, publications: Sequence[Publication]) -> None:
        for publication in publications:
            text = body_of(publication)
            self._bodies[publication.position] = (text, text.encode())
        while len(self._bodies) > self.settings.bodies_kept:
            self._bodies.popitem(last=False)

    async def _send(self, delivery: Delivery, endpoint: Endpoint, body: tuple[str, bytes]) -> None:
        slots = self._slots.setdefault(endpoint.id, asyncio.Semaphore(self.settings.per_endpoint))
        try:
            async with slots:
                if self._stopping.is_set():
                    return  # not sent: the row is sent again when its lease ends, by this dispatcher or another
                started = time.monotonic()
                outcome = await self.attempt(delivery, endpoint, body)
                took = time.monotonic() - started
                pace = self._pace.get(endpoint.id)
                self._pace[endpoint.id] = took if pace is None else pace + PACE_WEIGHT * (took - pace)
        finally:
            self._in_flight[endpoint.id] -= 1
            self._wake.set()
        wait = None if outcome.delivered else next_wait(delivery.attempts + 1, self.settings.schedule)
        self._outcomes.append((outcome, wait))
        self._count(outcome, wait)

    async def attempt(self, delivery: Delivery, endpoint: Endpoint, body: tuple[str, bytes]) -> Outcome:
        """One signed POST of ``body`` (its text, signed over, and its bytes, sent); never raises for the endpoint's
        faults (they are the outcome)."""
        text, content = body
        now = datetime.now(UTC)
        signers = [self._signer(sealed) for sealed in endpoint.sealed_secrets(now)]
        headers = signed_headers(signers, webhook_id=delivery.webhook_id, at=now, body=text)
        try:
            status = await self.sender.post(endpoint.id, endpoint.url, content, headers)
        except DeliveryError as error:
            return Outcome(delivery.webhook_id, now, None, str(error))
        outcome = Outcome(delivery.webhook_id, now, status)
        return outcome if outcome.delivered else Outcome(delivery.webhook_id, now, status, f"HTTP {status}")

    def _signer(self, sealed_secret: str) -> Webhook:
        """The signer of a sealed secret, opened once (a rotation seals a new one: a new key here)."""
        signer = self._signers.get(sealed_secret)
        if signer is None:
            signer = self._signers[sealed_secret] = Webhook(open_sealed(sealed_secret, self.settings.private_key))
        return signer

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
