"""What provider agents may do, establishment by establishment (``account_rights``): asked by the policy module,
granted and revoked by habilitation, read by the features that tell the agents responsible for an establishment.

A right counts only while the agent's provider runs the establishment: one the register gives to another provider
takes its rights with it (ASVS V4.2.1), whatever was granted before.
"""

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.states import AccountStatus, Right
from gateway.accounts.tables import account_rights, accounts
from gateway.catalogue.lookups import establishments_run_by


async def holds_right(session: AsyncSession, account_id: str, establishment_id: str, right: Right) -> bool:
    held = await session.scalar(
        select(account_rights.c.right)
        .join(accounts, accounts.c.id == account_rights.c.account_id)
        .where(
            account_rights.c.account_id == account_id,
            account_rights.c.establishment_id == establishment_id,
            account_rights.c.right == right,
            account_rights.c.establishment_id.in_(establishments_run_by(accounts.c.provider_id)),
        )
    )
    return held is not None


async def list_right_holders(session: AsyncSession, establishment_id: str, right: Right) -> list[Any]:
    """The active agents holding ``right`` on the establishment, by agent number: ``agent_number, email,
    first_name, last_name``."""
    rows = await session.execute(
        select(accounts.c.agent_number, accounts.c.email, accounts.c.first_name, accounts.c.last_name)
        .join(account_rights, account_rights.c.account_id == accounts.c.id)
        .where(
            account_rights.c.establishment_id == establishment_id,
            account_rights.c.right == right,
            accounts.c.status != AccountStatus.DESACTIVE,
        )
        .order_by(accounts.c.agent_number)
    )
    return list(rows.all())


async def add_right(session: AsyncSession, account_id: str, establishment_id: str, right: str) -> None:
    """Give the right unless the agent already holds it."""
    exists = await session.scalar(
        select(account_rights.c.account_id).where(
            account_rights.c.account_id == account_id,
            account_rights.c.establishment_id == establishment_id,
            account_rights.c.right == right,
        )
    )
    if exists is None:
        await session.execute(
            account_rights.insert().values(account_id=account_id, establishment_id=establishment_id, right=right)
        )


async def revoke_right(session: AsyncSession, account_id: str, establishment_id: str, right: str) -> None:
    await session.execute(
        delete(account_rights).where(
            account_rights.c.account_id == account_id,
            account_rights.c.establishment_id == establishment_id,
            account_rights.c.right == right,
        )
    )
