"""On-screen challenges: single use under concurrency, and an audio alternative for the same answer."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from gateway.habilitation.challenges import issue_challenge, redeem_challenge
from shared.db import create_session_factory
from tests.conftest import DatabaseFactory, EngineFactory

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CONCURRENT = 8


async def test_exactly_one_of_eight_concurrent_redemptions_wins(
    database: DatabaseFactory, engines: EngineFactory
) -> None:
    sessions = create_session_factory(engines(await database("gateway")))
    async with sessions() as session, session.begin():
        issued = await issue_challenge(session, purpose="PASSWORD_RESET", now=NOW, text="ABCDEF")

    async def redeem() -> bool:
        async with sessions() as session, session.begin():
            solved = await redeem_challenge(session, issued.id, "abcdef", purpose="PASSWORD_RESET", now=NOW)
            await asyncio.sleep(0.05)  # the rest of the use case, before its commit: the window a replay aims at
            return solved

    outcomes = await asyncio.gather(*(redeem() for _ in range(CONCURRENT)), return_exceptions=True)

    assert sorted(outcomes, key=repr) == [False] * (CONCURRENT - 1) + [True]


async def test_a_challenge_is_refused_when_expired_for_another_purpose_or_used(
    database: DatabaseFactory, engines: EngineFactory
) -> None:
    sessions = create_session_factory(engines(await database("gateway")))
    async with sessions() as session, session.begin():
        issued = await issue_challenge(session, purpose="PASSWORD_RESET", now=NOW, text="ABCDEF")
        other = await issue_challenge(session, purpose="HABILITATION_REQUEST", now=NOW, text="ABCDEF")
    later = NOW + timedelta(minutes=11)
    async with sessions() as session, session.begin():
        assert not await redeem_challenge(session, issued.id, "ABCDEF", purpose="PASSWORD_RESET", now=later)
        assert not await redeem_challenge(session, other.id, "ABCDEF", purpose="PASSWORD_RESET", now=NOW)
        assert await redeem_challenge(session, other.id, "ABCDEF", purpose="HABILITATION_REQUEST", now=NOW)
        assert not await redeem_challenge(session, other.id, "ABCDEF", purpose="HABILITATION_REQUEST", now=NOW)
