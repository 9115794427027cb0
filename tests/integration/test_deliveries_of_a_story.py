"""Issue 13 item 8: every e-mail the notifier writes in one story is among its Caf's ``deliveries``.

The story, on the three services in-process (SQLite with the in-process bus, PostgreSQL with Kafka): a Caf agent's
generated password, a habilitation receipt, a provider agent's generated password, two submissions of that agent,
one approved and one refused by the Caf's moderator — five e-mails, all of the Caf du Nord's territory.
"""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from gateway.accounts.services import NewPerson, create_provider_agent
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MULTI_ACCUEIL
from gateway.submissions.services import Submitted, submit_operating_info
from gateway.tables import outbox as gateway_outbox
from moderation.queue import services as queue
from moderation.queue.states import Decision, ReviewStatus
from moderation.tables import review_items
from notifier.tables import deliveries
from shared.events import HabilitationRequested, PersonRef, new_event
from shared.outbox import add_event
from tests.three_services import Services, backend, services

__all__ = ["backend", "services"]
HOURS = [{"day": "LUNDI", "opens": "08:00", "closes": "17:00"}]
DELIVERIES = "{ deliveries(first: 100) { totalCount edges { node { kind messageId } } } }"


async def _provider_agent(services: Services) -> str:
    async with services.gateway.state.runtime.sessions() as session, session.begin():
        agent = await create_provider_agent(
            session, NewPerson("Dupont", "Marie", "Directrice", "marie@escautpont.example"),
            provider_id=MAIRIE_ESCAUTPONT, commune_name="Escautpont", departement="59",
            issuing=services.issuing, now=datetime.now(UTC),
        )  # fmt: skip
    return str(agent.id)


async def _submit(services: Services, account_id: str, fees: str) -> None:
    async with services.gateway.state.runtime.sessions() as session, session.begin():
        result = await submit_operating_info(
            session, account_id, MULTI_ACCUEIL, {"opening_hours": HOURS, "fees": fees},
            based_on_version=None, idempotency_key=None, now=datetime.now(UTC), signal=None,
        )  # fmt: skip
    assert isinstance(result, Submitted)


async def _habilitation_receipt(services: Services) -> None:
    requested = HabilitationRequested(
        request_id=uuid.uuid4(), number="HAB-59-0001", caf_code="CAF59", caf_label="Caf du Nord",
        provider_name="Mairie d'Escautpont", provider_email="mairie@escautpont.example",
        representative_name="Jean Martin",
        persons=[PersonRef(display_name="Marie Dupont", function="Directrice", email="marie@escautpont.example")],
        establishments=["Multi-accueil Les P'tits Mineurs"], submitted_at=datetime.now(UTC),
    )  # fmt: skip
    async with services.gateway.state.runtime.sessions() as session, session.begin():
        await add_event(session, gateway_outbox, new_event(requested, source="/tests"))


async def _moderator_decides(services: Services, moderator: queue.Moderator, decision: Decision) -> None:
    """Claim the pending item once moderation has it, and decide it."""
    sessions = services.apps["moderation"].state.runtime.sessions
    pending = select(review_items).where(review_items.c.status == ReviewStatus.PENDING)
    async with asyncio.timeout(30):
        while (item := (await _first(sessions, pending))) is None:
            await asyncio.sleep(0.05)
    async with sessions() as session, session.begin():
        await queue.claim(session, item.id, item.row_version, moderator, datetime.now(UTC))
    async with sessions() as session, session.begin():
        reasons = [] if decision is Decision.APPROVED else ["AUTRE"]
        await queue.decide(
            session, item.id, item.row_version + 1, moderator, decision,
            reasons=reasons, comment=None, now=datetime.now(UTC), signal=None,
        )  # fmt: skip


async def _first(sessions: Any, query: Any) -> Any:
    async with sessions() as session:
        return (await session.execute(query)).first()


async def _written(services: Services, count: int) -> list[Any]:
    sessions = services.apps["notifier"].state.runtime.sessions
    async with asyncio.timeout(30):
        while True:
            async with sessions() as session:
                if await session.scalar(select(func.count()).select_from(deliveries)) == count:
                    return list((await session.execute(select(deliveries))).all())
            await asyncio.sleep(0.05)


async def test_every_e_mail_of_the_story_is_in_its_caf_s_deliveries(services: Services) -> None:
    audrey = await services.caf_agent("Audrey")
    await _habilitation_receipt(services)
    marie = await _provider_agent(services)
    moderator = queue.Moderator("CAF59", audrey.agent_number)
    await _submit(services, marie, "Selon le quotient familial")
    await _moderator_decides(services, moderator, Decision.APPROVED)
    await _submit(services, marie, "Barème national de la Cnaf")
    await _moderator_decides(services, moderator, Decision.REJECTED)

    written = await _written(services, 5)
    answer = await services.gql("notifier", DELIVERIES, audrey.token)

    listed = answer["data"]["deliveries"]
    assert sorted(row.kind for row in written) == [
        "habilitation_receipt", "moderation_decided", "moderation_decided", "password_issued", "password_issued",
    ]  # fmt: skip
    assert {edge["node"]["messageId"] for edge in listed["edges"]} == {row.message_id for row in written}
    assert listed["totalCount"] == 5
