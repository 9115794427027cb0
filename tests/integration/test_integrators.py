"""Integrators: accounts managed by their Caf, API keys shown once and stored hashed, scoped to départements,
revocable, rate-limited, usable for the events query (X-Api-Key) and the subscription (connection_init)."""

import asyncio
from typing import Any

import httpx
import pytest
import websockets
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportConnectionFailed, TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from sqlalchemy import select

from gateway.accounts import sessions
from gateway.integrators import services as integrators
from gateway.integrators.tables import api_keys
from shared.trusted_documents import document_id
from tests.integration.test_availability_publication import TEMPORARY, open_days
from tests.integration.test_publication_subscriptions import EVENTS, _publish, _subscribed, _subscriptions
from tests.subscriptions import PUBLICATIONS

CREATE = """mutation($name: String!, $mail: String!, $d: [String!]!) { createIntegrator(input: {name: $name,
  contactEmail: $mail, departements: $d}) { integratorId keyId apiKey userErrors { field code message } } }"""
ROTATE = "mutation($id: ID!) { createApiKey(integratorId: $id) { keyId apiKey userErrors { code } } }"
REVOKE = "mutation($id: ID!) { revokeApiKey(keyId: $id) { revoked userErrors { code } } }"
LIST = "{ integrators { edges { node { name departements keys { id lastUsedAt revokedAt } } } } }"


async def _gql(client: httpx.AsyncClient, query: str, *, token: str | None = None, key: str | None = None,
               **variables: Any) -> Any:  # fmt: skip
    headers = {"authorization": f"Bearer {token}"} if token else {}
    headers |= {"x-api-key": key} if key else {}
    return (await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)).json()


async def test_a_caf_creates_an_integrator_of_its_territory_whose_key_is_shown_once_and_stored_hashed(
    caf_gateway: Any,
) -> None:
    client, _url, app, tokens = caf_gateway
    created = (await _gql(client, CREATE, token=tokens["nord"], name="Portail du Hainaut", mail="api@hainaut.example",
                          d=["59"]))["data"]["createIntegrator"]  # fmt: skip
    outside = (await _gql(client, CREATE, token=tokens["nord"], name="Portail", mail="api@x.example",
                          d=["59", "62"]))["data"]["createIntegrator"]  # fmt: skip
    by_provider = await _gql(client, CREATE, token=tokens["marie"], name="X", mail="x@x.example", d=["59"])
    listed = _nodes(await _gql(client, LIST, token=tokens["nord"]))
    elsewhere = _nodes(await _gql(client, LIST, token=tokens["pas_de_calais"]))
    async with app.state.runtime.sessions() as session:
        stored = (await session.execute(select(api_keys))).all()

    assert created["userErrors"] == []
    assert created["apiKey"].startswith(f"stk_{created['keyId']}_")
    assert [(e["field"], e["code"]) for e in outside["userErrors"]] == [("departements", "OUTSIDE_TERRITORY")]
    assert by_provider["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert listed == [{"name": "Portail du Hainaut", "departements": ["59"],
                       "keys": [{"id": created["keyId"], "lastUsedAt": None, "revokedAt": None}]}]  # fmt: skip
    assert elsewhere == []
    assert len(stored) == 1
    assert created["apiKey"] not in str(tuple(stored[0]))
    # The secret may itself hold "_" (URL-safe base64): it is everything after the "stk_<key id>_" prefix.
    assert created["apiKey"].removeprefix(f"stk_{created['keyId']}_") not in str(tuple(stored[0]))


async def test_an_integrator_reads_its_departements_only_and_a_revoked_key_is_refused_at_once(caf_gateway: Any) -> None:
    client, url, app, tokens = caf_gateway
    created = (await _gql(client, CREATE, token=tokens["nord"], name="Portail du Hainaut", mail="api@hainaut.example",
                          d=["59"]))["data"]["createIntegrator"]  # fmt: skip
    key = created["apiKey"]
    await _publish(client, tokens["marie"], open_days(1)[0], 2)

    polled = (await _gql(client, EVENTS, key=key, first=10))["data"]["events"]
    widened = await _gql(client, EVENTS.replace("first: $first)", 'first: $first, filter: {departements: ["62"]})'),
                         key=key, first=10)  # fmt: skip
    agent_only = await _gql(client, "{ mySubmissions { totalCount } }", key=key)
    other_caf = (await _gql(client, REVOKE, token=tokens["pas_de_calais"], id=created["keyId"]))["data"]["revokeApiKey"]
    listed = _nodes(await _gql(client, LIST, token=tokens["nord"]))

    received: list[Any] = []
    transport = WebsocketsTransport(url=url, init_payload={"apiKey": key},
                                    subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])  # fmt: skip

    async def follow() -> None:
        async with Client(transport=transport) as session:
            async for result in session.subscribe(GraphQLRequest(PUBLICATIONS, variable_values={"after": "0"})):
                received.append(result["publications"])

    following = asyncio.create_task(follow())
    await _subscribed(app, 1)
    async with asyncio.timeout(5):
        while not received:
            await asyncio.sleep(0.01)
    following.cancel()
    await asyncio.gather(following, return_exceptions=True)

    revoked = (await _gql(client, REVOKE, token=tokens["nord"], id=created["keyId"]))["data"]["revokeApiKey"]
    after_revocation = await _gql(client, EVENTS, key=key, first=10)
    refused_transport = WebsocketsTransport(url=url, init_payload={"apiKey": key},
                                            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])  # fmt: skip
    with pytest.raises(TransportConnectionFailed) as refused:  # noqa: PT012
        async with Client(transport=refused_transport) as session:
            async for _ in session.subscribe(GraphQLRequest(PUBLICATIONS)):
                pass

    assert [(e["cursor"], e["node"]["type"]) for e in polled["edges"]] == [("1", "AVAILABILITIES_PUBLISHED")]
    assert widened["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert agent_only["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert other_caf == {"revoked": False, "userErrors": [{"code": "NOT_FOUND"}]}
    assert listed[0]["keys"][0]["lastUsedAt"] is not None
    assert [e["cursor"] for e in received] == ["1"]
    assert revoked == {"revoked": True, "userErrors": []}
    assert after_revocation["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    closed = refused.value.__cause__
    assert isinstance(closed, websockets.ConnectionClosed)
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (4403, "Forbidden")


async def test_each_key_is_rate_limited_with_a_clear_error_and_rotation_gives_a_second_key(caf_gateway: Any) -> None:
    client, _url, _app, tokens = caf_gateway
    created = (await _gql(client, CREATE, token=tokens["nord"], name="Portail", mail="api@portail.example",
                          d=["59"]))["data"]["createIntegrator"]  # fmt: skip
    rotated = (await _gql(client, ROTATE, token=tokens["nord"], id=created["integratorId"]))["data"]["createApiKey"]
    answers = [await _gql(client, EVENTS, key=created["apiKey"], first=1) for _ in range(7)]
    other_key = await _gql(client, EVENTS, key=rotated["apiKey"], first=1)
    wrong = await _gql(client, EVENTS, key="stk_0123456789abcdef_not-the-secret", first=1)

    limited = [a for a in answers if "errors" in a]
    assert len(limited) >= 1
    assert len([a for a in answers if a.get("data")]) == 5  # the burst
    assert limited[0]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "réessayez dans" in limited[0]["errors"][0]["message"]
    assert rotated["apiKey"] != created["apiKey"]
    assert other_key["data"]["events"]["edges"] == []  # the other key has its own budget
    assert wrong["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert TEMPORARY not in str(answers)


async def test_an_open_subscription_ends_when_its_key_is_revoked_or_its_agent_logs_out(
    caf_gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Open subscriptions recheck their key or session (every 0.2 s here) and end once it is revoked. The
    subscriptions of one session or key share each recheck, one check however many they are (M1: 2,000 subscriptions
    opened together checked their session at the same instant, 4,000 statements, and the publications arriving
    meanwhile waited): once all are open, the checks are held, and a subscription whose recheck is due waits for the
    one running instead of checking too."""
    client, url, app, tokens = caf_gateway
    created = (await _gql(client, CREATE, token=tokens["nord"], name="Portail", mail="api@portail.example",
                          d=["59"]))["data"]["createIntegrator"]  # fmt: skip
    held, released, checks = asyncio.Event(), asyncio.Event(), {"session": 0, "key": 0}

    def holding(kind: str, check: Any) -> Any:
        async def held_check(*args: Any) -> Any:
            if held.is_set():
                checks[kind] += 1
                await released.wait()
            return await check(*args)

        return held_check

    monkeypatch.setattr(sessions, "active_session", holding("session", sessions.active_session))
    monkeypatch.setattr(integrators, "authenticate", holding("key", integrators.authenticate))
    integrator = asyncio.create_task(_follow(url, {"apiKey": created["apiKey"]}))
    agent = asyncio.create_task(_follow(url, {"authorization": f"Bearer {tokens['marie']}"}))
    sockets = [
        await _subscriptions(url, {"authorization": f"Bearer {tokens['marie']}"}, 10),
        await _subscriptions(url, {"apiKey": created["apiKey"]}, 2),  # 2 connections, 3 subscriptions: a burst of 5
    ]
    await _subscribed(app, 14)
    held.set()
    async with asyncio.timeout(10):
        while checks["session"] < 1 or checks["key"] < 1:
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)  # every subscription's next recheck is due meanwhile
    in_flight = dict(checks)
    released.set()
    await asyncio.sleep(0.5)  # a few checks pass while both are still allowed
    assert in_flight == {"session": 1, "key": 1}
    assert not integrator.done()
    assert not agent.done()
    assert app.state.feed.subscribers == 14

    await _gql(client, REVOKE, token=tokens["nord"], id=created["keyId"])
    await _gql(client, "mutation { logout { ok } }", token=tokens["marie"])
    async with asyncio.timeout(5):
        ended = await asyncio.gather(integrator, agent, return_exceptions=True)
        while app.state.feed.subscribers:
            await asyncio.sleep(0.01)
    for socket in sockets:
        await socket.close()

    for error in ended:
        assert isinstance(error, TransportQueryError)
        assert "Accès révoqué" in str(error)


async def _follow(url: str, init: dict[str, str]) -> None:
    transport = WebsocketsTransport(
        url=url, init_payload=init, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]
    )
    async with Client(transport=transport) as session:
        async for _ in session.subscribe(GraphQLRequest(PUBLICATIONS)):
            pass


def _nodes(answer: dict[str, Any]) -> list[Any]:
    return [edge["node"] for edge in answer["data"]["integrators"]["edges"]]


REGISTER = """mutation($id: ID!, $d: String!) { registerTrustedDocument(integratorId: $id, document: $d) {
  documentId userErrors { field code message } } }"""
SINCE_59 = 'query Hainaut { events(first: 5, filter: {departements: ["59"]}) { edges { node { type } } } }'


async def test_a_caf_registers_a_trusted_document_its_integrator_then_sends_by_id(caf_gateway: Any) -> None:
    client, _url, _app, tokens = caf_gateway
    created = (await _gql(client, CREATE, token=tokens["nord"], name="Portail du Hainaut", mail="api@hainaut.example",
                          d=["59"]))["data"]["createIntegrator"]  # fmt: skip
    key, integrator = created["apiKey"], created["integratorId"]
    registered = (await _gql(client, REGISTER, token=tokens["nord"], id=integrator, d=SINCE_59))["data"]
    again = (await _gql(client, REGISTER, token=tokens["nord"], id=integrator, d=SINCE_59))["data"]
    other_caf = (await _gql(client, REGISTER, token=tokens["pas_de_calais"], id=integrator, d=SINCE_59))["data"]
    mutation = (await _gql(client, REGISTER, token=tokens["nord"], id=integrator,
                           d="mutation { logout { __typename } }"))["data"]  # fmt: skip
    invalid = (await _gql(client, REGISTER, token=tokens["nord"], id=integrator, d="{ nope }"))["data"]
    broken = (await _gql(client, REGISTER, token=tokens["nord"], id=integrator, d="query {"))["data"]

    identifier = registered["registerTrustedDocument"]["documentId"]
    assert identifier == document_id(SINCE_59)
    assert again["registerTrustedDocument"] == {"documentId": identifier, "userErrors": []}
    assert other_caf["registerTrustedDocument"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert [e["code"] for e in mutation["registerTrustedDocument"]["userErrors"]] == ["MUTATION"]
    assert [(e["field"], e["code"]) for e in invalid["registerTrustedDocument"]["userErrors"]] == [
        ("document", "INVALID")
    ]
    assert broken["registerTrustedDocument"]["userErrors"][0]["message"].startswith("Ce n'est pas un document GraphQL")
    by_id = await client.post("/graphql", json={"documentId": identifier}, headers={"x-api-key": key})
    by_text = await client.post("/graphql", json={"query": SINCE_59}, headers={"x-api-key": key})
    assert by_id.status_code == 200
    assert by_id.json() == by_text.json()
    assert "errors" not in by_id.json()
