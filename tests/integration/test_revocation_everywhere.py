"""S15 on every service: after a logout, a password change or a deactivation, the old access token is refused by
moderation and the notifier too — as soon as the gateway's event reaches them, not when the token expires.

The three services in-process: on SQLite with the in-process bus (the embedded mode), and on PostgreSQL with real
Kafka (each its own database, as in production).
"""

from tests.three_services import CHANGE, CHOSEN, DEACTIVATE, LOGIN, LOGOUT, Services, backend, services

__all__ = ["backend", "services"]


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
