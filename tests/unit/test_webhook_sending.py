"""The webhook sender on real loopback HTTP: signed POSTs on kept connections, and the URL policy applied again when
connecting (a name that resolves to a refused address later — DNS rebinding — is never connected to)."""

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from standardwebhooks import Webhook

from gateway.webhooks.policy import UrlPolicy
from gateway.webhooks.sending import DeliveryError, HttpSender
from gateway.webhooks.signing import new_secret, signed_headers
from tests.webhook_receiver import WebhookReceiver

BODY = '{"type":"operating_info.withdrawn","timestamp":"2026-12-03T10:00:00+00:00","data":{"id":"e-1"}}'


class ToLoopback(AbstractResolver):
    """Every name resolves to 127.0.0.1, as a rebinding attacker's DNS would answer at delivery time."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [ResolveResult(hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET, proto=0, flags=0)]

    async def close(self) -> None:
        pass


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(secret=new_secret())
    await receiver.start()
    yield receiver
    await receiver.stop()


def headers_for(receiver: WebhookReceiver, webhook_id: str) -> dict[str, str]:
    assert receiver.secret is not None
    return signed_headers([Webhook(receiver.secret)], webhook_id=webhook_id, at=datetime.now(UTC), body=BODY)


async def test_signed_posts_are_verified_by_the_endpoint_on_one_kept_connection(receiver: WebhookReceiver) -> None:
    sender = HttpSender(UrlPolicy(allow_loopback=True), timeout_seconds=2.0, connections=1)
    try:
        for n in range(3):
            assert await sender.post("e-1", receiver.url, BODY.encode(), headers_for(receiver, f"msg_{n}")) == 200
    finally:
        await sender.close()
    assert [r.webhook_id for r in receiver.received] == ["msg_0", "msg_1", "msg_2"]
    assert receiver.connections == 1


async def test_a_name_resolving_to_loopback_at_delivery_time_is_not_connected_to(receiver: WebhookReceiver) -> None:
    production = HttpSender(UrlPolicy(), timeout_seconds=2.0, connections=1, resolver=ToLoopback())
    url = f"https://hooks.exemple.fr:{receiver.port}/hook"
    try:
        with pytest.raises(DeliveryError, match="politique des webhooks"):
            await production.post("e-1", url, BODY.encode(), headers_for(receiver, "msg_1"))
    finally:
        await production.close()
    assert receiver.connections == 0


async def test_an_address_in_the_url_is_checked_against_the_policy(receiver: WebhookReceiver) -> None:
    production = HttpSender(UrlPolicy(), timeout_seconds=2.0, connections=1)
    try:
        with pytest.raises(DeliveryError, match="refusée"):
            await production.post("e-1", receiver.url, BODY.encode(), headers_for(receiver, "msg_1"))
    finally:
        await production.close()
    assert receiver.connections == 0


async def test_an_endpoint_answering_too_late_is_a_failed_attempt() -> None:
    slow = WebhookReceiver(secret=new_secret(), delay=1.0)
    await slow.start()
    sender = HttpSender(UrlPolicy(allow_loopback=True), timeout_seconds=0.2, connections=1)
    try:
        with pytest.raises(DeliveryError, match="Timeout"):
            await sender.post("e-1", slow.url, BODY.encode(), headers_for(slow, "msg_1"))
    finally:
        await sender.close()
        await slow.stop()
