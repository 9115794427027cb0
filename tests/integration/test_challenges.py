"""On-screen challenges: single use under concurrency, and an audio alternative for the same answer."""

import asyncio
import base64
import io
import wave
from datetime import UTC, datetime, timedelta

import pytest

from gateway.habilitation import challenge_audio, challenges
from gateway.habilitation.challenges import issue_challenge, redeem_challenge
from shared.db import create_session_factory
from tests.conftest import DatabaseFactory, EngineFactory
from tests.graphql_client import SchemaClient

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


CHALLENGE = """mutation($p: ChallengePurpose!) { createChallenge(input: {purpose: $p}) {
  challenge { id image audioDataUrl } } }"""


async def test_the_audio_alternative_spells_the_answer_that_solves_the_challenge(
    database: DatabaseFactory, engines: EngineFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    spoken: list[str] = []

    def spy(text: str) -> bytes | None:
        spoken.append(text)
        return challenge_audio.spoken_wav(text)

    monkeypatch.setattr(challenges, "spoken_wav", spy)
    client = SchemaClient(engines(await database("gateway")))

    issued = (await client.data(CHALLENGE, {"p": "PASSWORD_RESET"}))["createChallenge"]["challenge"]

    assert issued["image"].startswith("data:image/png;base64,")
    prefix, _, encoded = issued["audioDataUrl"].partition(",")
    assert prefix == "data:audio/wav;base64"
    with wave.open(io.BytesIO(base64.b64decode(encoded))) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 1, 8000)
        assert audio.getnframes() > 0
    [answer] = spoken
    async with client.sessions() as session, session.begin():
        now = datetime.now(UTC)
        assert await redeem_challenge(session, issued["id"], answer, purpose="PASSWORD_RESET", now=now)


async def test_the_audio_is_made_only_when_asked_for(
    database: DatabaseFactory, engines: EngineFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(text: str) -> bytes | None:
        raise AssertionError("the audio was made though nobody asked for it")

    monkeypatch.setattr(challenges, "spoken_wav", refuse)
    client = SchemaClient(engines(await database("gateway")))
    document = "mutation { createChallenge(input: {purpose: PASSWORD_RESET}) { challenge { id image } } }"

    assert (await client.data(document))["createChallenge"]["challenge"]["image"]
