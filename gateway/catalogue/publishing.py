"""Use case: an agent publishes a crèche's availabilities — at once, without moderation (domain brief §5.4).

A batch replaces what was published for the dates it covers (cancel and replace). Each availability is
communicated at least three days before its date (arrêté du 31 août 2021), never for a day the crèche is closed
according to its published hours. The publication event carries public data only.
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue import writes
from gateway.catalogue.calendar import closed_on
from gateway.catalogue.documents import OperatingInfoDocument
from gateway.catalogue.states import VersionStatus
from gateway.catalogue.tables import establishments, operating_info_versions
from gateway.catalogue.vocabulary import AgeGroup, Category, Channel, Slot
from gateway.catalogue.writes import NewAvailability
from gateway.publications.log import record_publication
from gateway.user_errors import UserError
from shared.events import AvailabilitiesPublished, PublishedAvailability
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
    next publishers wait until commit (:func:`~gateway.publications.log.record_publication`)."""
    row = (await session.execute(select(establishments).where(establishments.c.id == establishment_id))).first()
    if row is None or row.category != Category.EAJE.value:
        return [UserError("establishmentId", "NOT_EAJE", "Les disponibilités ne concernent que les crèches (EAJE).")]
    document = await _published_document(session, establishment_id)
    errors = validate_batch(batch, document, row.departement, today)
    if errors:
        return errors
    await writes.replace_availabilities(
        session, establishment_id, batch, communicated_at=now, channel=channel, agent_number=agent_number
    )
    published = AvailabilitiesPublished(
        establishment_id=uuid.UUID(establishment_id),
        place=writes.public_place(row),
        dates=sorted({e.day for e in batch}),
        availabilities=[
            PublishedAvailability(
                date=e.day,
                slot=e.slot.value,
                places=e.places,
                age_group=e.age_group.value if e.age_group else None,
                care_kind=e.care_kind.value,
            )
            for e in batch
        ],
        published_at=now,
    )
    if alongside is not None:
        await alongside(session)
    await record_publication(session, published, source=SOURCE, signal=signal)
    return []


def validate_batch(
    batch: Sequence[NewAvailability], document: OperatingInfoDocument | None, departement: str, today: date
) -> list[UserError]:
    if not batch or len(batch) > MAX_BATCH:
        return [UserError("availabilities", "BATCH_SIZE", f"Entre 1 et {MAX_BATCH} disponibilités par envoi.")]
    errors: list[UserError] = []
    seen: set[tuple[date, Slot, AgeGroup | None]] = set()
    for index, entry in enumerate(batch):
        path = f"availabilities[{index}]"
        errors += _entry_errors(entry, path, document, departement, today)
        key = (entry.day, entry.slot, entry.age_group)
        if key in seen:
            errors.append(UserError(f"{path}.date", "DUPLICATE", "Ce créneau figure deux fois dans l'envoi."))
        seen.add(key)
    return errors


def _entry_errors(
    entry: NewAvailability, path: str, document: OperatingInfoDocument | None, departement: str, today: date
) -> list[UserError]:
    errors = []
    earliest = today + timedelta(days=NOTICE_DAYS)
    if entry.day < earliest:
        message = (
            f"Une disponibilité se communique au moins 3 jours avant sa date : le {earliest:%d/%m/%Y} au plus tôt."
        )
        errors.append(UserError(f"{path}.date", "TOO_LATE", message))
    elif entry.day > today + timedelta(days=HORIZON_DAYS):
        errors.append(UserError(f"{path}.date", "TOO_FAR", "Au plus un an à l'avance."))
    elif document is not None and (reason := closed_on(document, entry.day, departement)):
        errors.append(UserError(f"{path}.date", "CLOSED_DAY", f"La crèche est fermée ce jour-là ({reason})."))
    if not 0 <= entry.places <= 500:
        errors.append(UserError(f"{path}.places", "INVALID_PLACES", "Le nombre de places va de 0 à 500."))
    return errors


async def _published_document(session: AsyncSession, establishment_id: str) -> OperatingInfoDocument | None:
    stored = await session.scalar(
        select(operating_info_versions.c.document).where(
            operating_info_versions.c.establishment_id == establishment_id,
            operating_info_versions.c.status == VersionStatus.PUBLISHED,
        )
    )
    return None if stored is None else OperatingInfoDocument.model_validate(stored)
