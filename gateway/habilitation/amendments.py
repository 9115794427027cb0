"""Amendments (« avenants »): after activation, agents and rights change only through the Caf, each change dated.

An amendment can add persons (each gets an account and a generated password), remove agents (their accounts are
deactivated), and grant or withdraw rights per establishment (availabilities only on crèches of the Caf). Rights are
granted only on establishments the convention's provider runs: another's needs its own habilitation request.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.services import (
    CreatedAccount,
    NewPerson,
    PasswordIssuing,
    create_provider_agent,
    deactivate_agent,
)
from gateway.accounts.tables import account_rights, accounts
from gateway.catalogue import holders
from gateway.catalogue import repositories as catalogue
from gateway.catalogue.tables import establishments
from gateway.habilitation.processing import Actor, ProcessingError, get_request
from gateway.habilitation.tables import amendments, conventions
from shared.outbox import OutboxSignal

RIGHTS = ("OPERATING_INFO", "AVAILABILITY")


@dataclass(frozen=True)
class RightChange:
    agent_number: str
    establishment_id: str
    right: str


@dataclass(frozen=True)
class Amendment:
    signed_on: date
    subject: str
    add_persons: Sequence[NewPerson] = ()
    remove_agents: Sequence[str] = ()
    grants: Sequence[RightChange] = field(default_factory=tuple)
    revokes: Sequence[RightChange] = field(default_factory=tuple)


async def record_amendment(
    session: AsyncSession,
    request_number: str,
    amendment: Amendment,
    actor: Actor,
    *,
    issuing: PasswordIssuing,
    now: datetime,
    signal: OutboxSignal | None,
) -> list[CreatedAccount]:
    request = await get_request(session, request_number, actor)
    convention = (await session.execute(select(conventions).where(conventions.c.request_id == request.id))).first()
    if request.status != "ACTIVEE" or convention is None or convention.status == "RESILIEE":
        raise ProcessingError("INVALID_STATUS", "Un avenant suppose une habilitation active.")
    if not amendment.subject.strip():
        raise ProcessingError("REQUIRED", "Indiquez l'objet de l'avenant.")
    agents = await _agents(session, convention.provider_id)
    await _check_rights(session, [*amendment.grants, *amendment.revokes], agents, request.caf_code)
    await _check_ownership(session, amendment.grants, convention.provider_id)
    created = await _add_persons(session, amendment, convention.provider_id, request, issuing, now, signal)
    for number in amendment.remove_agents:
        if number not in agents:
            raise ProcessingError("UNKNOWN_AGENT", f"L'agent {number} n'est pas habilité pour ce fournisseur.")
        reason = f"Avenant du {amendment.signed_on:%d/%m/%Y} : {amendment.subject}"
        await deactivate_agent(
            session, agents[number], reason=reason, by_agent=actor.agent_number, now=now, signal=signal
        )
    for change in amendment.revokes:
        await session.execute(delete(account_rights).where(
            account_rights.c.account_id == agents[change.agent_number],
            account_rights.c.establishment_id == change.establishment_id, account_rights.c.right == change.right,
        ))  # fmt: skip
    for change in amendment.grants:
        await _grant(session, agents[change.agent_number], change)
    await session.execute(amendments.insert().values(
        id=str(uuid.uuid4()), convention_id=convention.id, signed_on=amendment.signed_on,
        subject=amendment.subject[:500], recorded_at=now,
    ))  # fmt: skip
    return created


async def _agents(session: AsyncSession, provider_id: str) -> dict[str, str]:
    rows = await session.execute(
        select(accounts.c.agent_number, accounts.c.id).where(
            accounts.c.provider_id == provider_id, accounts.c.status != "DESACTIVE"
        )
    )
    return {str(number): str(account_id) for number, account_id in rows}


async def _check_rights(
    session: AsyncSession, changes: Sequence[RightChange], agents: dict[str, str], caf: str
) -> None:
    ids = sorted({c.establishment_id for c in changes})
    rows = await session.execute(
        select(establishments.c.id, establishments.c.category, establishments.c.departement).where(
            establishments.c.id.in_(ids)
        )
    )
    found = {r.id: (r.category, r.departement) for r in rows}
    territory = (await catalogue.get_caf_departements(session, [caf])).get(caf, [])
    for change in changes:
        if change.agent_number not in agents:
            raise ProcessingError(
                "UNKNOWN_AGENT", f"L'agent {change.agent_number} n'est pas habilité pour ce fournisseur."
            )
        if change.right not in RIGHTS:
            raise ProcessingError("UNKNOWN_RIGHT", f"Droit inconnu : {change.right}.")
        category, departement = found.get(change.establishment_id, (None, None))
        if category is None or departement not in territory:
            raise ProcessingError("UNKNOWN_ESTABLISHMENT", "Établissement inconnu ou hors du territoire de la Caf.")
        if change.right == "AVAILABILITY" and category != "EAJE":
            raise ProcessingError("NOT_EAJE", "Les disponibilités ne concernent que les crèches (EAJE).")


async def _check_ownership(session: AsyncSession, grants: Sequence[RightChange], provider_id: str) -> None:
    held = await holders.get_held_establishments(session, [change.establishment_id for change in grants])
    for change in grants:
        found = held[change.establishment_id]
        if found.holder.provider_id != provider_id:
            message = f"L'établissement « {found.name} » n'est pas géré par ce fournisseur : l'avenant n'y donne "
            message += "aucun droit."
            raise ProcessingError("ESTABLISHMENT_OF_ANOTHER_PROVIDER", message)


async def _add_persons(
    session: AsyncSession,
    amendment: Amendment,
    provider_id: str,
    request: object,
    issuing: PasswordIssuing,
    now: datetime,
    signal: OutboxSignal | None,
) -> list[CreatedAccount]:
    if not amendment.add_persons:
        return []
    commune_insee = request.provider["commune_insee"]  # type: ignore[attr-defined]
    [commune] = await catalogue.get_communes(session, [commune_insee])
    return [
        await create_provider_agent(
            session,
            person,
            provider_id=provider_id,
            commune_name=commune.name,
            departement=commune.departement,
            issuing=issuing,
            now=now,
            signal=signal,
        )
        for person in amendment.add_persons
    ]


async def _grant(session: AsyncSession, account_id: str, change: RightChange) -> None:
    exists = await session.scalar(
        select(account_rights.c.account_id).where(
            account_rights.c.account_id == account_id,
            account_rights.c.establishment_id == change.establishment_id,
            account_rights.c.right == change.right,
        )
    )
    if exists is None:
        await session.execute(
            account_rights.insert().values(
                account_id=account_id, establishment_id=change.establishment_id, right=change.right
            )
        )
