"""``Subscription.publications`` over graphql-transport-ws (S9), with a standard client library (gql).

The gateway runs in-process on SQLite with the in-process bus, served by uvicorn on loopback so a real WebSocket
client connects; the same code path is exercised on Kafka by the end-to-end tests.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportConnectionFailed, TransportQueryError

from gateway.accounts import sessions
from gateway.catalogue.demo import MULTI_ACCUEIL
from gateway.graphql.relay import to_global_id
from tests.e2e.processes import free_port
from tests.integration.test_availability_publication import PUBLISH, _entry, _gateway, _token, open_days
from tests.subscriptions import PUBLICATIONS, collect, transport

CRECHE = to_global_id("Establishment", MULTI_ACCUEIL)


@contextlib.asynccontextmanager
async def _served(client: httpx.AsyncClient) -> AsyncIterator[tuple[str, Any]]:
    """The in-process app (lifespan already running) behind a real uvicorn server on loopback."""
    app: Any = client.app  # type: ignore[attr-defined]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}/graphql", app
    finally:
        server.should_exit = True
        await serving


@pytest.fixture
async def gateway(
    sqlite_catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, str, Any, str]]:
    async with _gateway(sqlite_catalogue, tmp_path, monkeypatch) as client, _served(client) as (url, app):
        yield client, url, app, await _token(client, "m.dupont.escautpont")


async def _subscribed(app: Any, count: int) -> None:
    async with asyncio.timeout(5):
        while app.state.feed.subscribers < count:
            await asyncio.sleep(0.01)


async def test_subscribers_receive_the_publications_they_follow_with_public_data_only(
    gateway: tuple[httpx.AsyncClient, str, Any, str],
) -> None:
    client, url, app, token = gateway
    nord, pas_de_calais, withdrawals = [], [], []  # type: ignore[var-annotated]
    tasks = [
        asyncio.create_task(collect(url, token, {"departements": ["59"], "establishmentIds": [CRECHE]}, nord)),
        asyncio.create_task(collect(url, token, {"departements": ["62"]}, pas_de_calais)),
        asyncio.create_task(collect(url, token, {"types": ["OPERATING_INFO_WITHDRAWN"]}, withdrawals)),
    ]
    try:
        await _subscribed(app, 3)
        day = open_days(1)[0]
        headers = {"authorization": f"Bearer {token}"}
        published = await client.post(
            "/graphql", json={"query": PUBLISH, "variables": {"id": CRECHE, "a": [_entry(day, 2)]}}, headers=headers
        )
        assert published.json()["data"]["publishAvailabilities"]["userErrors"] == []
        async with asyncio.timeout(5):
            while not nord:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # time for a wrongly matching subscriber to get it too
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    [event] = nord
    assert event["type"] == "AVAILABILITIES_PUBLISHED"
    assert (event["establishmentId"], event["departement"], event["communeInsee"]) == (CRECHE, "59", "59207")
    assert event["category"] == "EAJE"
    assert event["data"]["availabilities"] == [
        {"date": day.isoformat(), "slot": "JOURNEE", "places": 2, "age_group": None, "care_kind": "OCCASIONNEL"}
    ]
    text = json.dumps(event)
    assert "Dupont" not in text
    assert "escautpont.example" not in text
    assert "agent" not in text.lower()
    assert pas_de_calais == []
    assert withdrawals == []


async def _subscriptions(
    url: str, init: dict[str, str], count: int, before_subscribing: Callable[[], None] | None = None
) -> Any:
    """A graphql-transport-ws connection with ``count`` subscriptions to the publications."""
    socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)  # type: ignore[list-item]
    await socket.send(json.dumps({"type": "connection_init", "payload": init}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    if before_subscribing is not None:
        before_subscribing()
    for n in range(count):
        subscribe = {"id": str(n), "type": "subscribe", "payload": {"query": "subscription { publications { id } }"}}
        await socket.send(json.dumps(subscribe))
    return socket


async def test_the_subscriptions_a_connection_opens_together_share_one_check_of_the_session(
    gateway: tuple[httpx.AsyncClient, str, Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each subscription checks that the agent's session is still active; ten sent together (as a client
    reconnecting does, 2,000 of them in M1's bench) wait for the check already running instead of one query each.
    The checks are held once the connection is accepted, so all ten ask while the first runs."""
    _client, url, app, token = gateway
    held, released, checks = asyncio.Event(), asyncio.Event(), []
    active_session = sessions.active_session

    async def held_check(*args: Any) -> Any:
        if held.is_set():
            checks.append(1)
            await released.wait()
        return await active_session(*args)

    monkeypatch.setattr(sessions, "active_session", held_check)
    socket = await _subscriptions(url, {"authorization": f"Bearer {token}"}, 10, before_subscribing=held.set)
    async with asyncio.timeout(10):
        while not checks:
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)  # the ten subscribe messages are read meanwhile
    in_flight = len(checks)
    released.set()
    await _subscribed(app, 10)
    await socket.close()

    assert in_flight == 1


async def test_s9_authentication_happens_in_connection_init(gateway: tuple[httpx.AsyncClient, str, Any, str]) -> None:
    _client, url, _app, _token = gateway
    for bad in (None, "not-a-token"):
        with pytest.raises(TransportConnectionFailed) as refused:  # noqa: PT012
            async with Client(transport=transport(url, bad)) as session:
                async for _ in session.subscribe(GraphQLRequest(PUBLICATIONS)):
                    pass
        closed = refused.value.__cause__
        assert isinstance(closed, websockets.ConnectionClosed)
        assert closed.rcvd is not None
        assert (closed.rcvd.code, closed.rcvd.reason) == (4403, "Forbidden")


async def _raw(url: str, subprotocol: str = "graphql-transport-ws", **kwargs: Any) -> Any:
    return await websockets.connect(url, subprotocols=[subprotocol], **kwargs)  # type: ignore[list-item]


async def test_s9_nothing_before_connection_init_and_only_graphql_transport_ws(
    gateway: tuple[httpx.AsyncClient, str, Any, str],
) -> None:
    _client, url, _app, _token = gateway
    subscribe = {"id": "1", "type": "subscribe", "payload": {"query": "subscription { publications { id } }"}}

    early = await _raw(url)
    await early.send(json.dumps(subscribe))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await early.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401  # Unauthorized: subscribe before connection_init

    foreign = {"origin": "https://evil.example"}
    with pytest.raises(websockets.InvalidHandshake):  # a page of another origin may not open it
        await _raw(url, additional_headers=foreign)


@pytest.mark.parametrize("offered", [[], ["graphql-ws"]], ids=["no-subprotocol", "legacy-graphql-ws"])
async def test_a_handshake_without_graphql_transport_ws_is_refused_with_a_readable_reason(
    gateway: tuple[httpx.AsyncClient, str, Any, str], offered: list[str]
) -> None:
    _client, url, _app, _token = gateway

    with pytest.raises(websockets.InvalidStatus) as refused:  # never a 101 the client would then reject (1006)
        await websockets.connect(url, subprotocols=offered or None)  # type: ignore[arg-type]

    response = refused.value.response
    body = json.loads(response.body or b"{}")
    assert response.status_code == 400
    assert body["code"] == "SUBPROTOCOL_NOT_ACCEPTABLE"
    assert body["supported"] == ["graphql-transport-ws"]
    assert "Sec-WebSocket-Protocol: graphql-transport-ws" in body["message"]


@pytest.mark.parametrize(
    "frame",
    ["not json", b"\xff\xfe\x00binary", "[]", '{"type": "subscribe"}', '{"id": "1", "type": "subscribe"}'],
    ids=["not-json", "binary-not-utf8", "array", "no-id", "no-payload"],
)
async def test_r10_a_malformed_message_closes_its_connection_with_4400_and_the_gateway_goes_on(
    gateway: tuple[httpx.AsyncClient, str, Any, str], frame: str | bytes
) -> None:
    _client, url, _app, token = gateway
    connection = await _raw(url)
    await connection.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    assert json.loads(await connection.recv())["type"] == "connection_ack"
    await connection.send(frame)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(connection.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400

    async with Client(transport=transport(url, token)) as session:  # the next subscriber is served as usual
        assert await session.execute(GraphQLRequest("{ __typename }")) == {"__typename": "Query"}


async def test_s9_a_connection_without_init_is_closed_and_the_subscriptions_are_capped(
    sqlite_catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {"connection_init_seconds": 0.5, "subscriptions_per_connection": 2}
    async with (
        _gateway(sqlite_catalogue, tmp_path, monkeypatch, **settings) as client,
        _served(client) as (url, _app),
    ):
        token = await _token(client, "m.dupont.escautpont")
        silent = await _raw(url)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(silent.recv(), 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4408  # connection initialisation timeout

        async with Client(transport=transport(url, token)) as session:
            running = [asyncio.create_task(_first(session)) for _ in range(2)]
            await asyncio.sleep(0.3)
            with pytest.raises(TransportQueryError, match="Subscription limit reached"):
                await asyncio.wait_for(_first(session), 5)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)


async def _first(session: Any) -> Any:
    async for result in session.subscribe(GraphQLRequest(PUBLICATIONS)):
        return result
    return None


EVENTS = """query($after: String, $first: Int!) { events(after: $after, first: $first) {
  edges { cursor node { id cursor type data } } pageInfo { hasNextPage endCursor } } }"""


async def _publish(client: httpx.AsyncClient, token: str, day: Any, places: int) -> None:
    headers = {"authorization": f"Bearer {token}"}
    variables = {"id": CRECHE, "a": [_entry(day, places)]}
    answer = await client.post("/graphql", json={"query": PUBLISH, "variables": variables}, headers=headers)
    assert answer.json()["data"]["publishAvailabilities"]["userErrors"] == []


async def _events(client: httpx.AsyncClient, token: str, **variables: Any) -> Any:
    headers = {"authorization": f"Bearer {token}"}
    return (await client.post("/graphql", json={"query": EVENTS, "variables": variables}, headers=headers)).json()


async def test_polling_pages_through_the_log_with_the_subscription_s_cursors(
    gateway: tuple[httpx.AsyncClient, str, Any, str],
) -> None:
    client, _url, _app, token = gateway
    for places, day in enumerate(open_days(3)):
        await _publish(client, token, day, places)

    first = (await _events(client, token, first=2))["data"]["events"]
    rest = (await _events(client, token, first=2, after=first["pageInfo"]["endCursor"]))["data"]["events"]
    nothing_new = (await _events(client, token, first=2, after=rest["pageInfo"]["endCursor"]))["data"]["events"]
    unknown = await _events(client, token, first=2, after="999")
    malformed = await _events(client, token, first=2, after="bm90IGEgY3Vyc29y")
    anonymous = (await client.post("/graphql", json={"query": EVENTS, "variables": {"first": 2}})).json()

    assert [e["cursor"] for e in first["edges"]] == ["1", "2"]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": "2"}
    assert [e["node"]["data"]["availabilities"][0]["places"] for e in first["edges"] + rest["edges"]] == [0, 1, 2]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": "3"}
    assert nothing_new == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": "3"}}
    assert unknown["errors"][0]["extensions"]["code"] == "UNKNOWN_CURSOR"
    assert "999" in unknown["errors"][0]["message"]
    assert malformed["errors"][0]["extensions"]["code"] == "UNKNOWN_CURSOR"
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_cursor_of_digits_other_than_ascii_is_an_unknown_cursor_not_a_server_error(
    gateway: tuple[httpx.AsyncClient, str, Any, str],
) -> None:
    client, _url, _app, token = gateway
    await _publish(client, token, open_days(1)[0], 2)

    superscript = await _events(client, token, first=2, after="²")  # str.isdigit() is true, int() refuses it (S18)
    arabic_indic = await _events(client, token, first=2, after="١")  # int() reads it as 1

    assert superscript["errors"][0]["extensions"]["code"] == "UNKNOWN_CURSOR"
    assert arabic_indic["errors"][0]["extensions"]["code"] == "UNKNOWN_CURSOR"


async def test_a_subscriber_resuming_with_its_cursor_gets_what_it_missed_then_live_without_gap_or_repeat(
    gateway: tuple[httpx.AsyncClient, str, Any, str],
) -> None:
    client, url, app, token = gateway
    days = open_days(5)
    for places, day in enumerate(days[:3]):  # positions 1, 2, 3 — the subscriber last saw 1
        await _publish(client, token, day, places)
    received: list[dict[str, Any]] = []
    resumed = asyncio.create_task(collect(url, token, {}, received, after="1"))
    try:
        await _subscribed(app, 1)
        await _publish(client, token, days[3], 3)  # live
        await _publish(client, token, days[4], 4)
        async with asyncio.timeout(5):
            while len(received) < 4:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # a repeat would arrive now
    finally:
        resumed.cancel()
        await asyncio.gather(resumed, return_exceptions=True)

    assert [e["cursor"] for e in received] == ["2", "3", "4", "5"]
    assert [e["data"]["availabilities"][0]["places"] for e in received] == [1, 2, 3, 4]
