"""Use case: a transmission client sends availabilities for many establishments in one call.

Each establishment is atomic: a bad entry refuses that establishment's batch (with per-entry errors), not the
others'. An accepted batch goes through the same rules and publication events as manual entry, with the channel
TRANSMISSION_INFORMATISEE and the delegating agent's number (art. 3-4), and is logged with the client; the log
sets when the establishment's availabilities turn « périmées » under the rule of three
(:func:`gateway.catalogue.domain.transmission_deadline`).
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue.domain import RULE_OF_THREE_WINDOW, transmission_deadline
from gateway.catalogue.publishing import publish_availabilities
from gateway.catalogue.vocabulary import Channel
from gateway.catalogue.writes import set_availability_deadline
from gateway.transmission.clients import TransmissionClient
from gateway.transmission.payload import MAX_DAYS, EstablishmentTransmission, Transmission, days_spanned
from gateway.transmission.tables import transmissions
from gateway.user_errors import UserError
from shared.outbox import OutboxSignal
from shared.relay import InvalidArgumentError, from_global_id


@dataclass(frozen=True)
class EstablishmentOutcome:
    establishment_id: str
    errors: list[UserError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.errors


async def transmit_availabilities(
    session: AsyncSession,
    client: TransmissionClient,
    transmission: Transmission,
    *,
    today: date,
    now: datetime,
    signal: OutboxSignal | None,
) -> list[EstablishmentOutcome]:
    outcomes = []
    for index, part in enumerate(transmission.establishments):
        errors = await _transmit_one(session, client, part, today=today, now=now, signal=signal)
        outcomes.append(EstablishmentOutcome(part.establishment_id, _under(f"establishments[{index}]", errors)))
    return outcomes


async def _transmit_one(
    session: AsyncSession,
    client: TransmissionClient,
    part: EstablishmentTransmission,
    *,
    today: date,
    now: datetime,
    signal: OutboxSignal | None,
) -> list[UserError]:
    establishment_id = _key_of(part.establishment_id)
    if establishment_id is None or establishment_id not in client.establishment_ids:
        message = "Ce logiciel n'a pas reçu délégation pour cet établissement."
        return [UserError("establishmentId", "NOT_DELEGATED", message)]
    batch = [entry.entry() for entry in part.availabilities]
    if days_spanned(batch) > MAX_DAYS:
        return [
            UserError("availabilities", "TOO_MANY_DAYS", f"Au plus {MAX_DAYS} jours par établissement et par envoi.")
        ]
    errors = await publish_availabilities(
        session,
        establishment_id,
        batch,
        agent_number=client.granted_by,
        channel=Channel.TRANSMISSION_INFORMATISEE,
        today=today,
        now=now,
        signal=signal,
    )
    if not errors:
        await session.execute(
            transmissions.insert().values(
                id=str(uuid.uuid4()),
                client_id=client.id,
                establishment_id=establishment_id,
                agent_number=client.granted_by,
                entries=len(batch),
                transmitted_at=now,
            )
        )
        recent = await list_transmission_times(session, establishment_id, since=now - RULE_OF_THREE_WINDOW)
        await set_availability_deadline(session, establishment_id, transmission_deadline(recent, now))
    return errors


async def list_transmission_times(session: AsyncSession, establishment_id: str, *, since: datetime) -> list[datetime]:
    """When the establishment's accepted transmissions came since ``since`` (the one just made included)."""
    found = await session.scalars(
        select(transmissions.c.transmitted_at).where(
            transmissions.c.establishment_id == establishment_id, transmissions.c.transmitted_at >= since
        )
    )
    return list(found)


def _key_of(global_id: str) -> str | None:
    """The establishment's key from the global id the public API shows (``Establishment:<uuid>`` in base64)."""
    try:
        type_name, key = from_global_id(global_id, argument="establishmentId")
    except InvalidArgumentError:
        return None
    return key if type_name == "Establishment" else None


def _under(prefix: str, errors: list[UserError]) -> list[UserError]:
    return [UserError(f"{prefix}.{e.field}", e.code, e.message) for e in errors]
