"""The rules of webhook delivery, pure: retry schedule, endpoint addresses, delivery ids.

No framework here: the repositories, the dispatcher and the GraphQL layer apply these rules.
"""

import ipaddress
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlsplit

RETRY_SCHEDULE: tuple[timedelta, ...] = tuple(
    timedelta(seconds=s) for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600)
)
"""Waits after the 1st, 2nd… failed attempt: about 17.6 h of waiting in all, ≈ 24 h with jitter and timeouts at the
end of the tail; after the last failure the delivery is dead (dead-letter list, replayable)."""

JITTER = 0.2
"""Each wait is drawn within ±20 % so that the deliveries of an endpoint that came back do not all retry at once."""

MAX_URL_LENGTH = 2000


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    """Due at ``next_attempt_at`` (also while an attempt is in flight: its lease ends then)."""
    DELIVERED = "DELIVERED"
    DEAD = "DEAD"
    """Every attempt of the schedule failed: in the dead-letter list until replayed."""


def next_wait(
    failures: int, schedule: Sequence[timedelta] = RETRY_SCHEDULE, *, rng: random.Random | None = None
) -> timedelta | None:
    """The wait before the next attempt after ``failures`` failed ones (≥ 1); None when the delivery is dead."""
    if failures < 1 or failures > len(schedule):
        return None
    spread = (rng or random).uniform(-JITTER, JITTER)
    return schedule[failures - 1] * (1 + spread)


def webhook_id(endpoint_id: str, event_id: str) -> str:
    """The ``webhook-id`` of one publication for one endpoint: the same at every attempt, after a crash, and after a
    replay, so that the integrator can drop what it already processed (at-least-once delivery)."""
    return "msg_" + uuid.uuid5(uuid.UUID(endpoint_id), event_id).hex


class UrlProblem(StrEnum):
    INVALID = "L'adresse doit être une URL complète (https://exemple.fr/webhooks)."
    NOT_HTTPS = "L'adresse doit commencer par https://."
    TOO_LONG = f"L'adresse est trop longue ({MAX_URL_LENGTH} caractères au plus)."
    CREDENTIALS = "L'adresse ne doit pas contenir d'identifiant ni de mot de passe."
    UNRESOLVED = "Le nom de l'hôte ne se résout pas."
    NOT_PUBLIC = "L'adresse doit être publique (ni locale, ni privée, ni réservée)."


@dataclass(frozen=True)
class UrlPolicy:
    """Which endpoint addresses are accepted: https to public addresses only, unless the operator allows plain http
    to loopback (tests, benchmarks — never in production)."""

    allow_loopback: bool = False

    def host_problem(self, url: str) -> tuple[str, UrlProblem | None]:
        """The host to resolve, and what is wrong with ``url`` before resolving it (None: nothing yet)."""
        if len(url) > MAX_URL_LENGTH:
            return "", UrlProblem.TOO_LONG
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            parts.port  # noqa: B018 - raises ValueError on a port out of range
        except ValueError:
            return "", UrlProblem.INVALID
        if not host or parts.scheme not in ("http", "https"):
            return "", UrlProblem.INVALID
        if parts.username is not None or parts.password is not None:
            return host, UrlProblem.CREDENTIALS
        if parts.scheme != "https" and not (self.allow_loopback and _is_loopback_name(host)):
            return host, UrlProblem.NOT_HTTPS
        return host, None

    def address_problem(self, addresses: Iterable[str]) -> UrlProblem | None:
        """What is wrong with the addresses the host resolved to (every one must be allowed)."""
        found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
        if not found:
            return UrlProblem.UNRESOLVED
        if all(self._allowed(address) for address in found):
            return None
        return UrlProblem.NOT_PUBLIC

    def _allowed(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return self._allowed(address.ipv4_mapped)
        if address.is_loopback:
            return self.allow_loopback
        return address.is_global and not (
            address.is_private or address.is_link_local or address.is_multicast or address.is_reserved
            or address.is_unspecified
        )  # fmt: skip


def _is_loopback_name(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
