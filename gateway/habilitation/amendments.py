"""Amendments (« avenants »): after activation, agents and rights change only through the Caf, each change dated.

An amendment can add persons (each gets an account and a generated password, and the rights the amendment gives
them), remove agents (their accounts are deactivated), and grant or withdraw rights per establishment
(availabilities only on crèches of the Caf). Rights are granted only on establishments the convention's provider
runs: another's needs its own habilitation request. Each amendment keeps, in French, what it changed.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.rights import add_right, revoke_right
from gateway.accounts.scope import active_agents_of, agent_names
from gateway.accounts.services import (
    CreatedAccount,
    NewPerson,
    PasswordIssuing,
    create_provider_agent,
    deactivate_agent,
)
from gateway.accounts.states import RIGHT_LABELS, Right
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
class PersonRight:
    """A right given to a person the same amendment adds, named by the e-mail of her ``add_persons`` entry."""

    email: str
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
    person_rights: Sequence[PersonRight] = field(default_factory=tuple)


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
    found = _form_errors(amendment, agents) + await _right_errors(session, amendment, request.caf_code)
    found += await _ownership_errors(session, amendment, convention.provider_id)
    reported = {error.field for error in unreadable}
    errors = [*unreadable, *(error for error in found if error.field not in reported)]
    if errors:
        raise AmendmentRefusedError(errors)
    changes = await _described(session, amendment)
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
    new_accounts = {
        person.email.strip().lower(): account for person, account in zip(amendment.add_persons, created, strict=True)
    }
    for given in amendment.person_rights:
        await add_right(session, new_accounts[given.email.strip().lower()].id, given.establishment_id, given.right)
    await session.execute(amendments.insert().values(
        id=str(uuid.uuid4()), convention_id=convention.id, signed_on=amendment.signed_on,
        subject=amendment.subject[:500], recorded_at=now, changes=changes,
    ))  # fmt: skip
    return created


def _changes(amendment: Amendment) -> list[tuple[str, RightChange]]:
    """Each right change with its input path (``grant[0]``, ``revoke[1]``)."""
    grants = [(f"grant[{index}]", change) for index, change in enumerate(amendment.grants)]
    return grants + [(f"revoke[{index}]", change) for index, change in enumerate(amendment.revokes)]


def _given(amendment: Amendment) -> list[tuple[str, str, str]]:
    """Each right the amendment gives or withdraws, as (input path, establishment, right)."""
    rights = [(path, change.establishment_id, change.right) for path, change in _changes(amendment)]
    given = enumerate(amendment.person_rights)
    return rights + [(f"addPersonRights[{index}]", right.establishment_id, right.right) for index, right in given]


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
    added = {person.email.strip().lower() for person in amendment.add_persons}
    for index, right in enumerate(amendment.person_rights):
        if right.email.strip().lower() not in added:
            message = f"L'avenant n'ajoute aucune personne d'adresse {right.email}."
            errors.append(UserError(f"addPersonRights[{index}].email", "UNKNOWN_PERSON", message))
    for path, _, right_code in _given(amendment):
        if right_code not in RIGHTS:
            errors.append(UserError(f"{path}.right", "UNKNOWN_RIGHT", f"Droit inconnu : {right_code}."))
    return errors


def _unknown_agent(number: str) -> str:
    return f"L'agent {number} n'est pas habilité pour ce fournisseur."


async def _right_errors(session: AsyncSession, amendment: Amendment, caf: str) -> list[UserError]:
    given = _given(amendment)
    ids = sorted({establishment_id for _, establishment_id, _ in given})
    found = {place.id: (place.category, place.departement) for place in (await get_places(session, ids)).values()}
    territory = (await catalogue.get_caf_departements(session, [caf])).get(caf, [])
    errors = []
    for path, establishment_id, right in given:
        category, departement = found.get(establishment_id, (None, None))
        if category is None or departement not in territory:
            message = "Établissement inconnu ou hors du territoire de la Caf."
            errors.append(UserError(f"{path}.establishmentId", "UNKNOWN_ESTABLISHMENT", message))
        elif right == Right.AVAILABILITY and category != "EAJE":
            message = "Les disponibilités ne concernent que les crèches (EAJE)."
            errors.append(UserError(f"{path}.establishmentId", "NOT_EAJE", message))
    return errors


async def _ownership_errors(session: AsyncSession, amendment: Amendment, provider_id: str) -> list[UserError]:
    """Rights given (to an agent or a new person) only on establishments the provider runs."""
    giving = [(f"grant[{index}]", change.establishment_id) for index, change in enumerate(amendment.grants)]
    giving += [(f"addPersonRights[{i}]", right.establishment_id) for i, right in enumerate(amendment.person_rights)]
    held = await holders.get_held_establishments(session, [establishment_id for _, establishment_id in giving])
    errors = []
    for path, establishment_id in giving:
        found = held.get(establishment_id)
        if found is not None and found.holder.provider_id != provider_id:
            message = f"L'établissement « {found.name} » n'est pas géré par ce fournisseur : l'avenant n'y donne "
            message += "aucun droit."
            errors.append(UserError(f"{path}.establishmentId", "ESTABLISHMENT_OF_ANOTHER_PROVIDER", message))
    return errors


async def _described(session: AsyncSession, amendment: Amendment) -> list[str]:
    """What the amendment changes, in French, as the Caf reads it back (« Retrait de Karine Lefebvre (59-ESC-0001) »).

    Read before the changes are made: the agents removed are still named, the establishments still known."""
    numbers = [*amendment.remove_agents, *(change.agent_number for _, change in _changes(amendment))]
    names = {number: f"{name} ({number})" for number, name in (await agent_names(session, numbers)).items()}
    places = await get_places(session, sorted({establishment_id for _, establishment_id, _ in _given(amendment)}))

    def right(code: str, establishment_id: str) -> str:
        return f"« {RIGHT_LABELS[Right(code)]} » sur « {places[establishment_id].name} »"

    described = []
    for person in amendment.add_persons:
        given = [r for r in amendment.person_rights if r.email.strip().lower() == person.email.strip().lower()]
        rights = " ; ".join(right(r.right, r.establishment_id) for r in given) or "aucun droit"
        described.append(f"Ajout de {person.first_name} {person.last_name} ({person.email}) : {rights}")
    described += [f"Retrait de {names[number]}" for number in amendment.remove_agents]
    described += [
        f"Droit {right(c.right, c.establishment_id)} accordé à {names[c.agent_number]}" for c in amendment.grants
    ]
    described += [
        f"Droit {right(c.right, c.establishment_id)} retiré à {names[c.agent_number]}" for c in amendment.revokes
    ]
    return described


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
