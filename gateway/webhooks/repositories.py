"""The only module of the webhooks feature that builds SQL: endpoints, the delivery outbox and the fan-out.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several dispatchers never claim one row at once; a claim
moves the row's ``next_attempt_at`` one lease ahead and commits, so a dispatcher killed after sending and before
recording the outcome leaves the row due again: it is sent again, with the same ``webhook-id`` (at-least-once).
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.publications.feed import Publication, PublicationFilter, PublicationType
from gateway.publications.log import last_position, read_after, read_positions
from gateway.webhooks.policy import DeliveryStatus, webhook_id
from gateway.webhooks.tables import webhook_deliveries, webhook_endpoints, webhook_fanout

deliveries = webhook_deliveries.c
endpoints = webhook_endpoints.c


@dataclass(frozen=True)
class Endpoint:
    id: str
    integrator_id: str
    url: str
    filter: PublicationFilter
    sealed_secret: str
    after_position: int
    created_at: datetime
    disabled_at: datetime | None
    previous_sealed_secret: str | None = None
    previous_until: datetime | None = None

    def sealed_secrets(self, now: datetime) -> tuple[str, ...]:
        """The secrets that sign a delivery sent at ``now``: the current one, and the previous one during the
        overlap after a rotation (Standard Webhooks: several signatures in one header)."""
        if self.previous_sealed_secret is not None and self.previous_until is not None and now < self.previous_until:
            return (self.sealed_secret, self.previous_sealed_secret)
        return (self.sealed_secret,)


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    endpoint_id: str
    position: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: a 2xx status is a delivery; anything else (or no answer) a failure."""

    webhook_id: str
    at: datetime
    status_code: int | None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def filter_to_json(wanted: PublicationFilter) -> dict[str, list[str]]:
    return {
        "departements": sorted(wanted.departements), "communes": sorted(wanted.communes),
        "establishment_ids": sorted(wanted.establishment_ids), "categories": sorted(wanted.categories),
        "types": sorted(t.value for t in wanted.types),
    }  # fmt: skip


def filter_of_json(stored: dict[str, list[str]]) -> PublicationFilter:
    return PublicationFilter(
        departements=frozenset(stored.get("departements", ())), communes=frozenset(stored.get("communes", ())),
        establishment_ids=frozenset(stored.get("establishment_ids", ())),
        categories=frozenset(stored.get("categories", ())),
        types=frozenset(PublicationType(t) for t in stored.get("types", ())),
    )  # fmt: skip


async def add_endpoint(
    session: AsyncSession, *, endpoint_id: str, integrator_id: str, url: str, wanted: PublicationFilter,
    sealed_secret: str, now: datetime,
) -> None:  # fmt: skip
    """Register an endpoint: it receives what is published after the publication log's last position. The fan-out
    cursor is locked meanwhile, so a fan-out either ends before (and the endpoint starts after its batch) or reads
    the endpoints after this commit: no publication slips between the two."""
    cursor = select(webhook_fanout.c.last_position).where(webhook_fanout.c.id == 1).with_for_update()
    after = max(int(await session.scalar(cursor) or 0), await last_position(session))
    await session.execute(
        webhook_endpoints.insert().values(
            id=endpoint_id, integrator_id=integrator_id, url=url, filter=filter_to_json(wanted),
            sealed_secret=sealed_secret, after_position=after, created_at=now,
        )
    )  # fmt: skip


async def get_endpoint(session: AsyncSession, endpoint_id: str, integrator_id: str) -> Endpoint | None:
    query = select(webhook_endpoints).where(endpoints.id == endpoint_id, endpoints.integrator_id == integrator_id)
    row = (await session.execute(query)).first()
    return None if row is None else _endpoint(row)


async def list_endpoints(
    session: AsyncSession, integrator_id: str, *, offset: int = 0, limit: int | None = None
) -> list[Endpoint]:
    """An integrator's endpoints, oldest first."""
    query = (
        select(webhook_endpoints)
        .where(endpoints.integrator_id == integrator_id)
        .order_by(endpoints.created_at, endpoints.id)
        .offset(offset)
        .limit(limit)
    )
    return [_endpoint(row) for row in (await session.execute(query)).all()]


async def count_endpoints(session: AsyncSession, integrator_id: str) -> int:
    query = select(func.count()).select_from(webhook_endpoints).where(endpoints.integrator_id == integrator_id)
    return int(await session.scalar(query) or 0)


async def set_secret(
    session: AsyncSession, endpoint_id: str, sealed_secret: str, now: datetime, overlap: timedelta
) -> None:
    """The new secret; the one it replaces keeps signing too for ``overlap`` (none when zero)."""
    values: dict[str, Any] = {"sealed_secret": sealed_secret, "rotated_at": now}
    if overlap > timedelta():
        values |= {"previous_sealed_secret": endpoints.sealed_secret, "previous_until": now + overlap}
    else:
        values |= {"previous_sealed_secret": None, "previous_until": None}
    await session.execute(update(webhook_endpoints).where(endpoints.id == endpoint_id).values(**values))


async def disable_endpoint(session: AsyncSession, endpoint_id: str, now: datetime) -> None:
    """No further publication is fanned out to it; what is pending is dropped from the outbox's due rows."""
    await session.execute(update(webhook_endpoints).where(endpoints.id == endpoint_id).values(disabled_at=now))


async def fan_out(session: AsyncSession, now: datetime, limit: int = 500) -> int:
    """Turn the next publications of the log into deliveries for the endpoints whose filter matches, and move the
    cursor past them, in the caller's transaction; the number of publications read."""
    cursor = select(webhook_fanout.c.last_position).where(webhook_fanout.c.id == 1).with_for_update()
    after = int(await session.scalar(cursor) or 0)
    publications = await read_after(session, after, PublicationFilter(), limit)
    if not publications:
        return 0
    active = await _active_endpoints(session)
    rows = [_delivery_row(e, p, now) for p in publications for e in active if _wants(e, p)]
    if rows:
        await session.execute(webhook_deliveries.insert(), rows)
    last = publications[-1].position
    await session.execute(update(webhook_fanout).where(webhook_fanout.c.id == 1).values(last_position=last))
    return len(publications)


def _wants(endpoint: Endpoint, publication: Publication) -> bool:
    return publication.position > endpoint.after_position and endpoint.filter.matches(publication)


def _delivery_row(endpoint: Endpoint, publication: Publication, now: datetime) -> dict[str, Any]:
    return {
        "webhook_id": webhook_id(endpoint.id, publication.id), "endpoint_id": endpoint.id,
        "position": publication.position, "status": DeliveryStatus.PENDING.value, "attempts": 0,
        "next_attempt_at": now, "created_at": now,
    }  # fmt: skip


async def _active_endpoints(session: AsyncSession) -> list[Endpoint]:
    query = select(webhook_endpoints).where(endpoints.disabled_at.is_(None))
    return [_endpoint(row) for row in (await session.execute(query)).all()]


async def claim_due(
    session: AsyncSession, now: datetime, *, lease: timedelta, per_endpoint: int, busy: Collection[str] = (),
    only: Collection[str] | None = None,
) -> list[tuple[Delivery, Endpoint]]:  # fmt: skip
    """Up to ``per_endpoint`` due deliveries of each enabled endpoint (of ``only`` if given) not in ``busy``
    (oldest due first), leased until ``now + lease``, with their endpoint (their publications:
    :func:`publications_at`). Rows another dispatcher holds are skipped, not waited for; taking a few per endpoint
    keeps one with a backlog from crowding the others out."""
    per = (
        select(deliveries.webhook_id)
        .where(deliveries.endpoint_id == endpoints.id, deliveries.status == DeliveryStatus.PENDING.value)
        .where(deliveries.next_attempt_at <= now)
        .order_by(deliveries.next_attempt_at)
        .limit(per_endpoint)
        .with_for_update(skip_locked=True)
        .lateral()
    )
    due = (
        select(per.c.webhook_id).select_from(webhook_endpoints.join(per, true())).where(endpoints.disabled_at.is_(None))
    )
    if busy:
        due = due.where(endpoints.id.not_in(sorted(busy)))
    if only is not None:
        due = due.where(endpoints.id.in_(sorted(only)))
    claimed = (
        await session.execute(
            update(webhook_deliveries)
            .where(deliveries.webhook_id.in_(due.scalar_subquery()))
            .values(next_attempt_at=now + lease)
            .returning(*webhook_deliveries.c)
            .execution_options(synchronize_session=False)
        )
    ).all()
    return await _with_context(session, [_delivery(row) for row in claimed])


async def _with_context(session: AsyncSession, claimed: list[Delivery]) -> list[tuple[Delivery, Endpoint]]:
    if not claimed:
        return []
    ids = {d.endpoint_id for d in claimed}
    rows = (await session.execute(select(webhook_endpoints).where(endpoints.id.in_(sorted(ids))))).all()
    found = {endpoint.id: endpoint for endpoint in map(_endpoint, rows)}
    return [(d, found[d.endpoint_id]) for d in claimed]


async def publications_at(session: AsyncSession, positions: Sequence[int]) -> list[Publication]:
    """The logged publications at these positions (claimed deliveries' bodies)."""
    return await read_positions(session, positions)


async def record_outcomes(
    session: AsyncSession, outcomes: Sequence[Outcome], waits: dict[str, timedelta | None]
) -> None:
    """Record attempts: delivered, due again after ``waits[webhook_id]``, or dead when that wait is None."""
    delivered = [o for o in outcomes if o.delivered]
    failed = [o for o in outcomes if not o.delivered]
    if delivered:
        await session.execute(
            update(webhook_deliveries).where(deliveries.webhook_id == bindparam("id")).values(
                status=DeliveryStatus.DELIVERED.value, attempts=deliveries.attempts + 1,
                last_attempt_at=bindparam("at"), delivered_at=bindparam("at"), last_status_code=bindparam("code"),
                last_error=None,
            ).execution_options(synchronize_session=False),
            [{"id": o.webhook_id, "at": o.at, "code": o.status_code} for o in delivered],
        )  # fmt: skip
    if failed:
        await session.execute(
            update(webhook_deliveries).where(deliveries.webhook_id == bindparam("id")).values(
                status=bindparam("status"), attempts=deliveries.attempts + 1, next_attempt_at=bindparam("next_at"),
                last_attempt_at=bindparam("at"), last_status_code=bindparam("code"), last_error=bindparam("error"),
            ).execution_options(synchronize_session=False),
            [_failure(o, waits.get(o.webhook_id)) for o in failed],
        )  # fmt: skip


def _failure(outcome: Outcome, wait: timedelta | None) -> dict[str, Any]:
    status = DeliveryStatus.DEAD if wait is None else DeliveryStatus.PENDING
    return {
        "id": outcome.webhook_id, "status": status.value, "next_at": outcome.at + (wait or timedelta()),
        "at": outcome.at, "code": outcome.status_code, "error": (outcome.error or "")[:300] or None,
    }  # fmt: skip


async def purge_finished(session: AsyncSession, before: datetime, limit: int = 5000) -> int:
    """Delete up to ``limit`` delivered or dead deliveries created before ``before`` (the delivery log's retention);
    pending ones are never purged. The number deleted: ``limit`` means there may be more."""
    oldest = (
        select(deliveries.webhook_id)
        .where(deliveries.created_at < before, deliveries.status != DeliveryStatus.PENDING.value)
        .limit(limit)
    )
    result = await session.execute(
        webhook_deliveries.delete().where(deliveries.webhook_id.in_(oldest.scalar_subquery()))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def replay_dead(
    session: AsyncSession, endpoint_id: str, now: datetime, webhook_ids: Collection[str] | None = None
) -> int:
    """Dead deliveries of this endpoint (all, or those named) due again now, with a fresh schedule."""
    query = update(webhook_deliveries).where(
        deliveries.endpoint_id == endpoint_id, deliveries.status == DeliveryStatus.DEAD.value
    )
    if webhook_ids is not None:
        query = query.where(deliveries.webhook_id.in_(sorted(webhook_ids)))
    values = {"status": DeliveryStatus.PENDING.value, "attempts": 0, "next_attempt_at": now}
    result = await session.execute(query.values(**values))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def list_deliveries(
    session: AsyncSession, endpoint_id: str, status: DeliveryStatus | None, *, offset: int, limit: int
) -> tuple[list[Delivery], int]:
    """An endpoint's delivery log, newest publication first, with the total count."""
    where = and_(deliveries.endpoint_id == endpoint_id, *([deliveries.status == status.value] if status else []))
    query = select(webhook_deliveries).where(where).order_by(deliveries.position.desc()).offset(offset).limit(limit)
    rows = [_delivery(row) for row in (await session.execute(query)).all()]
    total = int(await session.scalar(select(func.count()).select_from(webhook_deliveries).where(where)) or 0)
    return rows, total


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        id=row.id, integrator_id=row.integrator_id, url=row.url, filter=filter_of_json(row.filter),
        sealed_secret=row.sealed_secret, after_position=int(row.after_position), created_at=_aware(row.created_at),
        disabled_at=row.disabled_at and _aware(row.disabled_at), previous_sealed_secret=row.previous_sealed_secret,
        previous_until=row.previous_until and _aware(row.previous_until),
    )  # fmt: skip


def _delivery(row: Any) -> Delivery:
    return Delivery(
        webhook_id=row.webhook_id, endpoint_id=row.endpoint_id, position=int(row.position),
        status=DeliveryStatus(row.status), attempts=int(row.attempts), next_attempt_at=_aware(row.next_attempt_at),
        created_at=_aware(row.created_at), last_attempt_at=row.last_attempt_at and _aware(row.last_attempt_at),
        delivered_at=row.delivered_at and _aware(row.delivered_at), last_status_code=row.last_status_code,
        last_error=row.last_error,
    )  # fmt: skip


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite
