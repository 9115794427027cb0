from gateway.tables import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
