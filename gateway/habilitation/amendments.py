"""Amendments (« avenants »): after activation, agents and rights change only through the Caf, each change dated.

An amendment can add persons (each gets an account and a generated password), remove agents (their accounts are
deactivated), and grant or withdraw rights per establishment (availabilities only on crèches of the Caf). Rights are
granted only on establishments the convention's provider runs: another's needs its own habilitation request.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.rights import add_right, revoke_right
from gateway.accounts.scope import active_agents_of
from gateway.accounts.services import (
    CreatedAccount,
    NewPerson,
    PasswordIssuing,
    create_provider_agent,
    deactivate_agent,
)
from gateway.accounts.states import Right
from gateway.catalogue import holders
from gateway.catalogue import repositories as catalogue
from gateway.catalogue.lookups import get_places
from gateway.habilitation.processing import Actor, ProcessingError, RefusedError, get_request
from gateway.habilitation.states import ConventionStatus, HabilitationRequestStatus
from gateway.habilitation.tables import amendments, conventions
from gateway.user_errors import UserError
from shared.outbox import OutboxSignal

RIGHTS = (Right.OPERATING_INFO, Right.AVAILABILITY)


class AmendmentRefusedError(RefusedError):
    """The amendment may not be recorded as it stands."""


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
    unreadable: Sequence[UserError] = (),
) -> list[CreatedAccount]:
    """Record the amendment, or raise every reason it may not be, at once.

    ``unreadable`` are the errors found before (an ID that is no establishment's): reported with the others.
    """
    request = await get_request(session, request_number, actor)
    convention = (await session.execute(select(conventions).where(conventions.c.request_id == request.id))).first()
    if (
        request.status != HabilitationRequestStatus.ACTIVEE
        or convention is None
        or convention.status == ConventionStatus.RESILIEE
    ):
        raise ProcessingError("INVALID_STATUS", "Un avenant suppose une habilitation active.")
    agents = await active_agents_of(session, convention.provider_id)
    found = _form_errors(amendment, agents) + await _right_errors(session, amendment, agents, request.caf_code)
    found += await _ownership_errors(session, amendment.grants, convention.provider_id)
    reported = {error.field for error in unreadable}
    errors = [*unreadable, *(error for error in found if error.field not in reported)]
    if errors:
        raise AmendmentRefusedError(errors)
    created = await _add_persons(session, amendment, convention.provider_id, request, issuing, now, signal)
    for number in amendment.remove_agents:
        reason = f"Avenant du {amendment.signed_on:%d/%m/%Y} : {amendment.subject}"
        await deactivate_agent(
            session, agents[number], reason=reason, by_agent=actor.agent_number, now=now, signal=signal
        )
    for change in amendment.revokes:
        await revoke_right(session, agents[change.agent_number], change.establishment_id, change.right)
    for change in amendment.grants:
        await add_right(session, agents[change.agent_number], change.establishment_id, change.right)
    await session.execute(amendments.insert().values(
        id=str(uuid.uuid4()), convention_id=convention.id, signed_on=amendment.signed_on,
        subject=amendment.subject[:500], recorded_at=now,
    ))  # fmt: skip
    return created


def _changes(amendment: Amendment) -> list[tuple[str, RightChange]]:
    """Each right change with its input path (``grant[0]``, ``revoke[1]``)."""
    grants = [(f"grant[{index}]", change) for index, change in enumerate(amendment.grants)]
    return grants + [(f"revoke[{index}]", change) for index, change in enumerate(amendment.revokes)]


def _form_errors(amendment: Amendment, agents: dict[str, str]) -> list[UserError]:
    errors = []
    if not amendment.subject.strip():
        errors.append(UserError("subject", "REQUIRED", "Indiquez l'objet de l'avenant."))
    for index, number in enumerate(amendment.remove_agents):
        if number not in agents:
            errors.append(UserError(f"removeAgents[{index}]", "UNKNOWN_AGENT", _unknown_agent(number)))
    for path, change in _changes(amendment):
        if change.agent_number not in agents:
            errors.append(UserError(f"{path}.agentNumber", "UNKNOWN_AGENT", _unknown_agent(change.agent_number)))
        if change.right not in RIGHTS:
            errors.append(UserError(f"{path}.right", "UNKNOWN_RIGHT", f"Droit inconnu : {change.right}."))
    return errors


def _unknown_agent(number: str) -> str:
    return f"L'agent {number} n'est pas habilité pour ce fournisseur."


async def _right_errors(
    session: AsyncSession, amendment: Amendment, agents: dict[str, str], caf: str
) -> list[UserError]:
    changes = _changes(amendment)
    ids = sorted({change.establishment_id for _, change in changes})
    found = {place.id: (place.category, place.departement) for place in (await get_places(session, ids)).values()}
    territory = (await catalogue.get_caf_departements(session, [caf])).get(caf, [])
    errors = []
    for path, change in changes:
        category, departement = found.get(change.establishment_id, (None, None))
        if category is None or departement not in territory:
            message = "Établissement inconnu ou hors du territoire de la Caf."
            errors.append(UserError(f"{path}.establishmentId", "UNKNOWN_ESTABLISHMENT", message))
        elif change.right == Right.AVAILABILITY and category != "EAJE":
            message = "Les disponibilités ne concernent que les crèches (EAJE)."
            errors.append(UserError(f"{path}.establishmentId", "NOT_EAJE", message))
    return errors


async def _ownership_errors(session: AsyncSession, grants: Sequence[RightChange], provider_id: str) -> list[UserError]:
    held = await holders.get_held_establishments(session, [change.establishment_id for change in grants])
    errors = []
    for index, change in enumerate(grants):
        found = held.get(change.establishment_id)
        if found is not None and found.holder.provider_id != provider_id:
            message = f"L'établissement « {found.name} » n'est pas géré par ce fournisseur : l'avenant n'y donne "
            message += "aucun droit."
            errors.append(UserError(f"grant[{index}].establishmentId", "ESTABLISHMENT_OF_ANOTHER_PROVIDER", message))
    return errors


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
