"""Each service's migrations build exactly the tables its code declares, on SQLite and on PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from gateway.tables import metadata as gateway_metadata
from moderation.tables import metadata as moderation_metadata
from notifier.tables import metadata as notifier_metadata
from tests.conftest import DatabaseFactory, EngineFactory

METADATA = {"gateway": gateway_metadata, "moderation": moderation_metadata, "notifier": notifier_metadata}


@pytest.mark.parametrize("service", sorted(METADATA))
async def test_migrations_match_the_declared_tables(
    service: str, database: DatabaseFactory, engines: EngineFactory
) -> None:
    engine = engines(await database(service))

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, METADATA[service]))

    async with engine.connect() as connection:
        diff = await connection.run_sync(differences)

    assert diff == []


def test_every_service_declares_the_processed_events_table() -> None:
    for metadata in METADATA.values():
        assert isinstance(metadata, MetaData)
        assert "processed_events" in metadata.tables
