"""Conventions in force: their term (art. 5), terminations, and the daily work they call for.

A termination is recorded with the registered letter's reference and the day it was received; it takes effect at
the first renewal it gave three months' notice for, when the provider's agents are deactivated. Before each notice
deadline the provider is reminded of the coming tacit renewal.
"""

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.convention import ConventionTerm
from gateway.accounts.scope import active_agents_of
from gateway.accounts.services import deactivate_agent
from gateway.catalogue import repositories as catalogue
from gateway.habilitation.processing import ProcessingError
from gateway.habilitation.states import ConventionStatus
from gateway.habilitation.tables import amendments, conventions, habilitation_requests
from gateway.tables import outbox
from shared.db import SessionFactory
from shared.events import ConventionNotice, new_event
from shared.outbox import OutboxSignal, add_event

log = logging.getLogger(__name__)
SOURCE = "/structures/gateway"
REMIND_BEFORE_DEADLINE = timedelta(days=30)


@dataclass(frozen=True)
class ConventionView:
    id: str
    request_number: str
    provider_name: str
    signed_on: date
    place: str
    signatories: list[str]
    deliberation_reference: str | None
    deliberation_date: date | None
    status: str
    next_renewal: date
    notice_deadline: date
    termination_effective_on: date | None


def view(row: Any, today: date) -> ConventionView:
    term = ConventionTerm(row.signed_on)
    renewal = row.termination_effective_on or term.next_renewal(today)
    return ConventionView(
        id=row.id, request_number=row.number, provider_name=row.provider["name"], signed_on=row.signed_on,
        place=row.place, signatories=list(row.signatories), deliberation_reference=row.deliberation_reference,
        deliberation_date=row.deliberation_date, status=row.status, next_renewal=renewal,
        notice_deadline=term.notice_deadline(renewal), termination_effective_on=row.termination_effective_on,
    )  # fmt: skip


def _joined() -> Any:
    return select(conventions, habilitation_requests.c.number, habilitation_requests.c.provider).join(
        habilitation_requests, habilitation_requests.c.id == conventions.c.request_id
    )


async def list_conventions(session: AsyncSession, caf_code: str, *, offset: int, limit: int) -> list[Any]:
    """The Caf's conventions, oldest signature first (then by id, so that pages never overlap)."""
    query = _joined().where(conventions.c.caf_code == caf_code).order_by(conventions.c.signed_on, conventions.c.id)
    return list((await session.execute(query.offset(offset).limit(limit))).all())


@dataclass(frozen=True)
class AmendmentView:
    signed_on: date
    subject: str
    recorded_at: datetime
    changes: list[str]


async def amendments_of(session: AsyncSession, convention_ids: list[str]) -> dict[str, list[AmendmentView]]:
    """Each convention's amendments, in the order they were signed (then recorded)."""
    a = amendments.c
    query = select(a.convention_id, a.signed_on, a.subject, a.recorded_at, a.changes).where(
        a.convention_id.in_(convention_ids)
    )
    found: dict[str, list[AmendmentView]] = {key: [] for key in convention_ids}
    for row in await session.execute(query.order_by(a.signed_on, a.recorded_at, a.id)):
        found[row.convention_id].append(AmendmentView(row.signed_on, row.subject, row.recorded_at, row.changes or []))
    return found


async def count_conventions(session: AsyncSession, caf_code: str) -> int:
    return int(await session.scalar(select(func.count()).where(conventions.c.caf_code == caf_code)) or 0)


async def record_termination(
    session: AsyncSession,
    request_number: str,
    caf_code: str,
    *,
    by: Literal["CAF", "FOURNISSEUR"],
    letter_reference: str,
    received_on: date,
    signal: OutboxSignal | None,
) -> Any:
    row = (await session.execute(_joined().where(habilitation_requests.c.number == request_number))).first()
    if row is None or row.caf_code != caf_code:
        raise ProcessingError("NOT_FOUND", f"Aucune convention pour la demande {request_number} dans votre Caf.")
    if row.status != ConventionStatus.EN_VIGUEUR:
        raise ProcessingError("INVALID_STATUS", f"La convention est « {row.status} ».")
    if not letter_reference.strip():
        raise ProcessingError(
            "REQUIRED", "Indiquez la référence de la lettre recommandée avec avis de réception.", "letterReference"
        )
    effective = ConventionTerm(row.signed_on).termination_effective_on(received_on)
    await session.execute(
        update(conventions).where(conventions.c.id == row.id).values(
            status=ConventionStatus.RESILIATION_NOTIFIEE, termination_by=by, termination_letter=letter_reference,
            termination_received_on=received_on, termination_effective_on=effective,
        )
    )  # fmt: skip
    await _notice(session, row, "TERMINATION_RECORDED", effective, signal, by=by, letter=letter_reference)
    return (await session.execute(_joined().where(conventions.c.id == row.id))).one()


async def _notice(
    session: AsyncSession,
    row: Any,
    kind: Literal["RENEWAL_REMINDER", "TERMINATION_RECORDED"],
    renewal: date,
    signal: OutboxSignal | None,
    *,
    by: Literal["CAF", "FOURNISSEUR"] | None = None,
    letter: str | None = None,
) -> None:
    [caf] = await catalogue.get_cafs(session, [row.caf_code])
    notice = ConventionNotice(
        convention_id=uuid.UUID(row.id), kind=kind, provider_name=row.provider["name"],
        provider_email=row.provider["email"], caf_label=caf.label, signed_on=row.signed_on, renewal_on=renewal,
        notice_deadline=ConventionTerm.notice_deadline(renewal), terminated_by=by, letter_reference=letter,
        caf_code=row.caf_code,
    )  # fmt: skip
    await add_event(session, outbox, new_event(notice, source=SOURCE), signal)


async def apply_due(session: AsyncSession, today: date, now: datetime, signal: OutboxSignal | None) -> int:
    """Terminations that take effect today or before, and reminders due; returns how many conventions changed."""
    changed = 0
    due = _joined().where(
        conventions.c.status == ConventionStatus.RESILIATION_NOTIFIEE, conventions.c.termination_effective_on <= today
    )
    for row in (await session.execute(due.with_for_update(of=conventions, skip_locked=True))).all():
        await session.execute(
            update(conventions).where(conventions.c.id == row.id).values(status=ConventionStatus.RESILIEE)
        )
        for account_id in (await active_agents_of(session, row.provider_id)).values():
            await deactivate_agent(
                session, account_id, reason="Fin de la convention d'habilitation (résiliation)", by_agent="SYSTEME",
                now=now, signal=signal,
            )  # fmt: skip
        changed += 1
    in_force = _joined().where(conventions.c.status == ConventionStatus.EN_VIGUEUR)
    for row in (await session.execute(in_force.with_for_update(of=conventions, skip_locked=True))).all():
        renewal = ConventionTerm(row.signed_on).next_renewal(today)
        deadline = ConventionTerm.notice_deadline(renewal)
        if deadline - REMIND_BEFORE_DEADLINE <= today <= deadline and row.reminded_for != renewal:
            await session.execute(update(conventions).where(conventions.c.id == row.id).values(reminded_for=renewal))
            await _notice(session, row, "RENEWAL_REMINDER", renewal, signal)
            changed += 1
    return changed


async def run_daily(
    sessions: SessionFactory, signal: OutboxSignal, stop: asyncio.Event, today: Any, every: float
) -> None:
    """Apply what is due now and then every ``every`` seconds until ``stop`` (``today()`` gives the local date)."""
    while not stop.is_set():
        try:
            async with sessions() as session, session.begin():
                changed = await apply_due(session, today(), datetime.now(UTC), signal)
            if changed:
                log.info("convention work applied", extra={"conventions": changed})
        except Exception:
            log.exception("convention work failed")
        try:
            async with asyncio.timeout(every):
                await stop.wait()
        except TimeoutError:
            pass
