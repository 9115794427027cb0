"""Reading the connection log: the Caf checks the connections of its territory's provider agents (art. 3-4)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.tables import accounts, connection_log
from gateway.catalogue.lookups import providers_in_caf


@dataclass(frozen=True)
class LogFilter:
    """Lines of the agents of ``caf_code``'s providers from ``since`` (until ``until``, excluded, if given); of one
    agent, of one provider's agents, of these kinds of entry only when given. A provider outside the Caf's
    territory has no line here."""

    caf_code: str
    since: datetime
    agent_number: str | None = None
    until: datetime | None = None
    provider_id: str | None = None
    events: tuple[str, ...] = ()


def _lines(given: LogFilter, *columns: Any) -> Any:
    log, acc = connection_log.c, accounts.c
    query = (
        select(*columns)
        .select_from(connection_log.join(accounts, acc.id == log.account_id))
        .where(acc.provider_id.in_(providers_in_caf(given.caf_code)), log.at >= given.since)
    )
    if given.agent_number:
        query = query.where(acc.agent_number == given.agent_number)
    if given.until is not None:
        query = query.where(log.at < given.until)
    if given.provider_id:
        query = query.where(acc.provider_id == given.provider_id)
    return query.where(log.event.in_(given.events)) if given.events else query


async def list_lines(session: AsyncSession, given: LogFilter, *, offset: int, limit: int) -> list[Any]:
    """Newest first; each line with ``at, identifier, agent_number, event, address, user_agent``."""
    log = connection_log.c
    query = _lines(given, log.at, log.identifier, accounts.c.agent_number, log.event, log.address, log.user_agent)
    return list((await session.execute(query.order_by(log.at.desc(), log.id).offset(offset).limit(limit))).all())


async def count_lines(session: AsyncSession, given: LogFilter) -> int:
    return int(await session.scalar(_lines(given, func.count())) or 0)
