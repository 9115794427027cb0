"""Fixtures shared by end-to-end tests."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import DatabaseFactory, EngineFactory, Stack
from tests.e2e.test_moderation_story import Story, story_services


@pytest.fixture
async def story(
    stack: Stack,
    pg_database: DatabaseFactory,
    engines: EngineFactory,
    kafka_namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Story]:
    """The three services as processes on fresh databases, with Marie and a Caf du Nord moderator."""
    async with story_services(stack, pg_database, engines, kafka_namespace, tmp_path, monkeypatch) as running:
        yield running
