"""Recording a publication: its cursor, its row in the publication log and its public event, in one transaction.

Cursors are positions 1, 2, 3… given by ``publication_counter`` with ``UPDATE … RETURNING``, the last statement
of the publishing transaction: the row stays locked until commit, so positions are gapless (a rolled-back
transaction gives its number back) and follow commit order (the next publisher waits for this commit). A reader
that sees position *n* committed therefore sees every position before it — what makes replay-then-live seamless.
The cursor travels with the event as the CloudEvents ``sequence`` attribute (Kafka header ``ce_sequence``).
"""

import json
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import JSON, Table, Text, cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.publications.feed import Publication, PublicationFilter, PublicationType
from gateway.publications.tables import publication_counter, publication_log
from gateway.tables import outbox
from shared.errors import PermanentError
from shared.events import (
    AvailabilitiesPublished,
    Envelope,
    EstablishmentChanged,
    OperatingInfoPublished,
    OperatingInfoWithdrawn,
    PublicPlace,
    new_event,
)
from shared.outbox import OutboxSignal, announce_events, outbox_row, stage_events

PublicEvent = AvailabilitiesPublished | OperatingInfoPublished | OperatingInfoWithdrawn | EstablishmentChanged


class UnknownCursorError(PermanentError):
    """A cursor that is not one of ours (never given, or malformed)."""

    code = "UNKNOWN_CURSOR"


def cursor_of(position: int) -> str:
    return str(position)


def position_of(cursor: str, last: int) -> int:
    """The position a cursor stands for; ``UnknownCursorError`` when it was never given (``last`` is the latest)."""
    # ASCII digits only: str.isdigit() also takes « ² » or « ١٢ », which int() refuses or reads as another cursor.
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 18:
        raise UnknownCursorError(f"after : « {cursor} » n'est pas un curseur de publication.")
    position = int(cursor)
    if position > last:
        raise UnknownCursorError(f"after : le curseur {cursor} est inconnu (le dernier est {last}).")
    return position


async def record_publication(
    session: AsyncSession, data: PublicEvent, *, source: str, signal: OutboxSignal | None
) -> Envelope:
    """Give ``data`` its cursor, log it and stage its event; call it last in the publishing transaction."""
    [event] = await record_publications(session, [data], source=source, signal=signal)
    return event


async def record_publications(
    session: AsyncSession, datas: Sequence[PublicEvent], *, source: str, signal: OutboxSignal | None
) -> list[Envelope]:
    """Give each of ``datas`` its cursor, in order, log them and stage their events; call it last in the publishing
    transaction (see the module's docstring).

    From the cursor on, every other publisher waits for this transaction's commit, and each statement sent
    meanwhile waits for a turn of this process's event loop: the relays are woken first (NOTIFY is delivered at
    commit), and on PostgreSQL one publication's cursor, log row and outbox row are one statement, so COMMIT follows
    it at once — under load a turn of the loop takes tens of milliseconds, and publications queued behind the lock,
    each holding a pooled connection, ran the pool dry. Many publications (a bulk transmission) take their cursors
    together and are logged and staged with two more statements."""
    if not datas:
        return []
    await announce_events(session, signal)
    if len(datas) == 1 and session.get_bind().dialect.name == "postgresql":
        event = new_event(datas[0], source=source)
        position = await _log_and_stage_at_next_position(session, _log_row(event, datas[0], source), outbox_row(event))
        return [event.model_copy(update={"sequence": cursor_of(position)})]
    last = int(
        await session.scalar(
            update(publication_counter)
            .where(publication_counter.c.id == 1)
            .values(last_position=publication_counter.c.last_position + len(datas))
            .returning(publication_counter.c.last_position)
        )
        or 0
    )
    first = last - len(datas) + 1
    events = [
        new_event(data, source=source).model_copy(update={"sequence": cursor_of(position)})
        for position, data in enumerate(datas, start=first)
    ]
    rows = [
        {"position": position, **_log_row(event, data, source)}
        for position, (event, data) in enumerate(zip(events, datas, strict=True), start=first)
    ]
    await session.execute(publication_log.insert(), rows)
    await stage_events(session, outbox, events)
    return events


_next_position = (
    update(publication_counter)
    .where(publication_counter.c.id == 1)
    .values(last_position=publication_counter.c.last_position + 1)
    .returning(publication_counter.c.last_position)
)


async def _log_and_stage_at_next_position(session: AsyncSession, row: dict[str, Any], staged: dict[str, Any]) -> int:
    """One statement: the next cursor, the log row at it, the outbox row with the cursor as ``ce_sequence``."""
    taken = _next_position.cte("taken")
    logged = (
        publication_log.insert()
        .from_select(["position", *row], select(taken.c.last_position, *_literals(publication_log, row)))
        .returning(publication_log.c.position)
        .cte("logged")
    )
    cursor = func.jsonb_build_array(func.jsonb_build_array("ce_sequence", cast(logged.c.position, Text)))
    headers = cast(cast(literal(json.dumps(staged["headers"])), JSONB).op("||")(cursor), JSON)
    columns = {name: value for name, value in staged.items() if name != "headers"}
    statement = (
        outbox.insert()
        .add_cte(taken, logged)
        .from_select([*columns, "headers"], select(*_literals(outbox, columns), headers).select_from(logged))
        .returning(select(logged.c.position).scalar_subquery())
    )
    return int(await session.scalar(statement) or 0)


def _literals(table: Table, values: dict[str, Any]) -> list[Any]:
    return [literal(value, type_=table.c[name].type) for name, value in values.items()]


def _log_row(event: Envelope, data: PublicEvent, source: str) -> dict[str, Any]:
    place = data.place
    return {
        "event_id": event.id, "event_type": event.type, "establishment_id": str(data.establishment_id),
        "departement": place.departement, "commune_insee": place.commune_insee, "category": place.category,
        "occurred_at": event.time, "source": source, "data": _public_data(data),
    }  # fmt: skip


def _public_data(data: PublicEvent) -> dict[str, Any]:
    return data.model_dump(mode="json", exclude={"establishment_id", "place"})


async def last_position(session: AsyncSession) -> int:
    value = await session.scalar(select(func.coalesce(func.max(publication_log.c.position), 0)))
    return int(value or 0)


async def read_after(
    session: AsyncSession, after: int, wanted: PublicationFilter, limit: int, until: int | None = None
) -> list[Publication]:
    """Up to ``limit`` logged publications after ``after`` (and up to ``until``) matching ``wanted``, in order."""
    log = publication_log.c
    query = select(publication_log).where(log.position > after).order_by(log.position).limit(limit)
    if until is not None:
        query = query.where(log.position <= until)
    for column, values in (
        (log.departement, wanted.departements), (log.commune_insee, wanted.communes),
        (log.establishment_id, wanted.establishment_ids), (log.category, wanted.categories),
        (log.event_type, {t.value for t in wanted.types}),
    ):  # fmt: skip
        if values:
            query = query.where(column.in_(sorted(values)))
    return [_publication(row) for row in (await session.execute(query)).all()]


async def read_positions(session: AsyncSession, positions: Sequence[int]) -> list[Publication]:
    """The logged publications at these positions (what the live feed missed), in order."""
    query = (
        select(publication_log).where(publication_log.c.position.in_(positions)).order_by(publication_log.c.position)
    )
    return [_publication(row) for row in (await session.execute(query)).all()]


def _publication(row: Any) -> Publication:
    occurred_at = row.occurred_at if row.occurred_at.tzinfo else row.occurred_at.replace(tzinfo=UTC)  # SQLite
    place = PublicPlace(departement=row.departement, commune_insee=row.commune_insee, category=row.category)
    return Publication(
        id=row.event_id, type=PublicationType(row.event_type), establishment_id=row.establishment_id, place=place,
        occurred_at=occurred_at, data=dict(row.data), position=int(row.position),
    )  # fmt: skip
