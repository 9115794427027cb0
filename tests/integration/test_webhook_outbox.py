"""The webhook outbox on real PostgreSQL, delivering over HTTP to loopback endpoints that verify each signature:
fan-out from the publication log, claims, retries, dead letters, replay, and a dispatcher dying between a send and
its record (sent again, with the same webhook-id)."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from gateway.catalogue.tables import cafs
from gateway.integrators.tables import integrators
from gateway.publications.feed import PublicationFilter
from gateway.publications.log import record_publication
from gateway.webhooks import repositories, services
from gateway.webhooks.dispatcher import Dispatcher, DispatchSettings
from gateway.webhooks.policy import DeliveryStatus, UrlPolicy
from gateway.webhooks.sending import HttpSender
from gateway.webhooks.tables import webhook_endpoints
from shared.db import SessionFactory, create_engine, create_session_factory
from shared.events import OperatingInfoWithdrawn, PublicPlace
from shared.sealing import generate_key_pair
from tests.conftest import DatabaseFactory
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.integration
PRIVATE, PUBLIC = generate_key_pair()


async def loopback(_host: str) -> list[str]:
    return ["127.0.0.1"]


CONFIG = services.WebhookConfig(PUBLIC, UrlPolicy(allow_loopback=True), resolver=loopback)


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Awaitable[WebhookReceiver]]]:
    """Starts loopback endpoints on demand (``WebhookReceiver``'s options), stopped after the test."""
    started: list[WebhookReceiver] = []

    async def start(**options: Any) -> WebhookReceiver:
        receiver = WebhookReceiver(**options)
        await receiver.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.stop()


@pytest.fixture
async def sessions(pg_database: DatabaseFactory) -> AsyncIterator[SessionFactory]:
    engine = create_engine(await pg_database("gateway"))
    factory = create_session_factory(engine)
    async with factory() as session, session.begin():
        await session.execute(cafs.insert().values(code="CAF59", label="Caf du Nord"))
        await session.execute(
            integrators.insert().values(
                id="i-1", name="Portail", contact_email="p@exemple.fr", caf_code="CAF59", departements=["59"],
                created_by="A1", created_at=datetime.now(UTC),
            )
        )  # fmt: skip
    yield factory
    await engine.dispose()


async def publish(sessions: SessionFactory, departement: str = "59") -> str:
    place = PublicPlace(departement=departement, commune_insee=f"{departement}001", category="EAJE")
    data = OperatingInfoWithdrawn(establishment_id=uuid.uuid4(), place=place, version=1, withdrawn_at=datetime.now(UTC))
    async with sessions() as session, session.begin():
        return (await record_publication(session, data, source="test", signal=None)).id


async def register(sessions: SessionFactory, receiver: WebhookReceiver, departement: str = "59") -> str:
    """The receiver registered as an endpoint following that département, its secret given to it."""
    departements = frozenset({departement})
    async with sessions() as session, session.begin():
        registered = await services.register_endpoint(
            session, CONFIG, integrator_id="i-1", url=receiver.url,
            wanted=PublicationFilter(departements=departements), now=datetime.now(UTC),
        )  # fmt: skip
    assert not isinstance(registered, list)
    receiver.secret = registered[1]
    return registered[0].id


@pytest.fixture
async def dispatcher(sessions: SessionFactory) -> AsyncIterator[Callable[..., Dispatcher]]:
    """Makes dispatchers posting over HTTP, loopback allowed (the policy refuses it in production); their
    connections are closed after the test."""
    senders: list[HttpSender] = []

    def make(**overrides: object) -> Dispatcher:
        senders.append(HttpSender(UrlPolicy(allow_loopback=True), timeout_seconds=2.0, connections=2))
        return Dispatcher(sessions, senders[-1], DispatchSettings(PRIVATE, **overrides))  # type: ignore[arg-type]

    yield make
    for sender in senders:
        await sender.close()


Receivers = Callable[..., Awaitable[WebhookReceiver]]


async def statuses(sessions: SessionFactory, endpoint_id: str) -> list[tuple[DeliveryStatus, int]]:
    async with sessions() as session:
        found, _total = await repositories.list_deliveries(session, endpoint_id, None, offset=0, limit=50)
    return [(d.status, d.attempts) for d in found]


async def run_sends(one: Dispatcher) -> None:
    assert await one.claim_once()
    await asyncio.gather(*one._tasks)


async def test_a_dispatcher_killed_before_recording_leaves_the_delivery_to_be_sent_again_with_its_id(
    sessions: SessionFactory, receivers: Receivers, dispatcher: Callable[..., Dispatcher]
) -> None:
    receiver_59, receiver_62 = await receivers(), await receivers()
    await publish(sessions)  # before the registration: never sent
    endpoint_59 = await register(sessions, receiver_59)
    endpoint_62 = await register(sessions, receiver_62, "62")
    await publish(sessions)
    await publish(sessions, "62")
    first = dispatcher(lease=timedelta(seconds=0.5))
    assert await first.fan_out_once()
    assert await statuses(sessions, endpoint_59) == [(DeliveryStatus.PENDING, 0)]
    assert await statuses(sessions, endpoint_62) == [(DeliveryStatus.PENDING, 0)]

    await run_sends(first)  # sent, then « killed »: its outcomes are never recorded
    second = dispatcher(lease=timedelta(seconds=0.5))
    assert not await second.claim_once()  # still leased to the dead dispatcher
    await asyncio.sleep(0.6)
    await run_sends(second)
    await second.flush()

    assert await statuses(sessions, endpoint_59) == [(DeliveryStatus.DELIVERED, 1)]
    assert await statuses(sessions, endpoint_62) == [(DeliveryStatus.DELIVERED, 1)]
    for receiver in (receiver_59, receiver_62):  # its publication twice, verified, with the same webhook-id
        assert len(receiver.received) == 2
        assert len({r.webhook_id for r in receiver.received}) == 1


async def test_a_failing_endpoint_is_retried_then_dead_then_replayed(
    sessions: SessionFactory, receivers: Receivers, dispatcher: Callable[..., Dispatcher]
) -> None:
    receiver = await receivers(status=500)
    endpoint_id = await register(sessions, receiver)
    await publish(sessions)
    one = dispatcher(schedule=(timedelta(seconds=0.1), timedelta(seconds=0.1)))
    await one.fan_out_once()
    for attempts in (1, 2):
        await run_sends(one)
        await one.flush()
        assert await statuses(sessions, endpoint_id) == [(DeliveryStatus.PENDING, attempts)]
        assert not await one.claim_once()  # not due before its wait
        await asyncio.sleep(0.15)
    await run_sends(one)
    await one.flush()
    assert await statuses(sessions, endpoint_id) == [(DeliveryStatus.DEAD, 3)]
    assert len(receiver.attempts) == 3
    assert len(set(receiver.attempts)) == 1

    receiver.status = 200
    async with sessions() as session, session.begin():
        assert await repositories.replay_dead(session, endpoint_id, datetime.now(UTC)) == 1
    await run_sends(one)
    await one.flush()
    assert await statuses(sessions, endpoint_id) == [(DeliveryStatus.DELIVERED, 1)]
    assert [r.webhook_id for r in receiver.received] == receiver.attempts[:1]  # the same webhook-id, replayed


async def test_an_endpoint_not_yet_answering_holds_no_more_than_its_requests_and_a_stop_leaves_the_rest_leased(
    sessions: SessionFactory, receivers: Receivers, dispatcher: Callable[..., Dispatcher]
) -> None:
    receiver = await receivers(hold=asyncio.Event())
    endpoint_id = await register(sessions, receiver)
    for _ in range(6):
        await publish(sessions)
    one = dispatcher(per_endpoint=2, lease=timedelta(seconds=30))
    await one.fan_out_once()
    assert await one.claim_once()
    assert not await one.claim_once()  # its two requests are still out: nothing more is claimed for it
    assert len(one._tasks) == 2
    one._pace[endpoint_id] = 0.001  # as if it had answered fast: it may hold a batch, queued behind its 2 requests
    assert await one.claim_once()
    assert len(one._tasks) == 6

    stop = asyncio.Event()
    stop.set()
    assert receiver.hold is not None
    receiver.hold.set()
    await one.run(stop)  # finishes the requests in flight and records them; the queued ones are not sent
    assert len(receiver.received) == 2
    assert sorted(await statuses(sessions, endpoint_id)) == [
        *[(DeliveryStatus.DELIVERED, 1)] * 2,
        *[(DeliveryStatus.PENDING, 0)] * 4,
    ]


def test_an_endpoint_holds_what_it_can_send_within_a_quarter_of_the_lease() -> None:
    sender = HttpSender(UrlPolicy(), timeout_seconds=2.0, connections=4)
    one = Dispatcher(None, sender, DispatchSettings(PRIVATE, per_endpoint=4, lease=timedelta(seconds=30)))  # type: ignore[arg-type]
    assert one.room("never-sent-to") == 4
    one._pace["fast"], one._pace["slow"], one._pace["timing-out"] = 0.004, 2.0, 5.0
    assert one.room("fast") == 4 * one.settings.claim_factor  # 32 rows: a batch per claim
    assert one.room("slow") == 15  # 4 at a time for 7.5 s at 2 s each
    assert one.room("timing-out") == 6


async def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(
    sessions: SessionFactory, receivers: Receivers, dispatcher: Callable[..., Dispatcher]
) -> None:
    receiver = await receivers(keep_raw=True)
    endpoint_id = await register(sessions, receiver)
    old_secret = receiver.secret
    assert old_secret is not None
    async with sessions() as session, session.begin():
        endpoint = await repositories.get_endpoint(session, endpoint_id, "i-1")
        assert endpoint is not None
        new_secret = await services.rotate_secret(session, CONFIG, endpoint, datetime.now(UTC))
    assert isinstance(new_secret, str)
    receiver.secret = new_secret  # the integrator has switched: it verifies with the new one
    one = dispatcher()
    await publish(sessions)
    await one.fan_out_once()
    await run_sends(one)
    body, headers = receiver.raw[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old_secret).verify(body, headers)  # an integrator not yet switched accepts it
    Webhook(new_secret).verify(body, headers)

    async with sessions() as session, session.begin():  # 24 hours later
        await session.execute(
            webhook_endpoints.update().values(previous_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    await publish(sessions)
    await one.fan_out_once()
    await run_sends(one)
    body, headers = receiver.raw[-1]
    assert len(headers["webhook-signature"].split(" ")) == 1
    Webhook(new_secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(body, headers)
    assert len(receiver.received) == 2  # both verified and answered 200 by the endpoint


async def test_finished_deliveries_are_purged_after_the_retention_and_pending_ones_never(
    sessions: SessionFactory, receivers: Receivers, dispatcher: Callable[..., Dispatcher]
) -> None:
    receiver = await receivers()
    endpoint_id = await register(sessions, receiver)
    await publish(sessions)
    one = dispatcher(retention=timedelta(seconds=-5))  # everything is older than that
    await one.fan_out_once()
    await run_sends(one)
    await one.flush()
    await publish(sessions)
    await one.fan_out_once()  # due, not sent yet
    assert sorted(await statuses(sessions, endpoint_id)) == [(DeliveryStatus.DELIVERED, 1), (DeliveryStatus.PENDING, 0)]
    assert not await one.purge_once()  # fewer than a batch: nothing more to purge
    assert await statuses(sessions, endpoint_id) == [(DeliveryStatus.PENDING, 0)]
