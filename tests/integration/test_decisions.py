"""R9: the gateway applies decisions so that an older one never overwrites a newer published version."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.services import NewPerson, PasswordIssuing, create_provider_agent
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MULTI_ACCUEIL
from gateway.catalogue.tables import operating_info_versions
from gateway.submissions.decisions import handle_moderation_decided
from gateway.submissions.services import Submitted, submit_operating_info
from gateway.submissions.tables import submissions
from shared.db import SessionFactory, create_session_factory
from shared.events import ModerationDecided, new_event
from shared.sealing import generate_key_pair
from tests.conftest import EngineFactory
from tests.factories import make_agent

HOURS = [{"day": "LUNDI", "opens": "08:00", "closes": "17:00"}]


async def _marie(sessions: SessionFactory) -> str:
    """An Escautpont agent; returns the account id."""
    hashing = PasswordHashing(memory_kib=8, time_cost=1)
    try:
        async with sessions() as session, session.begin():
            agent = await create_provider_agent(
                session, NewPerson("Dupont", "Marie", "Directrice", "m@escautpont.example"),
                provider_id=MAIRIE_ESCAUTPONT, commune_name="Escautpont", departement="59",
                issuing=PasswordIssuing(hashing, generate_key_pair()[1]), now=datetime.now(UTC),
            )  # fmt: skip
    finally:
        hashing.close()
    return agent.id


async def _submit(sessions: SessionFactory, account_id: str, fees: str) -> Submitted:
    async with sessions() as session, session.begin():
        result = await submit_operating_info(
            session, account_id, MULTI_ACCUEIL, {"opening_hours": HOURS, "fees": fees},
            based_on_version=None, idempotency_key=None, now=datetime.now(UTC), signal=None,
        )  # fmt: skip
    assert isinstance(result, Submitted)
    return result


async def _decide(sessions: SessionFactory, submitted: Submitted, decision: str = "APPROVED") -> None:
    decided = ModerationDecided(
        submission_id=uuid.UUID(submitted.id), establishment_id=uuid.UUID(MULTI_ACCUEIL),
        establishment_name="Multi-accueil Les P'tits Mineurs", version=submitted.version, decision=decision,
        reasons=[] if decision == "APPROVED" else ["AUTRE"], moderator_number="CAF59-0001",
        decided_at=datetime.now(UTC), submitted_by=make_agent(),
    )  # fmt: skip
    async with sessions() as session, session.begin():
        await handle_moderation_decided(session, new_event(decided, source="/tests"))


async def _published_fees(sessions: SessionFactory) -> tuple[int, str]:
    async with sessions() as session:
        row = (
            await session.execute(
                select(operating_info_versions.c.version, operating_info_versions.c.document).where(
                    operating_info_versions.c.establishment_id == MULTI_ACCUEIL,
                    operating_info_versions.c.status == "PUBLISHED",
                )
            )
        ).one()
    return row.version, row.document.get("fees", "")


async def test_r9_a_late_approval_of_a_superseded_submission_publishes_nothing(
    catalogue_url: str, engines: EngineFactory
) -> None:
    sessions = create_session_factory(engines(catalogue_url))
    agent_id = await _marie(sessions)
    older = await _submit(sessions, agent_id, "Ancienne proposition")
    newer = await _submit(sessions, agent_id, "Nouvelle proposition")

    await _decide(sessions, newer)
    await _decide(sessions, older)  # arrives late, out of order
    await _decide(sessions, newer)  # and a redelivery

    assert await _published_fees(sessions) == (2, "Nouvelle proposition")
    async with sessions() as session:
        statuses = dict((await session.execute(select(submissions.c.id, submissions.c.status))).all())
    assert statuses == {older.id: "SUPERSEDED", newer.id: "APPROVED"}
    async with sessions() as session:
        versions = (await session.execute(select(operating_info_versions.c.version, operating_info_versions.c.status)
                    .where(operating_info_versions.c.establishment_id == MULTI_ACCUEIL))).all()  # fmt: skip
    assert sorted(versions) == [(1, "ARCHIVED"), (2, "PUBLISHED")]


async def test_a_rejection_records_its_reasons_and_leaves_the_published_version(
    catalogue_url: str, engines: EngineFactory
) -> None:
    sessions = create_session_factory(engines(catalogue_url))
    agent_id = await _marie(sessions)
    submitted = await _submit(sessions, agent_id, "-20 % chez notre partenaire")

    await _decide(sessions, submitted, "REJECTED")

    assert (await _published_fees(sessions))[0] == 1
    async with sessions() as session:
        row = (await session.execute(select(submissions))).one()
    assert (row.status, row.reasons) == ("REJECTED", ["AUTRE"])
