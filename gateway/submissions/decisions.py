"""The gateway applies the moderators' decisions, in order (they come keyed by establishment).

Approval publishes the submitted version (the previous one is archived) and announces it; rejection records the
reasons. A decision about a submission that a newer one superseded, or whose version is not newer than what is
published, changes no published data (R9: an older decision never overwrites a newer version).
"""

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue import lookups, writes
from gateway.catalogue.documents import OperatingInfoDocument
from gateway.catalogue.domain import osm_opening_hours
from gateway.publications.log import record_publication
from gateway.submissions.states import SubmissionStatus
from gateway.submissions.tables import submissions
from shared.consumer import Handler
from shared.errors import PermanentError
from shared.events import Envelope, ModerationDecided, OperatingInfoPublished

log = logging.getLogger(__name__)
SOURCE = "/structures/gateway"


async def handle_moderation_decided(session: AsyncSession, event: Envelope) -> None:
    decided = event.data
    assert isinstance(decided, ModerationDecided)
    row = (
        await session.execute(
            select(submissions).where(submissions.c.id == str(decided.submission_id)).with_for_update()
        )
    ).first()
    if row is None:
        raise PermanentError(f"decision about an unknown submission {decided.submission_id}")
    values = {"decided_at": decided.decided_at, "reasons": decided.reasons, "comment": decided.comment}
    if decided.decision == SubmissionStatus.REJECTED:
        status = SubmissionStatus.REJECTED if row.status == SubmissionStatus.PENDING else row.status
        await session.execute(update(submissions).where(submissions.c.id == row.id).values(status=status, **values))
        return
    published = await lookups.get_latest_version(session, row.establishment_id)
    if row.status != SubmissionStatus.PENDING or (published or 0) >= row.version:
        log.info("approval of an outdated submission: nothing published", extra={"submission_id": row.id})
        await session.execute(update(submissions).where(submissions.c.id == row.id).values(**values))
        return
    document = OperatingInfoDocument.model_validate(row.document)
    now = datetime.now(UTC)
    version = await writes.publish_operating_info(
        session, row.establishment_id, document, published_at=now, agent_number=row.agent_number
    )
    await session.execute(
        update(submissions).where(submissions.c.id == row.id).values(status=SubmissionStatus.APPROVED, **values)
    )
    announced = OperatingInfoPublished(
        establishment_id=uuid.UUID(row.establishment_id), version=version,
        place=await writes.load_public_place(session, row.establishment_id),
        opening_hours=osm_opening_hours(document), published_at=now,
    )  # fmt: skip
    await record_publication(session, announced, source=SOURCE, signal=None)
    log.info("operating info published", extra={"submission_id": row.id, "version": version})


HANDLERS: dict[str, Handler] = {ModerationDecided.event_type: handle_moderation_decided}
