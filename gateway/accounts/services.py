"""Account use cases. One transaction each; the caller commits. Passwords leave only sealed, in events."""

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.passwords import generate_password
from gateway.accounts.tables import accounts
from gateway.catalogue import repositories as catalogue
from gateway.tables import outbox
from shared.errors import PermanentError
from shared.events import PasswordIssued, new_event
from shared.outbox import OutboxSignal, add_event
from shared.sealing import seal

SOURCE = "/structures/gateway"


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
) -> CreatedAccount:
    """The first Caf agent of a Caf: receives a generated password by e-mail, like everyone else."""
    if not await catalogue.get_cafs(session, [caf_code]):
        raise PermanentError(f"unknown Caf {caf_code!r}")
    identifier = await _free_identifier(session, person, caf_code.lower())
    number = await _next_agent_number(session, caf_code)
    return await _create(
        session, person, identifier, number, kind="CAF_AGENT", caf_code=caf_code, issuing=issuing, now=now,
        signal=signal, reason="BOOTSTRAP",
    )  # fmt: skip


async def _create(
    session: AsyncSession,
    person: NewPerson,
    identifier: str,
    agent_number: str,
    *,
    kind: str,
    caf_code: str | None,
    issuing: PasswordIssuing,
    now: datetime,
    signal: OutboxSignal | None,
    reason: Literal["ACTIVATION", "RESET", "BOOTSTRAP"],
) -> CreatedAccount:
    account_id = str(uuid.uuid4())
    password = generate_password()
    expires_at = now + issuing.lifetime
    await session.execute(
        accounts.insert().values(
            id=account_id, identifier=identifier, agent_number=agent_number, kind=kind, caf_code=caf_code,
            last_name=person.last_name, first_name=person.first_name, function=person.function, email=person.email,
            status="MDP_PROVISOIRE", password_hash=await issuing.hashing.hash(password), password_temporary=True,
            password_expires_at=expires_at, created_at=now,
        )
    )  # fmt: skip
    issued = PasswordIssued(
        account_id=uuid.UUID(account_id),
        identifier=identifier,
        agent_number=agent_number,
        display_name=f"{person.first_name} {person.last_name}",
        email=person.email,
        reason=reason,
        sealed_password=seal(password, issuing.notifier_public_key),
        expires_at=expires_at,
    )
    del password
    await add_event(session, outbox, new_event(issued, source=SOURCE), signal)
    return CreatedAccount(account_id, identifier, agent_number)


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
