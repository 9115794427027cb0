"""Use case: a Caf withdraws published operating information that breaks convention art. 2.

Only an agent of the Caf whose territory holds the establishment may do it, with at least one art. 2 reason. The
published version becomes WITHDRAWN (kept, with who, when and why); the public view then shows the establishment
without operating information (« Informations non renseignées ») until a new version is approved. Two events go
out in the same transaction: the public withdrawal for integrators, and a notice the notifier e-mails to the
provider's agents holding the OPERATING_INFO right on that establishment.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.rights import list_right_holders
from gateway.accounts.states import Right
from gateway.catalogue import lookups, writes
from gateway.catalogue.writes import public_place
from gateway.publications.log import record_publication
from gateway.tables import outbox
from gateway.user_errors import UserError
from shared.events import AgentRef, OperatingInfoWithdrawn, WithdrawalNotice, new_event
from shared.outbox import OutboxSignal, add_event
from shared.refusal_reasons import REFUSAL_REASONS

SOURCE = "/structures/gateway"
MAX_COMMENT = 2000


@dataclass(frozen=True)
class Withdrawal:
    establishment_id: str
    caf_code: str
    agent_number: str
    reasons: list[str]
    comment: str | None


def withdrawal_errors(withdrawal: Withdrawal) -> list[UserError]:
    errors = []
    if not withdrawal.reasons:
        errors.append(UserError("reasons", "REQUIRED", "Indiquez au moins un motif de l'article 2."))
    unknown = [r for r in withdrawal.reasons if r not in REFUSAL_REASONS]
    if unknown:
        errors.append(UserError("reasons", "UNKNOWN_REASON", f"Motif inconnu : {', '.join(unknown)}."))
    if "AUTRE" in withdrawal.reasons and not (withdrawal.comment or "").strip():
        errors.append(UserError("comment", "REQUIRED", "Le motif « Autre » doit être expliqué en commentaire."))
    if withdrawal.comment and len(withdrawal.comment) > MAX_COMMENT:
        errors.append(UserError("comment", "TOO_LONG", f"Le commentaire dépasse {MAX_COMMENT} caractères."))
    return errors


async def withdraw_operating_info(
    session: AsyncSession, withdrawal: Withdrawal, *, now: datetime, signal: OutboxSignal | None
) -> int | list[UserError]:
    """Withdraw the published version; returns its number, or what is wrong (then nothing changes)."""
    errors = withdrawal_errors(withdrawal)
    if errors:
        return errors
    place = (await lookups.get_places(session, [withdrawal.establishment_id])).get(withdrawal.establishment_id)
    if place is None or place.caf_code != withdrawal.caf_code:
        return [UserError("establishmentId", "NOT_FOUND", "Établissement introuvable sur le territoire de votre Caf.")]
    published = await lookups.get_published_version(session, withdrawal.establishment_id, lock=True)
    if published is None:
        return [UserError("establishmentId", "NOTHING_PUBLISHED", "Aucune information publiée à retirer.")]
    await writes.withdraw_version(
        session, published.id, at=now, by=withdrawal.agent_number, reasons=withdrawal.reasons,
        comment=withdrawal.comment,
    )  # fmt: skip
    establishment_id = uuid.UUID(withdrawal.establishment_id)
    public = OperatingInfoWithdrawn(
        establishment_id=establishment_id, place=public_place(place), version=published.version, withdrawn_at=now
    )
    notice = WithdrawalNotice(
        establishment_id=establishment_id, establishment_name=place.name, version=published.version,
        reasons=withdrawal.reasons, comment=withdrawal.comment, withdrawn_by=withdrawal.agent_number,
        withdrawn_at=now, caf_code=withdrawal.caf_code,
        recipients=await _responsible_agents(session, withdrawal.establishment_id),
    )  # fmt: skip
    await add_event(session, outbox, new_event(notice, source=SOURCE), signal)
    await record_publication(session, public, source=SOURCE, signal=signal)  # last: it holds the cursor
    return int(published.version)


async def _responsible_agents(session: AsyncSession, establishment_id: str) -> list[AgentRef]:
    """The active agents holding the OPERATING_INFO right on the establishment."""
    rows = await list_right_holders(session, establishment_id, Right.OPERATING_INFO)
    return [
        AgentRef(agent_number=r.agent_number, email=r.email, display_name=f"{r.first_name} {r.last_name}") for r in rows
    ]
