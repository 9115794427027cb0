"""Use case: a transmission client sends availabilities for many establishments in one call.

Each establishment is atomic: a bad entry refuses that establishment's batch (with per-entry errors), not the
others'. An accepted batch goes through the same rules and publication events as manual entry, with the channel
TRANSMISSION_INFORMATISEE and the delegating agent's number (art. 3-4), and is logged with the client; the log
sets when the establishment's availabilities turn « périmées » under the rule of three
(:func:`gateway.catalogue.domain.transmission_deadline`).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue.domain import RULE_OF_THREE_WINDOW, transmission_deadline
from gateway.catalogue.publishing import publish_availability_batches
from gateway.catalogue.vocabulary import Channel
from gateway.catalogue.writes import AvailabilityBatch, set_availability_deadlines
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
    """Validate every establishment's batch first, then write all the accepted ones together."""
    prepared = [_prepare(client, part) for part in transmission.establishments]
    errors = [found if isinstance(found, list) else [] for found in prepared]
    batches = {index: batch for index, batch in enumerate(prepared) if isinstance(batch, AvailabilityBatch)}

    async def log_them(session: AsyncSession, accepted: Sequence[AvailabilityBatch]) -> None:
        # Before the publications take their cursors: the next publishers wait from then on until commit.
        await _log_transmissions(session, client, accepted, now=now)
        await _set_deadlines(session, sorted({b.establishment_id for b in accepted}), now=now)

    published = await publish_availability_batches(
        session,
        list(batches.values()),
        agent_number=client.granted_by,
        channel=Channel.TRANSMISSION_INFORMATISEE,
        today=today,
        now=now,
        signal=signal,
        alongside=log_them,
    )
    for index, found in zip(batches, published, strict=True):
        errors[index] = found
    return [
        EstablishmentOutcome(part.establishment_id, _under(f"establishments[{index}]", found))
        for index, (part, found) in enumerate(zip(transmission.establishments, errors, strict=True))
    ]


def _prepare(client: TransmissionClient, part: EstablishmentTransmission) -> AvailabilityBatch | list[UserError]:
    """The part as a batch to publish, or what refuses it before the publication rules (delegation, 90 days)."""
    establishment_id = _key_of(part.establishment_id)
    if establishment_id is None or establishment_id not in client.establishment_ids:
        message = "Ce logiciel n'a pas reçu délégation pour cet établissement."
        return [UserError("establishmentId", "NOT_DELEGATED", message)]
    batch = [entry.entry() for entry in part.availabilities]
    if days_spanned(batch) > MAX_DAYS:
        return [
            UserError("availabilities", "TOO_MANY_DAYS", f"Au plus {MAX_DAYS} jours par établissement et par envoi.")
        ]
    return AvailabilityBatch(establishment_id, batch)


async def _log_transmissions(
    session: AsyncSession, client: TransmissionClient, accepted: Sequence[AvailabilityBatch], *, now: datetime
) -> None:
    if not accepted:
        return
    rows = [
        {
            "id": str(uuid.uuid4()),
            "client_id": client.id,
            "establishment_id": batch.establishment_id,
            "agent_number": client.granted_by,
            "entries": len(batch.entries),
            "transmitted_at": now,
        }
        for batch in accepted
    ]
    await session.execute(transmissions.insert(), rows)


async def _set_deadlines(session: AsyncSession, establishment_ids: list[str], *, now: datetime) -> None:
    """Each accepted establishment's « périmées » deadline under the rule of three, from its recent transmissions
    (the ones just logged included): one query, one executemany."""
    if not establishment_ids:
        return
    times: dict[str, list[datetime]] = {key: [] for key in establishment_ids}
    found = await session.execute(
        select(transmissions.c.establishment_id, transmissions.c.transmitted_at).where(
            transmissions.c.establishment_id.in_(establishment_ids),
            transmissions.c.transmitted_at >= now - RULE_OF_THREE_WINDOW,
        )
    )
    for establishment_id, transmitted_at in found:
        times[establishment_id].append(transmitted_at)
    deadlines = {key: transmission_deadline(moments, now) for key, moments in times.items()}
    await set_availability_deadlines(session, deadlines)


def _key_of(global_id: str) -> str | None:
    """The establishment's key from the global id the public API shows (``Establishment:<uuid>`` in base64)."""
    try:
        type_name, key = from_global_id(global_id, argument="establishmentId")
    except InvalidArgumentError:
        return None
    return key if type_name == "Establishment" else None


def _under(prefix: str, errors: list[UserError]) -> list[UserError]:
    return [UserError(f"{prefix}.{e.field}", e.code, e.message) for e in errors]
