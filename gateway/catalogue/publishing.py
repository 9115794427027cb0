"""Use case: an agent publishes a crèche's availabilities — at once, without moderation (domain brief §5.4).

A batch replaces what was published for the dates it covers (cancel and replace). Each availability is
communicated at least three days before its date (arrêté du 31 août 2021), never for a day the crèche is closed
according to its published hours. The publication event carries public data only.
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue import writes
from gateway.catalogue.calendar import closure_rule
from gateway.catalogue.documents import OperatingInfoDocument
from gateway.catalogue.states import VersionStatus
from gateway.catalogue.tables import establishments, operating_info_versions
from gateway.catalogue.vocabulary import AgeGroup, Category, Channel, Slot
from gateway.catalogue.writes import AvailabilityBatch, NewAvailability
from gateway.publications.log import record_publications
from gateway.user_errors import UserError
from shared.events import AvailabilitiesPublished, PublicPlace
from shared.outbox import OutboxSignal

NOTICE_DAYS = 3
HORIZON_DAYS = 366
MAX_BATCH = 500
SOURCE = "/structures/gateway"


async def publish_availabilities(
    session: AsyncSession,
    establishment_id: str,
    batch: Sequence[NewAvailability],
    *,
    agent_number: str,
    channel: Channel,
    today: date,
    now: datetime,
    signal: OutboxSignal | None,
    alongside: Callable[[AsyncSession], Awaitable[None]] | None = None,
) -> list[UserError]:
    """Publish ``batch``, or say for each entry what is wrong (then nothing is published, and ``alongside`` is not
    called). ``alongside`` writes in the same transaction before the publication takes its cursor, which makes the
    next publishers wait until commit (:func:`~gateway.publications.log.record_publications`)."""
    [errors] = await publish_availability_batches(
        session,
        [AvailabilityBatch(establishment_id, batch)],
        agent_number=agent_number,
        channel=channel,
        today=today,
        now=now,
        signal=signal,
        alongside=None if alongside is None else (lambda session, _accepted: alongside(session)),
    )
    return errors


async def publish_availability_batches(
    session: AsyncSession,
    batches: Sequence[AvailabilityBatch],
    *,
    agent_number: str,
    channel: Channel,
    today: date,
    now: datetime,
    signal: OutboxSignal | None,
    alongside: Callable[[AsyncSession, Sequence[AvailabilityBatch]], Awaitable[None]] | None = None,
) -> list[list[UserError]]:
    """Publish each batch that passes the rules; each batch's errors, in order (empty: published).

    Every batch is validated before anything is written, so a refused batch cannot leave rows behind and the
    accepted ones are written together, with a few set-based statements, then published in order; ``alongside``
    (given the accepted batches, when there are some) writes just before the publications take their cursors (see
    :func:`publish_availabilities`)."""
    eajes = await _eaje_places(session, sorted({b.establishment_id for b in batches}))
    errors = [_batch_errors(b, eajes.get(b.establishment_id), today) for b in batches]
    accepted = [b for b, found in zip(batches, errors, strict=True) if not found]
    if accepted:
        await writes.replace_availability_batches(
            session, accepted, communicated_at=now, channel=channel, agent_number=agent_number
        )
        published = [_published(b, eajes[b.establishment_id][0], now) for b in accepted]
        if alongside is not None:
            await alongside(session, accepted)
        await record_publications(session, published, source=SOURCE, signal=signal)
    return errors


def _batch_errors(
    batch: AvailabilityBatch, eaje: tuple[PublicPlace, OperatingInfoDocument | None] | None, today: date
) -> list[UserError]:
    if eaje is None:
        return [UserError("establishmentId", "NOT_EAJE", "Les disponibilités ne concernent que les crèches (EAJE).")]
    place, document = eaje
    return validate_batch(batch.entries, document, place.departement, today)


def _published(batch: AvailabilityBatch, place: PublicPlace, now: datetime) -> AvailabilitiesPublished:
    # Validated as one document: a third cheaper than one PublishedAvailability(...) call per entry.
    availabilities = [
        {
            "date": e.day,
            "slot": e.slot.value,
            "places": e.places,
            "age_group": e.age_group.value if e.age_group else None,
            "care_kind": e.care_kind.value,
        }
        for e in batch.entries
    ]
    return AvailabilitiesPublished.model_validate(
        {
            "establishment_id": uuid.UUID(batch.establishment_id),
            "place": place,
            "dates": sorted({e.day for e in batch.entries}),
            "availabilities": availabilities,
            "published_at": now,
        }
    )


def validate_batch(
    batch: Sequence[NewAvailability], document: OperatingInfoDocument | None, departement: str, today: date
) -> list[UserError]:
    if not batch or len(batch) > MAX_BATCH:
        return [UserError("availabilities", "BATCH_SIZE", f"Entre 1 et {MAX_BATCH} disponibilités par envoi.")]
    limits = _Limits(
        today + timedelta(days=NOTICE_DAYS),
        today + timedelta(days=HORIZON_DAYS),
        _never_closed if document is None else closure_rule(document, departement),
    )
    errors: list[UserError] = []
    seen: set[tuple[date, Slot, AgeGroup | None]] = set()
    for index, entry in enumerate(batch):
        errors += _entry_errors(entry, index, limits)
        key = (entry.day, entry.slot, entry.age_group)
        if key in seen:
            errors.append(
                UserError(f"availabilities[{index}].date", "DUPLICATE", "Ce créneau figure deux fois dans l'envoi.")
            )
        seen.add(key)
    return errors


def _never_closed(day: date) -> None:
    """No published hours: no closed day to refuse."""


@dataclass(frozen=True)
class _Limits:
    earliest: date
    latest: date
    closed_on: Callable[[date], str | None]


def _entry_errors(entry: NewAvailability, index: int, limits: _Limits) -> list[UserError]:
    if limits.earliest <= entry.day <= limits.latest and 0 <= entry.places <= 500 and not limits.closed_on(entry.day):
        return []  # the common case, without building the entry's path and messages
    path = f"availabilities[{index}]"
    errors = []
    if entry.day < limits.earliest:
        earliest = f"{limits.earliest:%d/%m/%Y}"
        message = f"Une disponibilité se communique au moins 3 jours avant sa date : le {earliest} au plus tôt."
        errors.append(UserError(f"{path}.date", "TOO_LATE", message))
    elif entry.day > limits.latest:
        errors.append(UserError(f"{path}.date", "TOO_FAR", "Au plus un an à l'avance."))
    elif reason := limits.closed_on(entry.day):
        errors.append(UserError(f"{path}.date", "CLOSED_DAY", f"La crèche est fermée ce jour-là ({reason})."))
    if not 0 <= entry.places <= 500:
        errors.append(UserError(f"{path}.places", "INVALID_PLACES", "Le nombre de places va de 0 à 500."))
    return errors


async def _eaje_places(
    session: AsyncSession, establishment_ids: list[str]
) -> dict[str, tuple[PublicPlace, OperatingInfoDocument | None]]:
    """The public place and published operating information of each of these establishments that is an EAJE."""
    e, versions = establishments.c, operating_info_versions.c
    published = and_(versions.establishment_id == e.id, versions.status == VersionStatus.PUBLISHED)
    query = (
        select(e.id, e.departement, e.commune_insee, e.category, versions.document)
        .outerjoin(operating_info_versions, published)
        .where(e.id.in_(establishment_ids), e.category == Category.EAJE.value)
    )
    rows = (await session.execute(query)).all() if establishment_ids else []
    return {
        row.id: (writes.public_place(row), None if row.document is None else _document(row.document)) for row in rows
    }


def _document(stored: Any) -> OperatingInfoDocument:
    return OperatingInfoDocument.model_validate(stored)


async def published_document(session: AsyncSession, establishment_id: str) -> OperatingInfoDocument | None:
    """The establishment's published operating information, which says on which days it is closed."""
    stored = await session.scalar(
        select(operating_info_versions.c.document).where(
            operating_info_versions.c.establishment_id == establishment_id,
            operating_info_versions.c.status == VersionStatus.PUBLISHED,
        )
    )
    return None if stored is None else _document(stored)
