"""The national-scale generator: real communes, category mix, deterministic, COPY into PostgreSQL."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.catalogue.national import COUNTS, load_national
from gateway.catalogue.reference_data import load_reference_data
from gateway.catalogue.tables import availabilities, establishments, operating_info_versions
from gateway.catalogue.vocabulary import Category
from shared.db import create_session_factory
from shared.errors import ConfigurationError
from tests.conftest import DatabaseFactory, EngineFactory

pytestmark = pytest.mark.integration
SCALE = 0.004


async def _load(pg_database: DatabaseFactory, engines: EngineFactory, seed: int) -> tuple[AsyncEngine, list[str]]:
    engine = engines(await pg_database("gateway"))
    async with create_session_factory(engine)() as session, session.begin():
        await load_reference_data(session)
    await load_national(engine, scale=SCALE, seed=seed)
    async with engine.connect() as connection:
        ids = list((await connection.execute(select(establishments.c.id).order_by(establishments.c.id))).scalars())
    return engine, ids


async def test_the_dataset_has_the_expected_mix_and_is_the_same_for_the_same_seed(
    pg_database: DatabaseFactory, engines: EngineFactory
) -> None:
    engine, ids = await _load(pg_database, engines, seed=7)
    _, same = await _load(pg_database, engines, seed=7)
    _, other = await _load(pg_database, engines, seed=8)

    assert ids == same
    assert ids != other
    async with engine.connect() as connection:
        by_category = select(establishments.c.category, func.count()).group_by(establishments.c.category)
        mix: dict[str, int] = {str(k): int(v) for k, v in (await connection.execute(by_category)).all()}
        published = await connection.scalar(select(func.count()).select_from(operating_info_versions))
        rows = int(await connection.scalar(select(func.count()).select_from(availabilities)) or 0)
        in_nord = await connection.scalar(
            select(func.count()).select_from(establishments).where(establishments.c.departement == "59")
        )
    assert mix == {category.value: round(count * SCALE) for category, count in COUNTS.items()}
    assert published == len(ids)
    assert 70 * mix[Category.EAJE.value] <= rows <= 110 * mix[Category.EAJE.value]
    assert (in_nord or 0) > 0, "the Nord, a populous département, gets its share"


async def test_the_dataset_refuses_sqlite(sqlite_database: DatabaseFactory, engines: EngineFactory) -> None:
    engine = engines(await sqlite_database("gateway"))

    with pytest.raises(ConfigurationError, match="must be PostgreSQL"):
        await load_national(engine, scale=SCALE)
