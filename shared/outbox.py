"""Transactional outbox: events are written in the same transaction as the state change, then relayed.

A service calls :func:`add_event` inside its use case's transaction. After commit, :class:`OutboxRelay` publishes
the pending rows in order (Kafka producer with ``acks=all`` and idempotence) and marks them sent. The relay is
woken at once by the committing session in the same process, by PostgreSQL ``NOTIFY`` across processes, and
polls as a safety net. Delivery is at least once; consumers are idempotent.

With several processes on PostgreSQL, a transaction-scoped advisory lock lets one relay publish at a time, so
events of one aggregate leave in commit order.
"""

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    func,
    select,
    text,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from shared.db import SessionFactory, is_postgresql
from shared.errors import EventContractError
from shared.events import MAX_EVENT_BYTES, Envelope, WireMessage, to_wire

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "structures_outbox"
_ADVISORY_LOCK_ID = 0x5354_5255  # "STRU": one relay at a time per database
_WAKE_KEY = "structures_outbox_wake"
_LISTEN_RETRY_SECONDS = 5.0


def define_outbox_table(metadata: MetaData) -> Table:
    """The ``outbox`` table of a service, added to that service's metadata."""
    return Table(
        "outbox",
        metadata,
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("event_type", String(200), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("message_key", LargeBinary, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), nullable=True),
        Index(
            "ix_outbox_unsent", "seq", postgresql_where=text("sent_at IS NULL"), sqlite_where=text("sent_at IS NULL")
        ),
    )


class OutboxSignal:
    """Wakes the relay of this process when a transaction that wrote outbox rows commits."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> None:
        """Return when signalled or after ``seconds``, whichever comes first."""
        try:
            async with asyncio.timeout(seconds):
                await self._event.wait()
        except TimeoutError:
            pass
        self._event.clear()


async def add_event(session: AsyncSession, table: Table, event: Envelope, signal: OutboxSignal | None = None) -> None:
    """Stage ``event`` in the outbox within the session's current transaction, and wake the relays at commit.

    An event over :data:`~shared.events.MAX_EVENT_BYTES` is refused here, with the caller's transaction: once
    staged, a message the broker cannot take would stop the relay, and every event behind it, for good."""
    await stage_events(session, table, [event])
    await announce_events(session, signal)


async def add_events(
    session: AsyncSession, table: Table, events: Sequence[Envelope], signal: OutboxSignal | None = None
) -> None:
    """Stage ``events`` in the outbox, in this order, with one statement (see :func:`add_event`)."""
    if events:
        await stage_events(session, table, events)
        await announce_events(session, signal)


async def stage_events(session: AsyncSession, table: Table, events: Sequence[Envelope]) -> None:
    """The outbox rows of ``events``, one statement (see :func:`add_event`; the relays are woken by
    :func:`announce_events`)."""
    created_at = datetime.now(UTC)
    await session.execute(table.insert(), [outbox_row(event, created_at) for event in events])


def outbox_row(event: Envelope, created_at: datetime | None = None) -> dict[str, Any]:
    """The outbox columns of ``event``; an :class:`EventContractError` when it is too big (see :func:`add_event`)."""
    message = to_wire(event)
    if len(message.value) > MAX_EVENT_BYTES:
        raise EventContractError(
            f"{event.type} would be {len(message.value)} bytes, over the {MAX_EVENT_BYTES}-byte limit of an event"
        )
    return {
        "event_id": event.id,
        "event_type": event.type,
        "topic": message.topic,
        "message_key": message.key,
        "payload": message.value,
        "headers": [[name, value.decode()] for name, value in message.headers],
        "created_at": created_at or datetime.now(UTC),
    }


async def announce_events(session: AsyncSession, signal: OutboxSignal | None = None) -> None:
    """Wake the relays when the session's transaction commits: every process's (PostgreSQL NOTIFY, delivered at
    commit, so it may come before the rows are staged) and this one's through ``signal``."""
    if _dialect(session) == "postgresql":
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    if signal is not None and not session.info.get(_WAKE_KEY):
        session.info[_WAKE_KEY] = True
        sa_event.listen(session.sync_session, "after_commit", _wake_on_commit(signal), once=True)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _wake_on_commit(signal: OutboxSignal) -> Any:
    def wake(sync_session: Session) -> None:
        sync_session.info.pop(_WAKE_KEY, None)
        signal.set()

    return wake


class Publisher(Protocol):
    """Port: publishes already-serialised messages, in order, and returns once all are acknowledged."""

    async def publish(self, messages: Sequence[WireMessage]) -> None: ...


class OutboxRelay:
    """Publishes pending outbox rows of one service database, in commit order, and marks them sent."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: SessionFactory,
        table: Table,
        publisher: Publisher,
        signal: OutboxSignal,
        *,
        poll_seconds: float = 0.5,
        batch_size: int = 200,
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._table = table
        self._publisher = publisher
        self._signal = signal
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self.last_error: str | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; transient failures are logged and retried with backoff."""
        listener: _NotifyListener | None = None
        listen_again_at = 0.0  # after a failed LISTEN, wait a little before the next attempt
        backoff = self._poll_seconds
        waker = asyncio.create_task(self._wake_when(stop))  # a stopping service does not wait out a poll or a backoff
        try:
            while not stop.is_set():
                deaf = listener is None or listener.closed  # first time, or PostgreSQL restarted: listen again
                if deaf and is_postgresql(self._engine) and time.monotonic() >= listen_again_at:
                    if listener is not None:
                        await listener.close()
                    listener = await self._listen()
                    listen_again_at = 0.0 if listener else time.monotonic() + _LISTEN_RETRY_SECONDS
                try:
                    sent = await self.relay_once()
                except Exception as exc:  # noqa: BLE001 - loop boundary: keep relaying after any failure
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("outbox relay failed, retrying", extra={"error": self.last_error})
                    await self._signal.wait(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                self.last_error = None
                backoff = self._poll_seconds
                if sent < self._batch_size:
                    await self._signal.wait(self._poll_seconds)
        finally:
            waker.cancel()
            if listener is not None:
                await listener.close()

    async def _wake_when(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._signal.set()

    async def relay_once(self) -> int:
        """Publish one batch of pending rows; returns how many were sent."""
        if is_postgresql(self._engine):
            return await self._relay_locked()
        async with self._sessions() as session, session.begin():
            rows = await self._pending(session)
        if rows:
            await self._publish(rows)
            async with self._sessions() as session, session.begin():
                await self._mark_sent(session, rows)
        return len(rows)

    async def _relay_locked(self) -> int:
        async with self._sessions() as session, session.begin():
            locked = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
            if not locked:
                return 0
            rows = await self._pending(session)
            if rows:
                await self._publish(rows)
                await self._mark_sent(session, rows)
            return len(rows)

    async def _pending(self, session: AsyncSession) -> list[Any]:
        query = (
            select(self._table)
            .where(self._table.c.sent_at.is_(None))
            .order_by(self._table.c.seq)
            .limit(self._batch_size)
        )
        if _dialect(session) == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list((await session.execute(query)).all())

    async def _publish(self, rows: Sequence[Any]) -> None:
        await self._publisher.publish([_to_message(row) for row in rows])

    async def _mark_sent(self, session: AsyncSession, rows: Sequence[Any]) -> None:
        seqs = [row.seq for row in rows]
        await session.execute(update(self._table).where(self._table.c.seq.in_(seqs)).values(sent_at=datetime.now(UTC)))

    async def backlog(self) -> int:
        """How many events are waiting to be published."""
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(self._table).where(self._table.c.sent_at.is_(None))
            )
        return int(count or 0)

    async def oldest_age(self) -> float:
        """Seconds the oldest unpublished event has waited (0 when none waits)."""
        async with self._sessions() as session:
            oldest = await session.scalar(
                select(func.min(self._table.c.created_at)).where(self._table.c.sent_at.is_(None))
            )
        if oldest is None:
            return 0.0
        if oldest.tzinfo is None:  # SQLite returns naive datetimes (stored as UTC)
            oldest = oldest.replace(tzinfo=UTC)
        waited: float = (datetime.now(UTC) - oldest).total_seconds()
        return max(waited, 0.0)

    async def _listen(self) -> "_NotifyListener | None":
        try:
            return await _NotifyListener.open(self._engine, self._signal)
        except Exception as exc:  # noqa: BLE001 - LISTEN is an optimisation; polling still works without it
            log.warning("outbox LISTEN unavailable, polling only", extra={"error": str(exc)})
            return None


def _to_message(row: Any) -> WireMessage:
    headers: list[list[str]] = row.headers if isinstance(row.headers, list) else json.loads(row.headers)
    return WireMessage(
        topic=row.topic,
        key=bytes(row.message_key),
        value=bytes(row.payload),
        headers=tuple((name, value.encode()) for name, value in headers),
    )


class _NotifyListener:
    """A dedicated PostgreSQL connection LISTENing on the outbox channel; sets the signal on each NOTIFY."""

    def __init__(self, connection: Any, raw: Any, signal: OutboxSignal) -> None:
        self._connection = connection
        self._raw = raw
        self._signal = signal

    @classmethod
    async def open(cls, engine: AsyncEngine, signal: OutboxSignal) -> "_NotifyListener":
        connection = await engine.connect()
        raw = (await connection.get_raw_connection()).driver_connection
        listener = cls(connection, raw, signal)
        await raw.add_listener(NOTIFY_CHANNEL, listener._notified)  # type: ignore[union-attr]
        raw.add_termination_listener(listener._lost)  # type: ignore[union-attr]
        return listener

    @property
    def closed(self) -> bool:
        return bool(self._raw.is_closed())

    def _notified(self, *_args: Any) -> None:
        self._signal.set()

    def _lost(self, *_args: Any) -> None:
        """The connection died (server restart, network): wake the relay so it listens again at once."""
        self._signal.set()

    async def close(self) -> None:
        try:
            await self._connection.close()
        except Exception as exc:  # noqa: BLE001 - closing a connection the server already dropped
            log.debug("outbox listener close failed", extra={"error": str(exc)})
