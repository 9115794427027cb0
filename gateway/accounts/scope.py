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
from gateway.catalogue.lookups import establishments_run_by, get_establishment_names, providers_in_caf


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
        select(account_rights.c.account_id, account_rights.c.establishment_id, account_rights.c.right)
        .join(accounts, accounts.c.id == account_rights.c.account_id)
        .where(
            account_rights.c.account_id.in_(account_ids),
            account_rights.c.establishment_id.in_(establishments_run_by(accounts.c.provider_id)),
        )
    )
    rows = (await session.execute(query)).all()
    names = await get_establishment_names(session, sorted({row.establishment_id for row in rows}))
    rank = {establishment_id: index for index, establishment_id in enumerate(names)}  # the database's name order
    found: dict[str, list[HeldRight]] = {account_id: [] for account_id in account_ids}
    for account_id, establishment_id, right in sorted(rows, key=lambda r: (rank[r[1]], r[2])):
        found[account_id].append(HeldRight(establishment_id, names[establishment_id], right))
    return found


def _current_agents(provider_id: str, caf_code: str, *columns: Any) -> Any:
    return (
        select(*columns)
        .select_from(accounts)
        .where(
            accounts.c.provider_id == provider_id,
            accounts.c.provider_id.in_(providers_in_caf(caf_code)),
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


async def find_provider_agent(session: AsyncSession, agent_number: str, caf_code: str) -> str | None:
    """The id of the agent with this number if their provider is in ``caf_code``'s territory (None otherwise)."""
    return await session.scalar(
        select(accounts.c.id).where(
            accounts.c.agent_number == agent_number, accounts.c.provider_id.in_(providers_in_caf(caf_code))
        )
    )


async def active_agents_of(session: AsyncSession, provider_id: str) -> dict[str, str]:
    """The provider's agents not deactivated: account id by agent number."""
    rows = await session.execute(
        select(accounts.c.agent_number, accounts.c.id).where(
            accounts.c.provider_id == provider_id, accounts.c.status != AccountStatus.DESACTIVE
        )
    )
    return {str(number): str(account_id) for number, account_id in rows}


async def agent_names(session: AsyncSession, agent_numbers: Sequence[str]) -> dict[str, str]:
    """« Karine Lefebvre » by agent number, for the agents among ``agent_numbers`` (deactivated ones too)."""
    rows = await session.execute(
        select(accounts.c.agent_number, accounts.c.first_name, accounts.c.last_name).where(
            accounts.c.agent_number.in_(sorted(set(agent_numbers)))
        )
    )
    return {str(number): f"{first} {last}" for number, first, last in rows}


async def provider_agent_numbers(session: AsyncSession, agent_numbers: Sequence[str]) -> dict[str, str]:
    """The provider of each provider agent among ``agent_numbers`` (deactivated ones too); Caf agents are left out."""
    rows = await session.execute(
        select(accounts.c.agent_number, accounts.c.provider_id).where(
            accounts.c.agent_number.in_(sorted(set(agent_numbers))), accounts.c.provider_id.is_not(None)
        )
    )
    return {str(number): str(provider) for number, provider in rows}
