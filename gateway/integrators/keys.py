"""API keys: ``stk_<id>_<secret>``, 128-bit random secrets, kept as SHA-256 only, and a per-key rate limit.

A slow password hash is pointless for a random 128-bit secret (nothing to guess from a dictionary); SHA-256 keeps
the per-request check cheap. The id (before the secret) finds the row; the secret is compared in constant time.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

PREFIX = "stk"


@dataclass(frozen=True)
class NewKey:
    id: str
    secret: str
    """The whole key, shown once to the Caf agent who created it, never stored."""

    @property
    def hash(self) -> str:
        return secret_hash(self.secret)


def new_key() -> NewKey:
    key_id = secrets.token_hex(8)
    return NewKey(key_id, f"{PREFIX}_{key_id}_{secrets.token_urlsafe(24)}")


def key_id_of(presented: str) -> str | None:
    """The id part of a presented key, or None when it does not even look like one of ours."""
    parts = presented.split("_", 2)  # the secret itself may contain "_" (URL-safe base64)
    if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 16 or len(presented) > 100:
        return None
    return parts[1]


def secret_hash(presented: str) -> str:
    return hashlib.sha256(presented.encode()).hexdigest()


def matches(presented: str, stored_hash: str) -> bool:
    return hmac.compare_digest(secret_hash(presented), stored_hash)


@dataclass
class RateLimiter:
    """A token bucket per key: ``rate`` requests per second on average, bursts up to ``burst``."""

    rate: float
    burst: float
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # key id -> (tokens, at)

    def take(self, key_id: str, now: float | None = None) -> float:
        """0 when the request may go; otherwise the seconds to wait before the next one will."""
        now = time.monotonic() if now is None else now
        tokens, at = self._buckets.get(key_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1:
            self._buckets[key_id] = (tokens - 1, now)
            return 0.0
        self._buckets[key_id] = (tokens, now)
        return (1 - tokens) / self.rate
