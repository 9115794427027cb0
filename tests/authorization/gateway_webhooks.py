"""Matrix specs of integrators' webhooks: only the integrator (API key) registers, rotates, disables, replays and
reads its own endpoints and delivery log; agents are refused."""

import uuid
from datetime import UTC, datetime
from typing import Any

from gateway.publications.feed import PublicationFilter
from gateway.webhooks import repositories
from gateway.webhooks.policy import DeliveryStatus
from gateway.webhooks.signing import new_secret
from gateway.webhooks.tables import webhook_deliveries
from shared.sealing import seal
from tests.authorization.specs import Answer, Spec, column, reuse, scalar
from tests.authorization.world import WEBHOOK_SEALING_KEY, Identity, World

URL = "http://127.0.0.1:9/hook"


async def _new_endpoint(world: World, integrator_key: str = "integrator CAF59", *, dead: bool = False) -> str:
    endpoint_id, now = str(uuid.uuid4()), datetime.now(UTC)
    async with world.transaction() as session:
        await repositories.add_endpoint(
            session, endpoint_id=endpoint_id, integrator_id=world.targets[integrator_key], url=URL,
            wanted=PublicationFilter(departements=frozenset({"59"})),
            sealed_secret=seal(new_secret(), WEBHOOK_SEALING_KEY[1]), now=now,
        )  # fmt: skip
        status = DeliveryStatus.DEAD if dead else DeliveryStatus.DELIVERED
        await session.execute(
            webhook_deliveries.insert().values(
                webhook_id=f"msg_{uuid.uuid4().hex}", endpoint_id=endpoint_id, position=1, status=status.value,
                attempts=6 if dead else 1, next_attempt_at=now, created_at=now,
            )
        )  # fmt: skip
    world.mark("INTEGRATOR59" if integrator_key.endswith("CAF59") else "INTEGRATOR62", endpoint_id)
    return endpoint_id


async def _endpoint(world: World, _identity: Identity) -> dict[str, Any]:
    return {"id": await reuse(world, "webhook endpoint", lambda _: True, lambda: _new_endpoint(world))}


async def _enabled_endpoint(world: World, _identity: Identity) -> dict[str, Any]:
    enabled = "SELECT disabled_at FROM webhook_endpoints WHERE id = ?"
    fresh = lambda endpoint: scalar(world, "gateway", enabled, endpoint) is None  # noqa: E731
    return {"id": await reuse(world, "enabled webhook endpoint", fresh, lambda: _new_endpoint(world))}


async def _dead_delivery(world: World, _identity: Identity) -> dict[str, Any]:
    dead = "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'DEAD'"
    fresh = lambda endpoint: scalar(world, "gateway", dead, endpoint) == 1  # noqa: E731
    return {"id": await reuse(world, "dead webhook", fresh, lambda: _new_endpoint(world, dead=True))}


async def _endpoints_of_both(world: World, _identity: Identity) -> dict[str, Any]:
    await reuse(world, "webhook endpoint", lambda _: True, lambda: _new_endpoint(world))
    await reuse(world, "webhook endpoint 62", lambda _: True, lambda: _new_endpoint(world, "integrator CAF62"))
    return {}


async def _registration(_world: World, _identity: Identity) -> dict[str, Any]:
    return {"url": URL}


def _own_endpoints_query() -> str:
    return "SELECT id FROM webhook_endpoints WHERE integrator_id = ?"


async def _own_endpoints(answer: Answer) -> None:
    own = column(answer.world, "gateway", _own_endpoints_query(), answer.world.targets["integrator CAF59"])
    assert own, answer.body
    assert {edge["node"]["id"] for edge in answer.payload["edges"]} == own


async def _own_deliveries(answer: Answer) -> None:
    logged = "SELECT webhook_id FROM webhook_deliveries WHERE endpoint_id = ?"
    own = column(answer.world, "gateway", logged, answer.variables["id"])
    assert own, answer.body
    assert {edge["node"]["webhookId"] for edge in answer.payload["edges"]} == own


async def _registered(answer: Answer) -> None:
    payload = answer.payload
    assert payload["userErrors"] == [], answer.body
    assert payload["secret"].startswith("whsec_")
    owner = "SELECT integrator_id FROM webhook_endpoints WHERE id = ?"
    assert scalar(answer.world, "gateway", owner, payload["endpoint"]["id"]) == answer.world.targets["integrator CAF59"]
    answer.world.mark("INTEGRATOR59", payload["secret"], payload["endpoint"]["id"])


async def _rotated(answer: Answer) -> None:
    assert answer.payload["secret"].startswith("whsec_"), answer.body
    rotated = "SELECT rotated_at FROM webhook_endpoints WHERE id = ?"
    assert scalar(answer.world, "gateway", rotated, answer.variables["id"]) is not None
    answer.world.mark("INTEGRATOR59", answer.payload["secret"])


async def _disabled(answer: Answer) -> None:
    assert answer.payload["endpoint"]["disabledAt"], answer.body
    disabled = "SELECT disabled_at FROM webhook_endpoints WHERE id = ?"
    assert scalar(answer.world, "gateway", disabled, answer.variables["id"]) is not None


async def _replayed(answer: Answer) -> None:
    assert answer.payload == {"replayed": 1, "userErrors": []}, answer.body
    pending = "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'PENDING'"
    assert scalar(answer.world, "gateway", pending, answer.variables["id"]) == 1


WEBHOOKS: dict[str, Spec] = {
    "Query.webhookEndpoints": Spec(
        "{ webhookEndpoints(first: 50) { totalCount edges { node { id url disabledAt filter { departements } } } } }",
        _endpoints_of_both,
        own=_own_endpoints,
    ),
    "Query.webhookDeliveries": Spec(
        """query($id: ID!) { webhookDeliveries(endpointId: $id, first: 50) { totalCount edges { node { webhookId
      cursor status attempts lastStatusCode lastError } } } }""",
        _endpoint,
        own=_own_deliveries,
    ),
    "Mutation.registerWebhookEndpoint": Spec(
        """mutation($url: String!) { registerWebhookEndpoint(input: {url: $url, filter: {departements: ["59"]}}) {
      endpoint { id url } secret userErrors { code } } }""",
        _registration,
        _registered,
    ),
    "Mutation.rotateWebhookSecret": Spec(
        """mutation($id: ID!) { rotateWebhookSecret(endpointId: $id) { endpoint { id } secret
      userErrors { code } } }""",
        _endpoint,
        _rotated,
    ),
    "Mutation.disableWebhookEndpoint": Spec(
        """mutation($id: ID!) { disableWebhookEndpoint(endpointId: $id) { endpoint { id disabledAt } secret
      userErrors { code } } }""",
        _enabled_endpoint,
        _disabled,
    ),
    "Mutation.replayWebhookDeliveries": Spec(
        "mutation($id: ID!) { replayWebhookDeliveries(endpointId: $id) { replayed userErrors { code } } }",
        _dead_delivery,
        _replayed,
    ),
}
