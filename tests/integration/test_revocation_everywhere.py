"""S15 on every service: after a logout, a password change or a deactivation, the old access token is refused by
moderation and the notifier too — as soon as the gateway's event reaches them, not when the token expires.

The three services in-process: on SQLite with the in-process bus (the embedded mode), and on PostgreSQL with real
Kafka (each its own database, as in production).
"""

import uuid
from datetime import UTC, datetime, timedelta

from moderation import tables as moderation_tables
from shared.db import create_session_factory
from shared.events import SessionsRevoked, new_event
from shared.revocations import is_revoked, record_revocation
from shared.tokens import Claims
from tests.conftest import DatabaseFactory, EngineFactory
from tests.three_services import CHANGE, CHOSEN, DEACTIVATE, LOGIN, LOGOUT, Services, backend, services

__all__ = ["backend", "services"]
REFRESH = """mutation($t: String!) { refreshSession(input: {refreshToken: $t}) {
  session { accessToken refreshToken } userErrors { code } } }"""


async def test_s15_a_logged_out_token_is_refused_by_moderation_and_the_notifier(services: Services) -> None:
    token = (await services.caf_agent("Audrey")).token
    other = (await services.caf_agent("Inès")).token
    await services.accepted_everywhere(token)

    assert "errors" not in await services.gql("gateway", LOGOUT, token)

    await services.refused_everywhere(token)
    await services.accepted_everywhere(other)  # one session ended, not everyone's


async def test_s15_after_a_password_change_the_old_token_is_refused_and_the_new_one_accepted(
    services: Services,
) -> None:
    old = (await services.caf_agent("Audrey")).token
    await services.accepted_everywhere(old)

    changed = await services.gql("gateway", CHANGE, old, c=CHOSEN, n="la citadelle de Lille en hiver")
    new = changed["data"]["changePassword"]["session"]["accessToken"]

    await services.refused_everywhere(old)
    await services.accepted_everywhere(new)


async def test_s15_a_deactivated_caf_agent_s_token_is_refused_by_moderation_and_the_notifier(
    services: Services,
) -> None:
    administrator = await services.caf_agent("Audrey", administrator=True)
    agent = await services.caf_agent("Inès")
    await services.accepted_everywhere(agent.token)

    answer = await services.gql(
        "gateway", DEACTIVATE, administrator.token, n=agent.agent_number, r="Fin de mission à la Caf"
    )
    assert answer["data"]["deactivateCafAgent"] == {"agentNumber": agent.agent_number, "userErrors": []}

    await services.refused_everywhere(agent.token)
    await services.accepted_everywhere(administrator.token)
    login = await services.gql("gateway", LOGIN, i=agent.identifier, p=CHOSEN)
    assert login["data"]["login"]["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_s15_a_replayed_refresh_token_ends_its_session_on_moderation_and_the_notifier(
    services: Services,
) -> None:
    agent = await services.caf_agent("Audrey")
    login = await services.gql("gateway", LOGIN, i=agent.identifier, p=CHOSEN)
    first = login["data"]["login"]["session"]
    rotated = (await services.gql("gateway", REFRESH, t=first["refreshToken"]))["data"]["refreshSession"]["session"]
    await services.accepted_everywhere(rotated["accessToken"])

    replayed = await services.gql("gateway", REFRESH, t=first["refreshToken"])  # stolen: used a second time
    assert replayed["data"]["refreshSession"]["userErrors"] == [{"code": "INVALID_REFRESH_TOKEN"}]

    await services.refused_everywhere(rotated["accessToken"])
    await services.accepted_everywhere(agent.token)  # another session of the same person goes on


async def test_revocations_are_kept_only_as_long_as_a_token_can_live(
    database: DatabaseFactory, engines: EngineFactory
) -> None:
    sessions = create_session_factory(engines(await database("moderation")))
    table, kept, now = moderation_tables.revoked_sessions, timedelta(minutes=60), datetime.now(UTC)
    old, recent = uuid.uuid4(), uuid.uuid4()
    async with sessions() as session, session.begin():  # recorded an hour ago: every token it stopped has expired
        await session.execute(
            table.insert().values(event_id="old", account_id=str(old), session_id="s-old", revoked_at=now - 2 * kept)
        )

    for account, at in ((recent, now - timedelta(minutes=5)), (old, now - kept - timedelta(minutes=1))):
        revoked = SessionsRevoked(account_id=account, session_id="s", reason="LOGOUT", revoked_at=at)
        async with sessions() as session, session.begin():
            await record_revocation(session, table, new_event(revoked, source="/tests"), kept)

    def claims(account: uuid.UUID, session_id: str) -> Claims:
        return Claims(str(account), session_id, "CAF_AGENT", "CAF59-0001", "CAF59", None, False, 0)

    assert await is_revoked(sessions, table, claims(recent, "s"))
    assert not await is_revoked(sessions, table, claims(recent, "another session"))
    assert not await is_revoked(sessions, table, claims(old, "s-old"))  # pruned
    assert not await is_revoked(sessions, table, claims(old, "s"))  # too old to be worth a row
    async with sessions() as session:
        assert len((await session.execute(table.select())).all()) == 1
