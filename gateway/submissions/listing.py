"""An agent's own submissions, newest first, each with the name of its establishment."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue.lookups import establishment_name
from gateway.submissions.tables import submissions


async def list_submissions(session: AsyncSession, account_id: str, *, offset: int, limit: int) -> list[Any]:
    """Rows with the submission's columns and ``establishment_name``."""
    query = (
        select(submissions, establishment_name(submissions.c.establishment_id).label("establishment_name"))
        .where(submissions.c.account_id == account_id)
        .order_by(submissions.c.submitted_at.desc(), submissions.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list((await session.execute(query)).all())


async def count_submissions(session: AsyncSession, account_id: str) -> int:
    return int(await session.scalar(select(func.count()).where(submissions.c.account_id == account_id)) or 0)
