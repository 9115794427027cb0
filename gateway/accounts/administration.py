"""What a Caf administrator does to the Caf's own agents. One transaction each; the caller commits.

The role: ``structures bootstrap-caf-agent`` makes administrators; an administrator grants or withdraws the role to
the other agents of its own Caf, creates Caf agents, and deactivates them — never itself, and never the last active
administrator of the Caf, so that every Caf keeps someone who can act. Everything else a Caf agent does, an
administrator does too. The role is read from the database at each use (the token only carries it for display):
a withdrawal takes effect at once.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts import services
from gateway.accounts.states import AccountStatus, AgentKind
from gateway.accounts.tables import accounts
from gateway.catalogue.lookups import lock_caf
from shared.errors import PermanentError
from shared.outbox import OutboxSignal


@dataclass(frozen=True)
class Administrator:
    account_id: str
    agent_number: str
    caf_code: str


class AdministrationError(PermanentError):
    """A refusal the administrator sees, in French, with a stable code and the field in cause."""

    def __init__(self, code: str, message: str, field: str = "agentNumber") -> None:
        super().__init__(message)
        self.code, self.field = code, field


NOT_FOUND = "Agent de la Caf introuvable pour votre Caf."
LAST_ADMINISTRATOR = (
    "Votre Caf doit garder au moins un administrateur actif : attribuez d'abord ce rôle à un autre agent."
)


_EMAIL = re.compile(r"[^@\s,;<>]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_LIMITS = (("lastName", "Le nom", 100), ("firstName", "Le prénom", 100), ("function", "La fonction", 200))


def check_new_person(person: services.NewPerson) -> None:
    """The new agent's names, function and one plain e-mail address (its generated password goes there)."""
    values = (person.last_name, person.first_name, person.function)
    for (field, label, limit), value in zip(_LIMITS, values, strict=True):
        if not value.strip() or len(value) > limit:
            raise AdministrationError("REQUIRED", f"{label} est obligatoire ({limit} caractères au plus).", field)
    if len(person.email) > 254 or not _EMAIL.fullmatch(person.email):
        raise AdministrationError("INVALID_EMAIL", "L'adresse électronique n'est pas valide.", "email")


async def is_administrator(session: AsyncSession, account_id: str) -> bool:
    found = await session.scalar(
        select(accounts.c.id).where(
            accounts.c.id == account_id,
            accounts.c.caf_administrator.is_(True),
            accounts.c.status != AccountStatus.DESACTIVE,
        )
    )
    return found is not None


async def deactivate_caf_agent(
    session: AsyncSession, by: Administrator, agent_number: str, reason: str, now: datetime, signal: OutboxSignal | None
) -> None:
    """Close a Caf agent's account: its sessions end everywhere (the gateway's, moderation's, the notifier's)."""
    if not reason.strip():
        raise AdministrationError("REQUIRED", "Indiquez le motif de la désactivation.", "reason")
    target = await _caf_agent(session, by, agent_number)
    if target.id == by.account_id:
        raise AdministrationError("SELF", "Vous ne pouvez pas désactiver votre propre compte.")
    if target.caf_administrator:
        await _keep_one_administrator(session, by.caf_code, target.id)
    await services.deactivate_agent(
        session, target.id, reason=reason.strip(), by_agent=by.agent_number, now=now, signal=signal
    )


async def set_administrator(session: AsyncSession, by: Administrator, agent_number: str, administrator: bool) -> None:
    """Grant or withdraw the administrator role to an active agent of the administrator's Caf."""
    target = await _caf_agent(session, by, agent_number)
    if not administrator and target.caf_administrator:
        await _keep_one_administrator(session, by.caf_code, target.id)
    await session.execute(update(accounts).where(accounts.c.id == target.id).values(caf_administrator=administrator))


async def _caf_agent(session: AsyncSession, by: Administrator, agent_number: str) -> Any:
    """The active agent of ``by``'s Caf with this number; another Caf's agent is answered as not found."""
    # A no-op write on the Caf's row, first in the transaction, serialises its administrators' changes on both
    # databases (a row lock on PostgreSQL, the write lock on SQLite): two administrators removing each other at the
    # same moment must not leave the Caf with none, and the caller's own role is read after it.
    await lock_caf(session, by.caf_code)
    if not await is_administrator(session, by.account_id):
        raise AdministrationError("FORBIDDEN", "Réservé aux administrateurs de la Caf.")
    target = (
        await session.execute(
            select(accounts).where(
                accounts.c.agent_number == agent_number, accounts.c.kind == AgentKind.CAF_AGENT,
                accounts.c.caf_code == by.caf_code, accounts.c.status != AccountStatus.DESACTIVE,
            )
        )
    ).first()  # fmt: skip
    if target is None:
        raise AdministrationError("NOT_FOUND", NOT_FOUND)
    return target


async def _keep_one_administrator(session: AsyncSession, caf_code: str, leaving: str) -> None:
    others = await session.scalar(
        select(func.count()).where(
            accounts.c.caf_code == caf_code, accounts.c.caf_administrator.is_(True),
            accounts.c.status != AccountStatus.DESACTIVE, accounts.c.id != leaving,
        )
    )  # fmt: skip
    if not others:
        raise AdministrationError("LAST_ADMINISTRATOR", LAST_ADMINISTRATOR)
