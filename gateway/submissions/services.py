"""Use case: an agent submits an establishment's full operating information for the Caf's validation.

The document is validated at once (a refused submission is never queued). At most one submission waits per
establishment: a newer one supersedes it. An idempotency key makes a retried request harmless. The event carries
the published version (and the one the agent started from, when older) so moderators see a field-by-field diff.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.scope import profile
from gateway.catalogue import lookups
from gateway.catalogue.documents import OperatingInfoDocument
from gateway.catalogue.vocabulary import Category
from gateway.submissions.states import SubmissionStatus
from gateway.submissions.tables import submissions
from gateway.tables import outbox
from gateway.user_errors import UserError
from shared.events import AgentRef, OperatingInfoSubmitted, new_event
from shared.operating_info import check_document
from shared.outbox import OutboxSignal, add_event

log = logging.getLogger(__name__)
SOURCE = "/structures/gateway"
MAX_IDEMPOTENCY_KEY = 100
"""The length of ``operating_info_submissions.idempotency_key``."""
INPUT = "operatingInfo"
"""Where the document sits in the mutation's input: its errors are named from there."""


@dataclass(frozen=True)
class Submitted:
    id: str
    status: str
    version: int
    submitted_at: datetime


def document_errors(raw: dict[str, Any]) -> tuple[OperatingInfoDocument | None, list[UserError]]:
    """The document, or every problem in it, each named by its GraphQL path (``operatingInfo.openingHours[0]``)."""
    document, problems = check_document(raw, root=INPUT)
    return document, [UserError(p.field, p.code, p.message) for p in problems]


async def submit_operating_info(
    session: AsyncSession,
    account_id: str,
    establishment_id: str,
    raw_document: dict[str, Any],
    *,
    based_on_version: int | None,
    idempotency_key: str | None,
    now: datetime,
    signal: OutboxSignal | None,
) -> Submitted | list[UserError]:
    document, errors = document_errors(raw_document)
    key_usable = idempotency_key is None or 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY
    if not key_usable:
        # "" would skip the look-up yet be stored (the next one breaks the unique key); longer overflows the column.
        message = f"La clé d'idempotence fait de 1 à {MAX_IDEMPOTENCY_KEY} caractères."
        errors.insert(0, UserError("idempotencyKey", "INVALID", message))
    # One submission at a time per establishment: the supersede-then-insert below and the idempotency look-up must
    # see each other's commits (otherwise two concurrent ones both insert a PENDING row, or the same key twice).
    await lookups.lock_establishment(session, establishment_id)
    if idempotency_key is not None and key_usable:
        existing = await _by_key(session, account_id, idempotency_key)
        if existing is not None:
            return existing
    published = await lookups.get_published_version(session, establishment_id)
    latest = await lookups.get_latest_version(session, establishment_id)
    if based_on_version is not None and not 1 <= based_on_version <= (latest or 0):
        errors.append(UserError("basedOnVersion", "UNKNOWN_VERSION", "Version de départ inconnue."))
    if document is None or errors:
        return errors
    await session.execute(
        update(submissions)
        .where(submissions.c.establishment_id == establishment_id, submissions.c.status == SubmissionStatus.PENDING)
        .values(status=SubmissionStatus.SUPERSEDED, decided_at=now)
    )
    account = await profile(session, account_id)
    stored = document.stored()
    submitted = Submitted(str(uuid.uuid4()), SubmissionStatus.PENDING, (latest or 0) + 1, now)
    await session.execute(
        submissions.insert().values(
            id=submitted.id, establishment_id=establishment_id, account_id=account_id,
            agent_number=account.agent_number, status=SubmissionStatus.PENDING, version=submitted.version,
            based_on_version=based_on_version, document=stored, idempotency_key=idempotency_key, submitted_at=now,
        )
    )  # fmt: skip
    event = await _event(session, submitted, establishment_id, account, stored, published, based_on_version)
    envelope = new_event(event, source=SOURCE)
    await add_event(session, outbox, envelope, signal)
    log.info(
        "operating info submitted for moderation",
        extra={"submission_id": submitted.id, "version": submitted.version, "event_id": envelope.id},
    )
    return submitted


async def _by_key(session: AsyncSession, account_id: str, key: str) -> Submitted | None:
    row = (
        await session.execute(
            select(submissions).where(submissions.c.account_id == account_id, submissions.c.idempotency_key == key)
        )
    ).first()
    return None if row is None else Submitted(row.id, row.status, row.version, row.submitted_at)


async def _event(
    session: AsyncSession,
    submitted: Submitted,
    establishment_id: str,
    account: Any,
    stored: dict[str, Any],
    published: Any,
    based_on: int | None,
) -> OperatingInfoSubmitted:
    place = (await lookups.get_places(session, [establishment_id]))[establishment_id]
    base_document = None
    if based_on is not None and published is not None and based_on < published.version:
        base_document = await lookups.get_version_document(session, establishment_id, based_on)
    return OperatingInfoSubmitted(
        submission_id=uuid.UUID(submitted.id), establishment_id=uuid.UUID(establishment_id),
        establishment_name=place.name, provider_id=uuid.UUID(place.provider_id), caf_code=place.caf_code,
        departement=place.departement, category=Category(place.category), version=submitted.version,
        based_on_version=based_on,
        submitted_by=AgentRef(
            agent_number=account.agent_number, email=account.email,
            display_name=f"{account.first_name} {account.last_name}",
        ),
        submitted_at=submitted.submitted_at, document=stored,
        published_version=published.version if published is not None else None,
        published_document=published.document if published is not None else None, base_document=base_document,
    )  # fmt: skip
