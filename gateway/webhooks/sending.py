"""POSTing signed deliveries over HTTP with aiohttp: one small connection pool per endpoint, the URL policy applied
again at each connection.

aiohttp rather than httpx here: W1 measured httpx at ~0.8–1 ms of CPU per POST on this machine, half of what the
dispatcher spent; aiohttp's client costs ~0.12 ms for the same keep-alive request (W1, bench/README.md).

The address policy is checked at registration, but a name can resolve elsewhere later (DNS rebinding): the
connector's resolver keeps only the addresses the policy allows, so a delivery never connects to a private or
loopback address it would have refused at registration.
"""

import errno
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from gateway.webhooks.policy import UrlPolicy

MAX_ANSWER_BYTES = 64 * 1024
"""An answer's body is read (so that its connection is kept) up to this size; a larger one closes the connection."""

USER_AGENT = "structures-webhooks/1 (monenfant.fr espace partenaires)"


class DeliveryError(Exception):
    """No HTTP answer: refused address, connection or TLS failure, timeout. Its text is the attempt's error."""


class PolicyResolver(AbstractResolver):
    """Resolves with ``inner`` and keeps only the addresses ``policy`` allows; none left is a connection error."""

    def __init__(self, policy: UrlPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        allowed = [result for result in found if self._policy.address_problem([result["host"]]) is None]
        if not allowed:
            raise OSError(errno.EADDRNOTAVAIL, f"{host} : aucune adresse autorisée par la politique des webhooks")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


@dataclass
class HttpSender:
    """Sends deliveries: short timeouts, no redirects (a redirect could lead anywhere the policy refuses), no proxy or
    cookies, at most ``connections`` per endpoint. The TLS context (the CA bundle, slow to load) is built once."""

    policy: UrlPolicy
    timeout_seconds: float
    connections: int
    resolver: AbstractResolver | None = None
    """Tests give one that maps names to loopback; by default the system's, behind the policy."""
    _sessions: dict[str, aiohttp.ClientSession] = field(default_factory=dict)
    _literal_verdicts: dict[str, bool] = field(default_factory=dict)
    _tls: ssl.SSLContext = field(default_factory=ssl.create_default_context)

    async def post(self, endpoint_id: str, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """The answer's status; :class:`DeliveryError` when there is none."""
        if not self._literal_allowed(url):
            raise DeliveryError("adresse refusée par la politique des webhooks")
        try:
            sending = self._session(endpoint_id).post(url, data=body, headers=headers, allow_redirects=False)
            async with sending as answer:
                if answer.content_length is not None and answer.content_length <= MAX_ANSWER_BYTES:
                    await answer.read()  # read, the connection is kept for the next delivery
                return answer.status
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()

    def _session(self, endpoint_id: str) -> aiohttp.ClientSession:
        session = self._sessions.get(endpoint_id)
        if session is None:
            resolver = PolicyResolver(self.policy, self.resolver)
            connector = aiohttp.TCPConnector(limit=self.connections, ssl=self._tls, resolver=resolver)
            timeout = aiohttp.ClientTimeout(total=self.timeout_seconds, sock_connect=min(2.0, self.timeout_seconds))
            session = self._sessions[endpoint_id] = aiohttp.ClientSession(
                connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
                headers={"user-agent": USER_AGENT}, trust_env=False,
            )  # fmt: skip
        return session

    def _literal_allowed(self, url: str) -> bool:
        """An address written in the URL is never resolved, so the resolver cannot refuse it: the policy is applied
        to it here (once per URL)."""
        verdict = self._literal_verdicts.get(url)
        if verdict is None:
            host, problem = self.policy.host_problem(url)
            verdict = problem is None and (not _is_address(host) or self.policy.address_problem([host]) is None)
            self._literal_verdicts[url] = verdict
        return verdict


def _is_address(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True
