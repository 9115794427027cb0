"""The review queue's reads and its intake (the use cases' own updates are in `services.py`)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from moderation.checks.cases import CaseOutcome, CheckCase
from moderation.queue.states import ClaimState, ReviewStatus
from moderation.tables import check_cases, review_history, review_items
from shared.events import OperatingInfoSubmitted
from shared.logging import current_correlation_id


async def get_item_id_by_submission(session: AsyncSession, submission_id: uuid.UUID) -> str | None:
    found = await session.scalar(select(review_items.c.id).where(review_items.c.submission_id == str(submission_id)))
    return None if found is None else str(found)


async def add_pending_item(
    session: AsyncSession,
    submitted: OperatingInfoSubmitted,
    *,
    event_id: str,
    flags: list[dict[str, Any]],
    diff: list[dict[str, Any]],
) -> str:
    item_id = str(uuid.uuid4())
    await session.execute(
        review_items.insert().values(
            id=item_id,
            submission_id=str(submitted.submission_id),
            event_id=event_id,
            establishment_id=str(submitted.establishment_id),
            establishment_name=submitted.establishment_name,
            provider_id=str(submitted.provider_id),
            caf_code=submitted.caf_code,
            departement=submitted.departement,
            category=submitted.category,
            version=submitted.version,
            based_on_version=submitted.based_on_version,
            submitted_by=submitted.submitted_by.model_dump(mode="json"),
            document=submitted.document.stored(),
            published_version=submitted.published_version,
            flags=flags,
            flag_count=len(flags),
            diff=diff,
            status=ReviewStatus.PENDING,
            submitted_at=submitted.submitted_at,
            received_at=datetime.now(UTC),
            correlation_id=current_correlation_id(),
        )
    )
    return item_id


async def count_pending(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).select_from(review_items).where(review_items.c.status == ReviewStatus.PENDING)
    )
    return int(count or 0)


async def list_pending_by_caf(session: AsyncSession) -> list[tuple[str, int, datetime]]:
    """Per Caf: how many items wait for a decision and when the oldest was submitted."""
    rows = await session.execute(
        select(review_items.c.caf_code, func.count(), func.min(review_items.c.submitted_at))
        .where(review_items.c.status == ReviewStatus.PENDING)
        .group_by(review_items.c.caf_code)
    )
    return [(caf, int(count), _utc(oldest)) for caf, count, oldest in rows]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite keeps no offset


async def get_item(session: AsyncSession, item_id: str) -> Any:
    return (await session.execute(select(review_items).where(review_items.c.id == item_id))).one()


async def get_caf_item(session: AsyncSession, item_id: str, caf_code: str) -> Any | None:
    """An item of the Caf's queue, whatever its state; None for another Caf's (it is not there for this one)."""
    query = select(review_items).where(review_items.c.id == item_id, review_items.c.caf_code == caf_code)
    return (await session.execute(query)).first()


@dataclass(frozen=True)
class QueueFilter:
    flagged: bool | None = None
    establishment_id: str | None = None
    provider_id: str | None = None
    submitted_before: datetime | None = None
    departement: str | None = None
    categories: tuple[str, ...] = ()
    """Items of these categories only; none means every item, those of an unknown category too."""
    claim: ClaimState | None = None
    """Held by ``moderator`` (MINE), by another moderator (OTHERS), or by nobody or an expired lease (FREE)."""
    moderator: str = ""
    now: datetime | None = None


def _claim_condition(where: QueueFilter) -> ColumnElement[bool]:
    now = where.now or datetime.now(UTC)
    held = review_items.c.claimed_by.is_not(None) & (review_items.c.claim_expires_at > now)
    if where.claim == ClaimState.MINE:
        return held & (review_items.c.claimed_by == where.moderator)
    if where.claim == ClaimState.OTHERS:
        return held & (review_items.c.claimed_by != where.moderator)
    return ~held


def _pending_of(caf_code: str, where: QueueFilter) -> Select[Any]:
    query = select(review_items).where(
        review_items.c.caf_code == caf_code, review_items.c.status == ReviewStatus.PENDING
    )
    if where.flagged is not None:
        query = query.where(review_items.c.flag_count > 0 if where.flagged else review_items.c.flag_count == 0)
    if where.establishment_id:
        query = query.where(review_items.c.establishment_id == where.establishment_id)
    if where.provider_id:
        query = query.where(review_items.c.provider_id == where.provider_id)
    if where.submitted_before:
        query = query.where(review_items.c.submitted_at < where.submitted_before)
    if where.departement:
        query = query.where(review_items.c.departement == where.departement)
    if where.categories:
        query = query.where(review_items.c.category.in_(where.categories))
    if where.claim is not None:
        query = query.where(_claim_condition(where))
    return query


async def list_queue(
    session: AsyncSession, caf_code: str, where: QueueFilter, *, flagged_first: bool, offset: int, limit: int
) -> tuple[list[Any], int]:
    """A slice of the Caf's pending items, oldest first (flagged ones first if asked), and how many there are."""
    query = _pending_of(caf_code, where)
    flagged = case((review_items.c.flag_count > 0, 0), else_=1)
    # The id breaks ties, so that pages never overlap nor skip an item submitted at the same instant.
    order = [flagged] if flagged_first else []
    page = query.order_by(*order, review_items.c.submitted_at, review_items.c.id).offset(offset).limit(limit)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    return list((await session.execute(page)).all()), int(total or 0)


async def list_history(session: AsyncSession, item_id: str, *, offset: int, limit: int) -> tuple[list[Any], int]:
    """A slice of an item's history, oldest step first, and how many steps it has."""
    mine = review_history.c.item_id == item_id
    query = select(review_history).where(mine).order_by(review_history.c.at, review_history.c.id)
    total = await session.scalar(select(func.count()).select_from(review_history).where(mine))
    return list((await session.execute(query.offset(offset).limit(limit))).all()), int(total or 0)


async def add_check_cases(
    session: AsyncSession, item_id: str, caf_code: str, cases: list[CheckCase], decided_by: str, at: datetime
) -> None:
    if cases:
        await session.execute(
            check_cases.insert(),
            [
                {"id": str(uuid.uuid4()), "item_id": item_id, "caf_code": caf_code, "outcome": case.outcome,
                 "category": case.category, "rule": case.rule, "field": case.field, "excerpt": case.excerpt,
                 "decided_by": decided_by, "decided_at": at}
                for case in cases
            ],
        )  # fmt: skip


@dataclass(frozen=True)
class RuleRecord:
    """How a rule of the checks fared with a Caf's moderators: flags confirmed by a refusal, flags contradicted."""

    rule: str
    category: str
    confirmed: int
    false_flags: int


async def list_rule_records(session: AsyncSession, caf_code: str) -> list[RuleRecord]:
    confirmed = func.count().filter(check_cases.c.outcome == CaseOutcome.CONFIRMED)
    contradicted = func.count().filter(check_cases.c.outcome == CaseOutcome.FALSE_FLAG)
    rows = await session.execute(
        select(check_cases.c.rule, check_cases.c.category, confirmed, contradicted)
        .where(check_cases.c.caf_code == caf_code, check_cases.c.rule.is_not(None))
        .group_by(check_cases.c.rule, check_cases.c.category)
        .order_by(check_cases.c.rule)
    )
    return [RuleRecord(str(rule), str(category), int(yes), int(no)) for rule, category, yes, no in rows]


async def count_missed_by_category(session: AsyncSession, caf_code: str) -> dict[str, int]:
    rows = await session.execute(
        select(check_cases.c.category, func.count())
        .where(check_cases.c.caf_code == caf_code, check_cases.c.outcome == CaseOutcome.MISSED)
        .group_by(check_cases.c.category)
    )
    return {str(category): int(count) for category, count in rows}


@dataclass(frozen=True)
class StoredCase:
    case: CheckCase
    caf_code: str
    decided_at: datetime


async def list_check_cases(session: AsyncSession, since: datetime | None, outcomes: list[str]) -> list[StoredCase]:
    """The cases decided since ``since`` (all if None) with these outcomes, oldest first."""
    query = select(check_cases).where(check_cases.c.outcome.in_(outcomes)).order_by(check_cases.c.decided_at)
    if since is not None:
        query = query.where(check_cases.c.decided_at >= since)
    return [
        StoredCase(
            CheckCase(CaseOutcome(row.outcome), row.category, row.rule, row.field, row.excerpt),
            row.caf_code, _utc(row.decided_at),
        )
        for row in await session.execute(query)
    ]  # fmt: skip
