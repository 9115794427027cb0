"""Account use cases. One transaction each; the caller commits. Passwords leave only sealed, in events."""

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.passwords import generate_password
from gateway.accounts.revocations import revoke_account_sessions
from gateway.accounts.states import AccountStatus, AgentKind, RevocationReason
from gateway.accounts.tables import account_rights, accounts
from gateway.catalogue import repositories as catalogue
from gateway.catalogue.lookups import get_provider_caf
from gateway.tables import outbox
from shared.errors import PermanentError
from shared.events import AgentDeactivated, PasswordIssued, new_event
from shared.outbox import OutboxSignal, add_event
from shared.sealing import seal

SOURCE = "/structures/gateway"
Reason = Literal["ACTIVATION", "RESET", "BOOTSTRAP"]
UNUSABLE_HASH = "!"


@dataclass(frozen=True)
class NewPerson:
    last_name: str
    first_name: str
    function: str
    email: str


@dataclass(frozen=True)
class CreatedAccount:
    id: str
    identifier: str
    agent_number: str


@dataclass(frozen=True)
class PasswordIssuing:
    """What issuing a generated password needs: the hasher, the notifier's key, the password's lifetime."""

    hashing: PasswordHashing
    notifier_public_key: str
    lifetime: timedelta = timedelta(hours=72)


async def bootstrap_caf_agent(
    session: AsyncSession,
    person: NewPerson,
    *,
    caf_code: str,
    issuing: PasswordIssuing,
    now: datetime,
    signal: OutboxSignal | None = None,
    administrator: bool = True,
) -> CreatedAccount:
    """A Caf agent: receives a generated password by e-mail, like everyone else. The ``structures
    bootstrap-caf-agent`` command makes administrators (a Caf's first agent must be able to manage the others);
    an administrator's ``createCafAgent`` makes ordinary agents."""
    if not await catalogue.get_cafs(session, [caf_code]):
        raise PermanentError(f"unknown Caf {caf_code!r}")
    identifier = await _free_identifier(session, person, caf_code.lower())
    number = await _next_agent_number(session, caf_code)
    values = {"kind": AgentKind.CAF_AGENT, "caf_code": caf_code, "caf_administrator": administrator}
    reason: Reason = "BOOTSTRAP" if administrator else "ACTIVATION"
    return await _create(session, person, identifier, number, values, issuing, now, signal, reason)


async def create_provider_agent(
    session: AsyncSession,
    person: NewPerson,
    *,
    provider_id: str,
    commune_name: str,
    departement: str,
    issuing: PasswordIssuing,
    now: datetime,
    signal: OutboxSignal | None = None,
) -> CreatedAccount:
    """A « personne habilitée » of a provider (``m.dupont.escautpont``, agent ``59-ESC-0001``)."""
    place = _slug(commune_name) or "structure"
    identifier = await _free_identifier(session, person, place)
    number = await _next_agent_number(session, f"{departement}-{place[:3].upper()}")
    values = {"kind": AgentKind.PROVIDER_AGENT, "provider_id": provider_id}
    return await _create(session, person, identifier, number, values, issuing, now, signal, "ACTIVATION")


async def reset_password(
    session: AsyncSession, identifier: str, *, issuing: PasswordIssuing, now: datetime, signal: OutboxSignal | None
) -> str | None:
    """A new generated password for an active account, pending beside the current one: the account's id, or None
    if there is no such account.

    The current password and the sessions stay: a request the owner did not make locks nobody out. The first login
    with the new password makes it the password. Unknown identifiers get a password generated, digested and sealed
    too, and the same statement (which then changes nothing), so the request does the same work either way.
    """
    password = generate_password()
    digest = issuing.hashing.digest_generated(password)
    sealed = seal(password, issuing.notifier_public_key)
    del password
    expires_at = now + issuing.lifetime
    account = (
        await session.execute(
            update(accounts)
            .where(accounts.c.identifier == identifier, accounts.c.status != AccountStatus.DESACTIVE)
            .values(pending_password_digest=digest, pending_password_expires_at=expires_at)
            .returning(*accounts.c)
        )
    ).first()
    if account is None:
        return None
    await _stage_password_email(session, account, sealed, expires_at, signal, "RESET")
    return str(account.id)


async def deactivate_agent(
    session: AsyncSession, account_id: str, *, reason: str, by_agent: str, now: datetime, signal: OutboxSignal | None
) -> None:
    """End of mission: the account is closed, its sessions end at once, the person is told."""
    await session.execute(
        update(accounts).where(accounts.c.id == account_id).values(
            status=AccountStatus.DESACTIVE, deactivated_at=now, deactivation_reason=reason
        )
    )  # fmt: skip
    await revoke_account_sessions(session, account_id, now, RevocationReason.DEACTIVATED)
    account = (await session.execute(select(accounts).where(accounts.c.id == account_id))).one()
    event = AgentDeactivated(
        account_id=uuid.UUID(account.id), agent_number=account.agent_number, email=account.email,
        display_name=f"{account.first_name} {account.last_name}", reason=reason, deactivated_by=by_agent,
        deactivated_at=now, caf_code=await _caf_of(session, account),
    )  # fmt: skip
    await add_event(session, outbox, new_event(event, source=SOURCE), signal)


async def grant_rights(session: AsyncSession, account_id: str, rights: Iterable[tuple[str, str]]) -> None:
    """Give a provider agent ``(establishment id, right)`` pairs (OPERATING_INFO, AVAILABILITY); repeats count once."""
    rows = [{"account_id": account_id, "establishment_id": e, "right": r} for e, r in dict.fromkeys(rights)]
    if rows:
        await session.execute(account_rights.insert(), rows)


async def _caf_of(session: AsyncSession, account: Any) -> str | None:
    """A Caf agent's Caf, or the Caf of a provider agent's provider."""
    if account.caf_code:
        return str(account.caf_code)
    return await get_provider_caf(session, account.provider_id)


async def _create(
    session: AsyncSession,
    person: NewPerson,
    identifier: str,
    agent_number: str,
    values: dict[str, Any],
    issuing: PasswordIssuing,
    now: datetime,
    signal: OutboxSignal | None,
    reason: Reason,
) -> CreatedAccount:
    account_id = str(uuid.uuid4())
    await session.execute(
        accounts.insert().values(
            id=account_id, identifier=identifier, agent_number=agent_number, last_name=person.last_name,
            first_name=person.first_name, function=person.function, email=person.email,
            status=AccountStatus.MDP_PROVISOIRE, password_hash=UNUSABLE_HASH, password_temporary=True, created_at=now,
            **values,
        )
    )  # fmt: skip
    account = (await session.execute(select(accounts).where(accounts.c.id == account_id))).one()
    await _issue_password(session, account, issuing, now, signal, reason)
    return CreatedAccount(account_id, identifier, agent_number)


async def _issue_password(
    session: AsyncSession,
    account: Any,
    issuing: PasswordIssuing,
    now: datetime,
    signal: OutboxSignal | None,
    reason: Reason,
) -> None:
    """Hash a new generated password for ``account`` and stage its sealed e-mail; the clear text goes nowhere else."""
    password = generate_password()
    expires_at = now + issuing.lifetime
    deactivated = account.status == AccountStatus.DESACTIVE
    await session.execute(
        update(accounts).where(accounts.c.id == account.id).values(
            password_hash=await issuing.hashing.hash(password), password_temporary=True,
            password_expires_at=expires_at,
            status=AccountStatus.DESACTIVE if deactivated else AccountStatus.MDP_PROVISOIRE,
        )
    )  # fmt: skip
    sealed = seal(password, issuing.notifier_public_key)
    del password
    await _stage_password_email(session, account, sealed, expires_at, signal, reason)


async def _stage_password_email(
    session: AsyncSession,
    account: Any,
    sealed_password: str,
    expires_at: datetime,
    signal: OutboxSignal | None,
    reason: Reason,
) -> None:
    issued = PasswordIssued(
        account_id=uuid.UUID(account.id),
        identifier=account.identifier,
        agent_number=account.agent_number,
        display_name=f"{account.first_name} {account.last_name}",
        email=account.email,
        reason=reason,
        sealed_password=sealed_password,
        expires_at=expires_at,
        caf_code=await _caf_of(session, account),
    )
    await add_event(session, outbox, new_event(issued, source=SOURCE), signal)


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "", plain)


async def _free_identifier(session: AsyncSession, person: NewPerson, suffix: str) -> str:
    base = f"{_slug(person.first_name)[:1]}.{_slug(person.last_name)}.{suffix}"
    candidate, index = base, 1
    while await session.scalar(select(accounts.c.id).where(accounts.c.identifier == candidate)):
        index += 1
        candidate = f"{base}{index}"
    return candidate


async def _next_agent_number(session: AsyncSession, prefix: str) -> str:
    existing = await session.scalar(
        select(func.count()).select_from(accounts).where(accounts.c.agent_number.startswith(f"{prefix}-"))
    )
    return f"{prefix}-{int(existing or 0) + 1:04d}"
