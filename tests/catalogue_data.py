"""A prepared catalogue for API tests: reference data, the Nord demo and a page-turning batch, on both databases."""

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from gateway.catalogue import writes
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, load_demo
from gateway.catalogue.reference_data import load_reference_data
from shared.db import create_engine, create_session_factory, upgrade_database

ROOT = Path(__file__).resolve().parents[1]
EXTRA = 40
"""Extra crèches in Valenciennes, some with the same name, to turn pages with ties."""


async def fill_catalogue(url: str) -> None:
    await upgrade_database(ROOT / "gateway" / "migrations", url)
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            await load_reference_data(session)
            await load_demo(session)
            for index in range(EXTRA):
                await writes.add_establishment(
                    session,
                    id=str(uuid.UUID(int=index + 1)),
                    name=f"Crèche du Hainaut {index // 2:02d}",
                    category="EAJE",
                    eaje_type="CRECHE_COLLECTIVE",
                    alsh_kinds=[],
                    provider_id=MAIRIE_ESCAUTPONT,
                    postal_code="59300",
                    commune_insee="59606",
                    departement="59",
                    latitude=50.35 + index * 0.001,
                    longitude=3.52 + index * 0.001,
                    capacity=30,
                    updated_at=datetime.now(UTC),
                )
    finally:
        await engine.dispose()


async def sqlite_catalogue_template(folder: Path) -> Path:
    path = folder / "catalogue-template.sqlite3"
    await fill_catalogue(f"sqlite+aiosqlite:///{path}")
    return path


def copy_sqlite(template: Path, folder: Path) -> str:
    target = folder / f"catalogue-{uuid.uuid4().hex[:8]}.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


async def create_pg_database(admin_dsn: str, name: str, template: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await connection.close()
