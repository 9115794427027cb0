"""Handlers of the events the notifier consumes: each records the e-mail to send (the worker sends it).

A handler turns its event into the values of a template; :func:`_record` renders the French e-mail and adds the
delivery in the event's transaction, so a redelivered event adds nothing.
"""

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from notifier import tables
from notifier.deliveries import SECRET_PLACEHOLDER, add_delivery
from notifier.rendering import render
from shared.consumer import Handler
from shared.errors import PermanentError
from shared.events import (
    AgentDeactivated,
    ConventionNotice,
    Envelope,
    HabilitationRequested,
    ModerationDecided,
    PasswordIssued,
    SessionsRevoked,
    WithdrawalNotice,
)
from shared.refusal_reasons import reason_label
from shared.revocations import record_revocation

PARIS = ZoneInfo("Europe/Paris")
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


async def _record(
    session: AsyncSession,
    event: Envelope,
    kind: str,
    recipient: str,
    values: dict[str, Any],
    *,
    caf_code: str | None = None,
    sealed_secret: str | None = None,
) -> None:
    email = render(kind, values)
    await add_delivery(
        session,
        event_id=event.id,
        kind=kind,
        recipient=_one_address(recipient),
        email=email,
        caf_code=caf_code,
        sealed_secret=sealed_secret,
    )


def _one_address(recipient: str) -> str:
    """``recipient`` if it is one plain e-mail address; a :class:`PermanentError` otherwise (a CR/LF or a comma
    would add headers or recipients: the event is dead-lettered with the reason instead)."""
    if len(recipient) > 254 or not _ADDRESS.fullmatch(recipient):
        raise PermanentError(f"cannot e-mail {recipient[:100]!r}: not one e-mail address")
    return recipient


async def handle_moderation_decided(session: AsyncSession, event: Envelope) -> None:
    """E-mail the submitting agent the moderator's decision and its reasons."""
    decided = event.data
    assert isinstance(decided, ModerationDecided)
    values = {
        "display_name": decided.submitted_by.display_name,
        "agent_number": decided.submitted_by.agent_number,
        "establishment_name": decided.establishment_name,
        "version": decided.version,
        "decision": decided.decision,
        "reasons": [reason_label(code) for code in decided.reasons],
        "comment": decided.comment,
        "submission_id": str(decided.submission_id),
    }
    await _record(session, event, "moderation_decided", decided.submitted_by.email, values, caf_code=decided.caf_code)


async def handle_habilitation_requested(session: AsyncSession, event: Envelope) -> None:
    """E-mail the provider the « accusé de réception confirmant la transmission à la Caf » (convention art. 3-1)."""
    requested = event.data
    assert isinstance(requested, HabilitationRequested)
    values = {
        "number": requested.number,
        "provider_name": requested.provider_name,
        "caf_label": requested.caf_label,
        "submitted_on": requested.submitted_at.strftime("%d/%m/%Y"),
        "establishments": requested.establishments,
        "persons": [person.model_dump() for person in requested.persons],
        "representative_name": requested.representative_name,
    }
    await _record(session, event, "habilitation_receipt", requested.provider_email, values, caf_code=requested.caf_code)


async def handle_password_issued(session: AsyncSession, event: Envelope) -> None:
    """E-mail a generated password. It stays sealed in the deliveries log and is opened only to send."""
    issued = event.data
    assert isinstance(issued, PasswordIssued)
    values = {
        "display_name": issued.display_name,
        "identifier": issued.identifier,
        "agent_number": issued.agent_number,
        "reason": issued.reason,
        "password": SECRET_PLACEHOLDER,
        "expires": issued.expires_at.astimezone(PARIS).strftime("%d/%m/%Y à %H h %M"),
    }
    await _record(
        session, event, "password_issued", issued.email, values,
        caf_code=issued.caf_code, sealed_secret=issued.sealed_password,
    )  # fmt: skip


async def handle_agent_deactivated(session: AsyncSession, event: Envelope) -> None:
    """Tell the person their access ended, and why."""
    deactivated = event.data
    assert isinstance(deactivated, AgentDeactivated)
    values = {
        "display_name": deactivated.display_name,
        "agent_number": deactivated.agent_number,
        "reason": deactivated.reason,
        "deactivated_on": deactivated.deactivated_at.astimezone(PARIS).strftime("%d/%m/%Y"),
    }
    await _record(session, event, "agent_deactivated", deactivated.email, values, caf_code=deactivated.caf_code)


async def handle_convention_notice(session: AsyncSession, event: Envelope) -> None:
    """A coming tacit renewal, or a recorded termination, told to the provider."""
    notice = event.data
    assert isinstance(notice, ConventionNotice)
    values = notice.model_dump(mode="json") | {
        "signed_on": f"{notice.signed_on:%d/%m/%Y}",
        "renewal_on": f"{notice.renewal_on:%d/%m/%Y}",
        "notice_deadline": f"{notice.notice_deadline:%d/%m/%Y}",
    }
    await _record(session, event, "convention_notice", notice.provider_email, values, caf_code=notice.caf_code)


async def handle_withdrawal_notice(session: AsyncSession, event: Envelope) -> None:
    """E-mail each responsible agent that the Caf withdrew the published information, with the art. 2 reasons."""
    notice = event.data
    assert isinstance(notice, WithdrawalNotice)
    for agent in notice.recipients:
        values = {
            "display_name": agent.display_name,
            "agent_number": agent.agent_number,
            "establishment_name": notice.establishment_name,
            "version": notice.version,
            "reasons": [reason_label(code) for code in notice.reasons],
            "comment": notice.comment,
            "withdrawn_on": notice.withdrawn_at.astimezone(PARIS).strftime("%d/%m/%Y"),
            "withdrawn_by": notice.withdrawn_by,
        }
        await _record(session, event, "operating_info_withdrawn", agent.email, values, caf_code=notice.caf_code)


HANDLERS: dict[str, Handler] = {
    ModerationDecided.event_type: handle_moderation_decided,
    HabilitationRequested.event_type: handle_habilitation_requested,
    PasswordIssued.event_type: handle_password_issued,
    AgentDeactivated.event_type: handle_agent_deactivated,
    ConventionNotice.event_type: handle_convention_notice,
    WithdrawalNotice.event_type: handle_withdrawal_notice,
}


def handlers(revocations_kept: timedelta) -> dict[str, Handler]:
    """Every handler of the service: the e-mails, and the revocations that make it refuse a token at once."""

    async def handle_sessions_revoked(session: AsyncSession, event: Envelope) -> None:
        await record_revocation(session, tables.revoked_sessions, event, revocations_kept)

    async def handle_agent_deactivated_everywhere(session: AsyncSession, event: Envelope) -> None:
        await handle_agent_deactivated(session, event)
        await record_revocation(session, tables.revoked_sessions, event, revocations_kept)

    return HANDLERS | {
        SessionsRevoked.event_type: handle_sessions_revoked,
        AgentDeactivated.event_type: handle_agent_deactivated_everywhere,
    }
