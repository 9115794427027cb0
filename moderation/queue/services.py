"""The moderators' use cases: claim an item (a lease that expires), decide it, see the queue and its history.

A decision names the item's ``row_version``: a moderator deciding on a stale view is refused, never applied
twice. Decisions leave through the outbox (``ModerationDecided``) for the gateway and the notifier.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from moderation.checks.cases import cases_of_decision
from moderation.queue import repositories
from moderation.queue.states import STATUS_LABELS, Decision, HistoryAction, ReviewStatus
from moderation.tables import outbox, review_history, review_items
from shared.errors import PermanentError
from shared.events import AgentRef, ModerationDecided, new_event
from shared.logging import correlation_scope, current_correlation_id
from shared.outbox import OutboxSignal, add_event
from shared.refusal_reasons import REFUSAL_REASONS

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)
SOURCE = "/structures/moderation"


@dataclass(frozen=True)
class Refusal:
    """Why a moderator's action is refused: the parameter in cause (``item_id``, ``row_version``, ``reasons``), a
    stable code and a French message."""

    parameter: str | None
    code: str
    message: str


class QueueError(PermanentError):
    """Every reason an action is refused, found at once (a moderator fixes them in one go)."""

    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__(" ".join(refusal.message for refusal in refusals))
        self.refusals = refusals


def _refuse_if_any(refusals: list[Refusal]) -> None:
    if refusals:
        raise QueueError(refusals)


@dataclass(frozen=True)
class Moderator:
    caf_code: str
    agent_number: str


async def record(
    session: AsyncSession,
    item_id: str,
    action: HistoryAction,
    agent: str | None,
    now: datetime,
    note: str | None = None,
) -> None:
    await session.execute(
        review_history.insert().values(
            id=str(uuid.uuid4()), item_id=item_id, action=action, agent_number=agent, at=now, note=note
        )
    )


async def _item(
    session: AsyncSession, item_id: str, moderator: Moderator, row_version: int
) -> tuple[Any, list[Refusal]]:
    """The item, locked, and the refusals it already calls for; an item the moderator cannot act on at all stops
    there (nothing else would help)."""
    row = (await session.execute(select(review_items).where(review_items.c.id == item_id).with_for_update())).first()
    if row is None or row.caf_code != moderator.caf_code:
        raise QueueError([Refusal("item_id", "NOT_FOUND", "Élément introuvable dans la file de votre Caf.")])
    if row.status != ReviewStatus.PENDING:
        label = STATUS_LABELS[ReviewStatus(row.status)].lower()
        raise QueueError([Refusal("item_id", "ALREADY_DECIDED", f"Cet élément n'attend plus de décision ({label}).")])
    refusals = []
    if row.row_version != row_version:
        refusals.append(Refusal("row_version", "STALE", "L'élément a changé depuis votre lecture : rechargez-le."))
    return row, refusals


def _held_by_other(row: Any, moderator: Moderator, now: datetime) -> bool:
    expires = row.claim_expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=now.tzinfo)
    return bool(row.claimed_by and row.claimed_by != moderator.agent_number and expires and expires > now)


async def claim(
    session: AsyncSession, item_id: str, row_version: int, moderator: Moderator, now: datetime, lease: timedelta = LEASE
) -> None:
    row, refusals = await _item(session, item_id, moderator, row_version)
    if _held_by_other(row, moderator, now):
        refusals.append(Refusal("item_id", HistoryAction.CLAIMED, f"Déjà pris en charge par {row.claimed_by}."))
    _refuse_if_any(refusals)
    await session.execute(
        update(review_items).where(review_items.c.id == item_id).values(
            claimed_by=moderator.agent_number, claim_expires_at=now + lease, row_version=row.row_version + 1
        )
    )  # fmt: skip
    await record(session, item_id, HistoryAction.CLAIMED, moderator.agent_number, now)


async def release(session: AsyncSession, item_id: str, row_version: int, moderator: Moderator, now: datetime) -> None:
    row, refusals = await _item(session, item_id, moderator, row_version)
    if row.claimed_by != moderator.agent_number:
        refusals.append(Refusal("item_id", "NOT_CLAIMED", "Vous n'avez pas pris cet élément en charge."))
    _refuse_if_any(refusals)
    await session.execute(
        update(review_items).where(review_items.c.id == item_id).values(
            claimed_by=None, claim_expires_at=None, row_version=row.row_version + 1
        )
    )  # fmt: skip
    await record(session, item_id, HistoryAction.RELEASED, moderator.agent_number, now)


async def decide(
    session: AsyncSession,
    item_id: str,
    row_version: int,
    moderator: Moderator,
    decision: Decision,
    *,
    reasons: list[str],
    comment: str | None,
    now: datetime,
    signal: OutboxSignal | None,
) -> None:
    row, refusals = await _item(session, item_id, moderator, row_version)
    if row.claimed_by != moderator.agent_number or _held_by_other(row, moderator, now):
        refusals.append(Refusal("item_id", "NOT_CLAIMED", "Prenez l'élément en charge avant de décider."))
    refusals += _reason_refusals(decision, reasons)
    _refuse_if_any(refusals)
    await session.execute(
        update(review_items).where(review_items.c.id == item_id).values(
            status=ReviewStatus(decision), decided_by=moderator.agent_number, decided_at=now, reasons=reasons,
            comment=comment, row_version=row.row_version + 1,
        )
    )  # fmt: skip
    await record(session, item_id, HistoryAction(decision), moderator.agent_number, now, comment)
    # What the decision teaches the art. 2 checks (per-rule precision, corpus candidates).
    cases = cases_of_decision(row.flags or [], row.document, approved=decision is Decision.APPROVED, reasons=reasons)
    await repositories.add_check_cases(session, item_id, row.caf_code, cases, moderator.agent_number, now)
    decided = ModerationDecided(
        submission_id=uuid.UUID(row.submission_id), establishment_id=uuid.UUID(row.establishment_id),
        establishment_name=row.establishment_name, version=row.version, decision=decision.value,
        reasons=reasons, comment=comment, moderator_number=moderator.agent_number, decided_at=now,
        submitted_by=AgentRef.model_validate(row.submitted_by), caf_code=row.caf_code,
    )  # fmt: skip
    # The decision continues the submission's story: it carries the submission's correlation id, not the
    # moderator's request id, so one id follows the change to the publication and the agent's e-mail.
    event = new_event(decided, source=SOURCE, correlation_id=row.correlation_id)
    await add_event(session, outbox, event, signal)
    request_id = current_correlation_id()
    with correlation_scope(event.correlationid):
        log.info(
            "moderation decision recorded",
            extra={"decision": decision, "item_id": item_id, "event_id": event.id, "request_id": request_id},
        )


def _reason_refusals(decision: Decision, reasons: list[str]) -> list[Refusal]:
    if decision is Decision.REJECTED and not reasons:
        return [Refusal("reasons", "REASON_REQUIRED", "Un refus indique au moins un motif de l'article 2.")]
    unknown = [r for r in reasons if r not in REFUSAL_REASONS]
    if unknown:
        return [Refusal("reasons", "UNKNOWN_REASON", f"Motif inconnu : {', '.join(unknown)}.")]
    return []


async def supersede_older(session: AsyncSession, establishment_id: str, keep: str, now: datetime) -> None:
    older = select(review_items.c.id).where(
        review_items.c.establishment_id == establishment_id,
        review_items.c.status == ReviewStatus.PENDING,
        review_items.c.id != keep,
    )
    for item_id in (await session.execute(older)).scalars():
        await session.execute(
            update(review_items).where(review_items.c.id == item_id).values(status=ReviewStatus.SUPERSEDED)
        )
        await record(session, item_id, HistoryAction.SUPERSEDED, None, now)


async def approve_unflagged(
    session: AsyncSession, moderator: Moderator, item_ids: list[str], now: datetime, signal: OutboxSignal | None
) -> tuple[list[str], list[str]]:
    """Approve each listed item that has no flag and is not held by another moderator: (approved, skipped)."""
    approved, skipped = [], []
    for item_id in item_ids:
        row = (await session.execute(select(review_items).where(review_items.c.id == item_id))).first()
        if row is None or row.caf_code != moderator.caf_code or row.status != ReviewStatus.PENDING or row.flag_count:
            skipped.append(item_id)
            continue
        if _held_by_other(row, moderator, now):
            skipped.append(item_id)
            continue
        await claim(session, item_id, row.row_version, moderator, now)
        await decide(
            session, item_id, row.row_version + 1, moderator, Decision.APPROVED, reasons=[], comment=None, now=now,
            signal=signal,
        )  # fmt: skip
        approved.append(item_id)
    return approved, skipped


@dataclass(frozen=True)
class QueueDepth:
    pending: int
    flagged: int
    oldest_submitted_at: datetime | None


async def depth(session: AsyncSession, caf_code: str) -> QueueDepth:
    pending = (review_items.c.caf_code == caf_code) & (review_items.c.status == ReviewStatus.PENDING)
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(review_items.c.flag_count > 0),
                func.min(review_items.c.submitted_at),
            ).where(pending)
        )
    ).one()
    oldest = row[2]
    if oldest is not None and oldest.tzinfo is None:  # SQLite keeps no offset; the service stores UTC
        oldest = oldest.replace(tzinfo=UTC)
    return QueueDepth(int(row[0]), int(row[1]), oldest)
