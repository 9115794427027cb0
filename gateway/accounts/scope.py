"""What a signed-in person may act on: their profile and rights, and the agents a Caf checks (convention art. 3-2).

A right counts only while the agent's provider runs the establishment, as ``permissions.require_right`` decides.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.states import AccountStatus
from gateway.accounts.tables import account_rights, accounts
from gateway.catalogue.tables import establishments, providers


@dataclass(frozen=True)
class HeldRight:
    establishment_id: str
    establishment_name: str
    right: str


async def profile(session: AsyncSession, account_id: str) -> Any:
    """The account's row: identifier, names, agent number, kind, function, e-mail, status, provider, Caf."""
    return (await session.execute(select(accounts).where(accounts.c.id == account_id))).first()


async def rights_of(session: AsyncSession, account_ids: Sequence[str]) -> dict[str, list[HeldRight]]:
    """Each account's rights that count today, by establishment name then right."""
    query = (
        select(account_rights.c.account_id, establishments.c.id, establishments.c.name, account_rights.c.right)
        .join(accounts, accounts.c.id == account_rights.c.account_id)
        .join(establishments, establishments.c.id == account_rights.c.establishment_id)
        .where(account_rights.c.account_id.in_(account_ids), establishments.c.provider_id == accounts.c.provider_id)
        .order_by(establishments.c.name, establishments.c.id, account_rights.c.right)
    )
    found: dict[str, list[HeldRight]] = {account_id: [] for account_id in account_ids}
    for account_id, establishment_id, name, right in await session.execute(query):
        found[account_id].append(HeldRight(establishment_id, name, right))
    return found


def _current_agents(provider_id: str, caf_code: str, *columns: Any) -> Any:
    return (
        select(*columns)
        .select_from(accounts)
        .join(providers, providers.c.id == accounts.c.provider_id)
        .where(
            accounts.c.provider_id == provider_id,
            providers.c.caf_code == caf_code,
            accounts.c.status != AccountStatus.DESACTIVE,
        )
    )


async def provider_agents(
    session: AsyncSession, provider_id: str, caf_code: str, *, offset: int, limit: int
) -> list[Any]:
    """The provider's current agents if it is in ``caf_code``'s territory (none otherwise), by agent number."""
    query = _current_agents(provider_id, caf_code, accounts).order_by(accounts.c.agent_number)
    return list((await session.execute(query.offset(offset).limit(limit))).all())


async def count_provider_agents(session: AsyncSession, provider_id: str, caf_code: str) -> int:
    return int(await session.scalar(_current_agents(provider_id, caf_code, func.count())) or 0)
