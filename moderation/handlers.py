"""Handlers of the events the moderation service consumes (``handle_<event>``)."""

import logging
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from moderation import tables
from moderation.checks.diff import diff_documents
from moderation.checks.rules import check_document
from moderation.queue import repositories, services
from moderation.queue.states import HistoryAction
from shared.consumer import Handler
from shared.events import AgentDeactivated, Envelope, OperatingInfoSubmitted, SessionsRevoked
from shared.revocations import record_revocation

log = logging.getLogger(__name__)


async def handle_operating_info_submitted(session: AsyncSession, event: Envelope) -> None:
    """Put a submission in the review queue, once, however often the event is delivered."""
    submitted = event.data
    assert isinstance(submitted, OperatingInfoSubmitted)
    if await repositories.get_item_id_by_submission(session, submitted.submission_id) is not None:
        return
    checked = check_document(submitted.document, submitted.establishment_name)
    flags = [asdict(flag) | {"label": flag.label} for flag in checked]
    changes = diff_documents(submitted.published_document, submitted.document, submitted.base_document)
    item_id = await repositories.add_pending_item(
        session, submitted, event_id=event.id, flags=flags, diff=[asdict(change) for change in changes]
    )
    now = datetime.now(UTC)
    await services.record(session, item_id, HistoryAction.CREATED, submitted.submitted_by.agent_number, now)
    await services.supersede_older(session, str(submitted.establishment_id), item_id, now)
    log.info(
        "submission queued for review", extra={"review_item_id": item_id, "submission_id": str(submitted.submission_id)}
    )


HANDLERS: dict[str, Handler] = {OperatingInfoSubmitted.event_type: handle_operating_info_submitted}


def handlers(revocations_kept: timedelta) -> dict[str, Handler]:
    """Every handler of the service: submissions, and the revocations that make it refuse a token at once."""

    async def handle_revocation(session: AsyncSession, event: Envelope) -> None:
        await record_revocation(session, tables.revoked_sessions, event, revocations_kept)

    return HANDLERS | {SessionsRevoked.event_type: handle_revocation, AgentDeactivated.event_type: handle_revocation}
