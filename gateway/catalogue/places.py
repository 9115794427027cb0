"""Where establishments are, coarsely: what the response cache's place index is built from."""

from collections.abc import Sequence

from sqlalchemy import Numeric, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue.tables import establishments

DECIMALS = 2
"""Positions rounded to 0.01° (≈ 1 km): fewer rows (the response cache's grid has a margin for it)."""


async def list_places(session: AsyncSession) -> Sequence[tuple[str, str, float, float]]:
    """(commune INSEE, postal code, latitude, longitude) of every establishment, closed ones included, rounded."""
    e = establishments.c
    latitude = func.round(cast(e.latitude, Numeric), DECIMALS)
    longitude = func.round(cast(e.longitude, Numeric), DECIMALS)
    query = select(e.commune_insee, e.postal_code, latitude, longitude).distinct()
    rows = (await session.execute(query)).all()
    return [(row[0], row[1], float(row[2]), float(row[3])) for row in rows]


async def list_eaje_positions(session: AsyncSession) -> Sequence[tuple[str, float, float]]:
    """(id, latitude, longitude) of every EAJE, exact: the establishments that publish availabilities."""
    e = establishments.c
    rows = (await session.execute(select(e.id, e.latitude, e.longitude).where(e.category == "EAJE"))).all()
    return [(str(row[0]), float(row[1]), float(row[2])) for row in rows]
