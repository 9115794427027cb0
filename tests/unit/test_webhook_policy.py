"""Webhook rules: the retry schedule, the endpoint address policy, stable ids and Standard Webhooks signatures."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from gateway.webhooks.policy import RETRY_SCHEDULE, UrlPolicy, UrlProblem, next_wait, webhook_id
from gateway.webhooks.services import WebhookConfig, url_problems, webhook_config
from gateway.webhooks.signing import new_secret, signed_headers
from shared.sealing import generate_key_pair


def test_each_failure_waits_its_step_of_the_schedule_within_the_jitter() -> None:
    rng = random.Random(7)
    for failures, step in enumerate(RETRY_SCHEDULE, start=1):
        wait = next_wait(failures, rng=rng)
        assert wait is not None
        assert step * 0.8 <= wait <= step * 1.2


def test_the_schedule_spans_about_a_day_then_the_delivery_is_dead() -> None:
    assert timedelta(hours=15) <= sum(RETRY_SCHEDULE, timedelta()) <= timedelta(hours=24)
    assert next_wait(len(RETRY_SCHEDULE) + 1) is None
    assert next_wait(1, (timedelta(seconds=1),)) is not None
    assert next_wait(2, (timedelta(seconds=1),)) is None


def test_jitter_spreads_the_retries_of_one_step() -> None:
    rng = random.Random(1)
    assert len({next_wait(1, rng=rng) for _ in range(20)}) == 20


def test_the_webhook_id_is_stable_per_endpoint_and_publication() -> None:
    endpoint, other = str(uuid.uuid4()), str(uuid.uuid4())
    assert webhook_id(endpoint, "event-1") == webhook_id(endpoint, "event-1")
    assert len({webhook_id(endpoint, "event-1"), webhook_id(endpoint, "event-2"), webhook_id(other, "event-1")}) == 3
    assert webhook_id(endpoint, "event-1").startswith("msg_")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://hooks.exemple.fr/structures", None),
        ("http://hooks.exemple.fr/structures", UrlProblem.NOT_HTTPS),
        ("http://127.0.0.1:9000/hook", UrlProblem.NOT_HTTPS),
        ("ftp://hooks.exemple.fr/", UrlProblem.INVALID),
        ("hooks.exemple.fr", UrlProblem.INVALID),
        ("https://exemple.fr:99999/", UrlProblem.INVALID),
        ("https://user:pw@hooks.exemple.fr/", UrlProblem.CREDENTIALS),
        ("https://exemple.fr/" + "a" * 2000, UrlProblem.TOO_LONG),
    ],
)
def test_only_complete_https_urls_without_credentials_pass(url: str, problem: UrlProblem | None) -> None:
    assert UrlPolicy().host_problem(url)[1] is problem


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "224.0.0.1", "240.0.0.1", "0.0.0.0",
     "::1", "fe80::1%eth0", "fc00::1", "::ffff:127.0.0.1", "100.64.0.1"],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert UrlPolicy().address_problem([address]) is UrlProblem.NOT_PUBLIC


def test_a_host_is_refused_when_any_of_its_addresses_is_not_public() -> None:
    assert UrlPolicy().address_problem(["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]) is None
    assert UrlPolicy().address_problem(["93.184.215.14", "10.0.0.1"]) is UrlProblem.NOT_PUBLIC
    assert UrlPolicy().address_problem([]) is UrlProblem.UNRESOLVED


def test_loopback_over_http_only_when_the_operator_allows_it() -> None:
    allowing = UrlPolicy(allow_loopback=True)
    assert allowing.host_problem("http://127.0.0.1:9000/hook")[1] is None
    assert allowing.host_problem("http://localhost:9000/hook")[1] is None
    assert allowing.host_problem("http://hooks.exemple.fr/")[1] is UrlProblem.NOT_HTTPS
    assert allowing.address_problem(["127.0.0.1"]) is None
    assert allowing.address_problem(["192.168.1.1"]) is UrlProblem.NOT_PUBLIC


def test_signed_headers_verify_with_the_packages_own_verifier() -> None:
    secret, body = new_secret(), '{"type": "x", "data": {}}'
    headers = signed_headers([Webhook(secret)], webhook_id="msg_1", at=datetime.now(UTC), body=body)
    assert secret.startswith("whsec_")
    assert Webhook(secret).verify(body, headers) == {"type": "x", "data": {}}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("x", "y"), headers)


def test_without_the_sealing_key_webhooks_are_off_and_say_why() -> None:
    config = webhook_config(sealing_key=None, allow_loopback=True, production=False)
    assert config.unavailable is not None
    assert "non configurés" in config.unavailable


def test_production_never_allows_loopback_whatever_the_setting() -> None:
    private, _public = generate_key_pair()
    assert webhook_config(sealing_key=private, allow_loopback=True, production=False).policy.allow_loopback
    assert not webhook_config(sealing_key=private, allow_loopback=True, production=True).policy.allow_loopback


async def test_a_name_resolving_to_a_private_address_is_refused_at_the_url_field() -> None:
    async def private_resolver(_host: str) -> list[str]:
        return ["10.0.0.7"]

    config = WebhookConfig(generate_key_pair()[1], UrlPolicy(), resolver=private_resolver)
    [error] = await url_problems(config, "https://hooks.exemple.fr/structures")
    assert (error.field, error.code) == ("url", "NOT_PUBLIC")
    assert error.message == UrlProblem.NOT_PUBLIC.value
