"""Webhook use cases for integrators: register, rotate, disable, replay, read the delivery log.

One transaction each; the caller commits. The signing secret is returned in clear once (registration, rotation)
and stored only sealed for the dispatcher.
"""

import asyncio
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.publications.feed import PublicationFilter
from gateway.user_errors import UserError
from gateway.webhooks import repositories
from gateway.webhooks.policy import UrlPolicy
from gateway.webhooks.repositories import Endpoint
from gateway.webhooks.signing import new_secret
from shared.sealing import public_key_of, seal

Resolver = Callable[[str], Awaitable[list[str]]]
"""A host name → the addresses it resolves to (empty when it does not)."""

MAX_ENDPOINTS = 10
ROTATION_OVERLAP = timedelta(hours=24)
"""After a rotation, the previous secret signs too for this long: time for the integrator to switch."""
"""Endpoints one integrator may have enabled at once."""


async def resolve(host: str) -> list[str]:
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in found})


@dataclass(frozen=True)
class WebhookConfig:
    """What the gateway needs to register endpoints, built once from the settings."""

    sealing_public_key: str | None
    policy: UrlPolicy
    unavailable: str | None = None
    """Why webhooks are off in this deployment (in French, for the integrator), or None."""
    resolver: Resolver = resolve


def webhook_config(*, sealing_key: str | None, allow_loopback: bool, production: bool) -> WebhookConfig:
    """The gateway's webhook configuration: off without the sealing key (the embedded default has none, and no
    dispatcher: ``structures webhooks`` needs PostgreSQL)."""
    if not sealing_key:
        unavailable = "Webhooks non configurés sur ce service (mode embarqué, ou clé de scellement absente)."
        return WebhookConfig(None, UrlPolicy(), unavailable)
    policy = UrlPolicy(allow_loopback=allow_loopback and not production)
    return WebhookConfig(public_key_of(sealing_key), policy)


async def url_problems(config: WebhookConfig, url: str) -> list[UserError]:
    host, problem = config.policy.host_problem(url)
    if problem is None:
        problem = config.policy.address_problem(await config.resolver(host))
    return [] if problem is None else [UserError("url", problem.name, problem.value)]


async def register_endpoint(
    session: AsyncSession, config: WebhookConfig, *, integrator_id: str, url: str, wanted: PublicationFilter,
    now: datetime,
) -> tuple[Endpoint, str] | list[UserError]:  # fmt: skip
    """A new endpoint and its secret (to show once), or why not."""
    if config.unavailable or config.sealing_public_key is None:
        return [UserError("url", "UNAVAILABLE", config.unavailable or "Webhooks indisponibles.")]
    errors = await url_problems(config, url)
    enabled = [e for e in await repositories.list_endpoints(session, integrator_id) if e.disabled_at is None]
    if len(enabled) >= MAX_ENDPOINTS:
        errors.append(UserError("url", "TOO_MANY", f"{MAX_ENDPOINTS} adresses actives au plus : désactivez-en une."))
    if errors:
        return errors
    secret, endpoint_id = new_secret(), str(uuid.uuid4())
    await repositories.add_endpoint(
        session, endpoint_id=endpoint_id, integrator_id=integrator_id, url=url, wanted=wanted,
        sealed_secret=seal(secret, config.sealing_public_key), now=now,
    )  # fmt: skip
    endpoint = await repositories.get_endpoint(session, endpoint_id, integrator_id)
    assert endpoint is not None
    return endpoint, secret


async def rotate_secret(
    session: AsyncSession, config: WebhookConfig, endpoint: Endpoint, now: datetime
) -> str | list[UserError]:
    """A new secret for the endpoint: every delivery from now on is signed with it, and also with the old one for
    :data:`ROTATION_OVERLAP` (two signatures in one header, as the Standard Webhooks specification provides), so
    that the integrator can switch its verifier without refusing a delivery."""
    if config.unavailable or config.sealing_public_key is None:
        return [UserError("endpointId", "UNAVAILABLE", config.unavailable or "Webhooks indisponibles.")]
    secret = new_secret()
    await repositories.set_secret(session, endpoint.id, seal(secret, config.sealing_public_key), now, ROTATION_OVERLAP)
    return secret
