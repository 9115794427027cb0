"""The idempotent event processor every consumer runs, whatever the bus.

For each incoming message: parse the CloudEvent (a message that does not parse goes to the dead-letter topic
with the reason); skip it if its id is already in the ``processed_events`` table; otherwise run the handler and
record the id **in the same transaction**, so a redelivered event has no second effect. Transient failures
(database or broker unreachable) are retried with exponential backoff until they pass or the service stops;
permanent ones, and unexpected errors that persist, dead-letter the message so the next one can be processed.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from sqlalchemy import Column, DateTime, MetaData, String, Table, exc, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import SessionFactory
from shared.errors import PermanentError, TransientError
from shared.events import MAX_EVENT_BYTES, Envelope, WireMessage, dead_letter_topic, from_wire
from shared.logging import correlation_scope
from shared.outbox import Publisher

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]


def define_processed_events_table(metadata: MetaData) -> Table:
    """The ``processed_events`` table of a service: ids of the events it has already applied."""
    return Table(
        "processed_events",
        metadata,
        Column("event_id", String(64), primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )


@dataclass(frozen=True)
class Delivery:
    """A message as received from the bus, with where it came from."""

    message: WireMessage
    partition: int = 0
    offset: int = 0


class Outcome(Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead-lettered"


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: float = 0.2
    max_delay: float = 30.0
    max_unexpected_failures: int = 5
    """An unexpected exception is retried this many times, then the message is dead-lettered."""


# exc.TimeoutError: no pooled connection free in time, the service is busy, not broken.
_TRANSIENT = (
    TransientError, exc.OperationalError, exc.InterfaceError, exc.TimeoutError, ConnectionError, TimeoutError, OSError
)  # fmt: skip


class EventProcessor:
    """Applies events to one service's database exactly once; see the module docstring."""

    def __init__(
        self,
        sessions: SessionFactory,
        processed: Table,
        handlers: Mapping[str, Handler],
        dead_letters: Publisher,
        *,
        retry: RetryPolicy | None = None,
        stop: asyncio.Event | None = None,
        on_applied: Callable[[], None] | None = None,
        consumer: str = "",
    ) -> None:
        self._consumer = consumer
        """Who failed, in the ``dlq_consumer`` header: several services consume one topic and each dead-letters
        what it cannot apply to the same ``.dlq``, so a letter names its consumer group (or service)."""
        self._sessions = sessions
        self._processed = processed
        self._handlers = handlers
        self._dead_letters = dead_letters
        self._retry = retry or RetryPolicy()
        self._stop = stop or asyncio.Event()
        self._on_applied = on_applied
        self.counts: dict[Outcome, int] = dict.fromkeys(Outcome, 0)

    async def process(self, delivery: Delivery) -> Outcome:
        """Apply one delivery; returns once it is applied, known, ignored or dead-lettered."""
        outcome = await self._process(delivery)
        self.counts[outcome] += 1
        return outcome

    async def _process(self, delivery: Delivery) -> Outcome:
        try:
            event = from_wire(delivery.message.value, delivery.message.headers)
        except PermanentError as error:
            return await self._dead_letter(delivery, error)
        handler = self._handlers.get(event.type)
        if handler is None:
            return Outcome.IGNORED
        with correlation_scope(event.correlationid or event.id):
            return await self._apply_with_retries(delivery, event, handler)

    async def _apply_with_retries(self, delivery: Delivery, event: Envelope, handler: Handler) -> Outcome:
        delay, unexpected = self._retry.first_delay, 0
        while True:
            try:
                return await self._apply(event, handler)
            except PermanentError as error:
                return await self._dead_letter(delivery, error)
            except exc.DataError as error:
                # The database refuses the values themselves (too long, out of range): no retry changes that.
                return await self._dead_letter(delivery, _refused_values(error))
            except _TRANSIENT as error:
                log.warning("transient failure, retrying", extra={"event_id": event.id, "error": repr(error)})
            except Exception as error:
                unexpected += 1
                log.exception("handler failed", extra={"event_id": event.id, "attempt": unexpected})
                if unexpected >= self._retry.max_unexpected_failures:
                    return await self._dead_letter(delivery, error)
            if self._stop.is_set():
                raise asyncio.CancelledError("stopping before the event could be applied")
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._retry.max_delay)

    async def _apply(self, event: Envelope, handler: Handler) -> Outcome:
        try:
            async with self._sessions() as session, session.begin():
                if await self._seen(session, event.id):
                    return Outcome.DUPLICATE
                await handler(session, event)
                await session.execute(
                    self._processed.insert().values(
                        event_id=event.id, event_type=event.type, processed_at=datetime.now(UTC)
                    )
                )
            if self._on_applied is not None:
                self._on_applied()
            return Outcome.APPLIED
        except exc.IntegrityError:
            # A concurrent consumer (during a rebalance) applied it first, or the handler broke a constraint.
            async with self._sessions() as session:
                if await self._seen(session, event.id):
                    return Outcome.DUPLICATE
            raise

    async def _seen(self, session: AsyncSession, event_id: str) -> bool:
        found = await session.scalar(select(self._processed.c.event_id).where(self._processed.c.event_id == event_id))
        return found is not None

    async def _dead_letter(self, delivery: Delivery, error: BaseException) -> Outcome:
        message = delivery.message
        reason = f"{type(error).__name__}: {error}"[:2000]
        log.error("dead-lettering message", extra={"topic": message.topic, "offset": delivery.offset, "reason": reason})
        extra: tuple[tuple[str, bytes], ...] = (
            ("dlq_reason", reason.encode()),
            ("dlq_source_topic", message.topic.encode()),
            ("dlq_source_partition", str(delivery.partition).encode()),
            ("dlq_source_offset", str(delivery.offset).encode()),
            ("dlq_at", datetime.now(UTC).isoformat().encode()),
            *((("dlq_consumer", self._consumer.encode()),) if self._consumer else ()),
        )
        value = message.value
        if value is not None and len(value) > MAX_EVENT_BYTES:
            # The whole message plus these headers might not fit in Kafka: keep its beginning and say so.
            extra += (("dlq_value_truncated_from", str(len(value)).encode()),)
            value = value[:MAX_EVENT_BYTES]
        dead = WireMessage(
            topic=dead_letter_topic(message.topic), key=message.key, value=value, headers=message.headers + extra
        )
        await self._publish_dead_letter(dead)
        return Outcome.DEAD_LETTERED

    async def _publish_dead_letter(self, dead: WireMessage) -> None:
        delay = self._retry.first_delay
        while True:
            try:
                await self._dead_letters.publish([dead])
                return
            except _TRANSIENT as error:
                if self._stop.is_set():
                    raise asyncio.CancelledError("stopping before the dead letter could be published") from error
                log.warning("dead-letter publish failed, retrying", extra={"error": repr(error)})
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry.max_delay)


def _refused_values(error: exc.DataError) -> PermanentError:
    """The database's own words, without the statement and its parameters (they may hold personal data)."""
    first_line = str(error.orig).splitlines()[0] if error.orig is not None else "invalid value"
    return PermanentError(f"the database refused a value: {first_line}")
