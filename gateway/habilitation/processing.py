"""The Caf processes habilitation requests of its territory (convention art. 3-1, 3-2, 5).

    SOUMISE ──(convention posted)──► CONVENTION_ENVOYEE ──(signed convention back)──► CONVENTION_RECUE ──► ACTIVEE
       └────────────────────────────── (refused, with a reason) ──────────────────────────────► REJETEE

Activation creates one account per named person, with rights per establishment (operating information on the
listed establishments, availabilities on the listed crèches), and e-mails each a generated password. It grants only
what the Caf confirmed (``ownership``): the register's provider with the request's SIRET, and each establishment
whose provider has no SIRET; such an establishment is then attached to the requester. The provider row it leaves
stays in the register as it is: it may run other establishments, and without a SIRET it grants nobody anything.
Any refusal grants nothing: the caller's transaction is rolled back.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.services import CreatedAccount, NewPerson, PasswordIssuing, create_provider_agent, grant_rights
from gateway.accounts.states import Right
from gateway.catalogue import holders, writes
from gateway.catalogue import repositories as catalogue
from gateway.catalogue.records import HolderRecord
from gateway.habilitation.ownership import Confirmation, Standing, activation_errors
from gateway.habilitation.review import RequestReview, review_requests
from gateway.habilitation.states import ConventionStatus, HabilitationRequestStatus
from gateway.habilitation.tables import conventions, habilitation_requests, request_events
from gateway.user_errors import UserError
from shared.errors import PermanentError
from shared.outbox import OutboxSignal

ALLOWED = {
    HabilitationRequestStatus.CONVENTION_ENVOYEE: {HabilitationRequestStatus.SOUMISE},
    HabilitationRequestStatus.CONVENTION_RECUE: {
        HabilitationRequestStatus.SOUMISE,
        HabilitationRequestStatus.CONVENTION_ENVOYEE,
    },
    HabilitationRequestStatus.REJETEE: {
        HabilitationRequestStatus.SOUMISE,
        HabilitationRequestStatus.CONVENTION_ENVOYEE,
        HabilitationRequestStatus.CONVENTION_RECUE,
    },
    HabilitationRequestStatus.ACTIVEE: {HabilitationRequestStatus.CONVENTION_RECUE},
}


class ProcessingError(PermanentError):
    """A refusal about one input: ``field`` is its GraphQL path (the request number unless said otherwise)."""

    def __init__(self, code: str, message: str, field: str = "requestNumber") -> None:
        super().__init__(message)
        self.code = code
        self.field = field


class RefusedError(ProcessingError):
    """The input may not be acted on as it stands: every reason at once, each with the field the Caf acts on."""

    def __init__(self, errors: list[UserError]) -> None:
        super().__init__(errors[0].code, errors[0].message, errors[0].field)
        self.errors = errors


class ActivationRefusedError(RefusedError):
    """The request may not be activated as it stands."""


@dataclass(frozen=True)
class Actor:
    caf_code: str
    agent_number: str


@dataclass(frozen=True)
class SignedConvention:
    signed_on: date
    place: str
    signatories: Sequence[str]
    deliberation_reference: str | None = None
    deliberation_date: date | None = None


def _requests_of(caf_code: str, status: str | None) -> Any:
    query = select(habilitation_requests).where(habilitation_requests.c.caf_code == caf_code)
    return query.where(habilitation_requests.c.status == status) if status else query


async def list_requests(
    session: AsyncSession, caf_code: str, status: str | None, *, offset: int, limit: int
) -> list[Any]:
    """The Caf's requests, oldest first (then by number, so that pages never overlap)."""
    ordered = _requests_of(caf_code, status).order_by(
        habilitation_requests.c.submitted_at, habilitation_requests.c.number
    )
    return list((await session.execute(ordered.offset(offset).limit(limit))).all())


async def find_request(session: AsyncSession, caf_code: str, number: str) -> Any | None:
    """The Caf's request of this number; None for a missing one or another Caf's."""
    query = _requests_of(caf_code, None).where(habilitation_requests.c.number == number)
    return (await session.execute(query)).first()


async def count_requests(session: AsyncSession, caf_code: str, status: str | None) -> int:
    counted = select(func.count()).select_from(_requests_of(caf_code, status).subquery())
    return int(await session.scalar(counted) or 0)


async def request_history(session: AsyncSession, request_ids: Sequence[str]) -> dict[str, list[Any]]:
    """Each request's moves (``status, at, agent_number, note``), oldest first."""
    query = select(request_events).where(request_events.c.request_id.in_(request_ids))
    found: dict[str, list[Any]] = {request_id: [] for request_id in request_ids}
    for row in await session.execute(query.order_by(request_events.c.at, request_events.c.id)):
        found[row.request_id].append(row)
    return found


async def get_request(session: AsyncSession, number: str, actor: Actor) -> Any:
    """The request, if it is the actor's Caf's; another Caf's request is « not found », like a missing one."""
    row = (await session.execute(select(habilitation_requests).where(habilitation_requests.c.number == number))).first()
    if row is None or row.caf_code != actor.caf_code:
        raise ProcessingError("NOT_FOUND", f"Demande {number} introuvable pour votre Caf.")
    return row


async def _move(
    session: AsyncSession, row: Any, status: HabilitationRequestStatus, actor: Actor, now: datetime, note: str | None
) -> None:
    if row.status not in ALLOWED[status]:
        raise ProcessingError(
            "INVALID_STATUS", f"La demande est « {row.status} » : impossible de passer à « {status} »."
        )
    # Compare and set: of two concurrent moves from the same status (two activations), one only goes through.
    moved = await session.execute(
        update(habilitation_requests)
        .where(habilitation_requests.c.id == row.id, habilitation_requests.c.status == row.status)
        .values(status=status)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise ProcessingError("INVALID_STATUS", "La demande vient de changer d'état : rechargez-la.")
    await session.execute(
        request_events.insert().values(
            id=str(uuid.uuid4()), request_id=row.id, status=status, at=now, agent_number=actor.agent_number, note=note
        )
    )


async def mark_convention_sent(session: AsyncSession, number: str, actor: Actor, now: datetime) -> None:
    await _move(
        session,
        await get_request(session, number, actor),
        HabilitationRequestStatus.CONVENTION_ENVOYEE,
        actor,
        now,
        "voie postale",
    )


async def record_signed_convention(
    session: AsyncSession, number: str, convention: SignedConvention, actor: Actor, now: datetime
) -> str:
    row = await get_request(session, number, actor)
    missing = [UserError("place", "REQUIRED", "Indiquez le lieu de signature.")] if not convention.place.strip() else []
    if not convention.signatories:
        missing.append(UserError("signatories", "REQUIRED", "Indiquez les signataires."))
    if missing:
        raise RefusedError(missing)
    await _move(
        session,
        row,
        HabilitationRequestStatus.CONVENTION_RECUE,
        actor,
        now,
        f"signée le {convention.signed_on:%d/%m/%Y}",
    )
    convention_id = str(uuid.uuid4())
    await session.execute(
        conventions.insert().values(
            id=convention_id, request_id=row.id, caf_code=row.caf_code, signed_on=convention.signed_on,
            place=convention.place, signatories=list(convention.signatories),
            deliberation_reference=convention.deliberation_reference, deliberation_date=convention.deliberation_date,
            status=ConventionStatus.EN_VIGUEUR, recorded_at=now,
        )
    )  # fmt: skip
    return convention_id


async def reject_request(session: AsyncSession, number: str, reason: str, actor: Actor, now: datetime) -> None:
    if not reason.strip():
        raise ProcessingError("REQUIRED", "Indiquez le motif du refus.", "reason")
    await _move(
        session, await get_request(session, number, actor), HabilitationRequestStatus.REJETEE, actor, now, reason[:1000]
    )


async def activate(
    session: AsyncSession,
    number: str,
    actor: Actor,
    confirmation: Confirmation,
    *,
    issuing: PasswordIssuing,
    now: datetime,
    signal: OutboxSignal | None,
) -> list[CreatedAccount]:
    row = await get_request(session, number, actor)
    await _move(session, row, HabilitationRequestStatus.ACTIVEE, actor, now, None)
    [review] = await review_requests(session, [row], lock=True)
    errors = activation_errors(review.establishments, review.registered, confirmation)
    if errors:
        raise ActivationRefusedError(errors)
    provider_id, commune_name, departement = await _provider(session, row, review.registered)
    await _attach(session, review, provider_id)
    await session.execute(update(conventions).where(conventions.c.request_id == row.id).values(provider_id=provider_id))
    created = []
    for person in row.persons:
        new = NewPerson(person["last_name"], person["first_name"], person["function"], person["email"])
        account = await create_provider_agent(
            session, new, provider_id=provider_id, commune_name=commune_name, departement=departement,
            issuing=issuing, now=now, signal=signal,
        )  # fmt: skip
        await _grant(session, account.id, row)
        created.append(account)
    return created


async def _provider(session: AsyncSession, row: Any, registered: HolderRecord | None) -> tuple[str, str, str]:
    """The provider named by the request: the register's with its SIRET (confirmed by the Caf), or a new one."""
    snapshot = row.provider
    siret = snapshot["siret"].replace(" ", "")
    [commune] = await catalogue.get_communes(session, [snapshot["commune_insee"]])
    if registered is not None:
        return registered.provider_id, commune.name, commune.departement
    provider_id = await writes.add_provider(
        session, name=snapshot["name"], kind=snapshot["kind"], siret=siret, street=snapshot["street"],
        postal_code=snapshot["postal_code"], commune_insee=commune.insee, email=snapshot["email"],
        phone=snapshot.get("phone"), representative_name=snapshot["representative_name"],
        representative_title=snapshot.get("representative_title"), caf_code=row.caf_code,
    )  # fmt: skip
    return provider_id, commune.name, commune.departement


async def _attach(session: AsyncSession, review: RequestReview, provider_id: str) -> None:
    for item in review.establishments:
        if item.standing is Standing.TO_CONFIRM and item.holder is not None:
            attached = await holders.attach_establishment(
                session, item.id, from_id=item.holder.provider_id, to_id=provider_id
            )
            if not attached:
                message = f"Le gestionnaire de « {item.name} » a changé pendant l'activation : relisez la demande."
                raise ProcessingError("REGISTER_CHANGED", message)


async def _grant(session: AsyncSession, account_id: str, row: Any) -> None:
    rights = [(e, Right.OPERATING_INFO) for e in row.operating_info_establishments]
    rights += [(e, Right.AVAILABILITY) for e in row.availability_establishments]
    await grant_rights(session, account_id, rights)
