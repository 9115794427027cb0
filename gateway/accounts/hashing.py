"""argon2id password hashing in a bounded thread pool, so logins never block the event loop.

Parameters meet the OWASP minimum (m = 19 MiB, t = 2, p = 1). Unknown identifiers are verified against a dummy
hash, so the answer takes the same time whether or not the account exists.

A reset's generated password, while it waits beside the current one, is kept as a keyed digest (HMAC-SHA-256 with
a key that is not in the database): checking it costs microseconds, so every login can check it — against a dummy
when none is pending — without doubling the argon2 work or telling by its time that a reset is pending. It is
random, single use and short-lived; without the key, a copy of the database does not let anyone test guesses.
"""

import asyncio
import hashlib
import hmac
import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class PasswordHashing:
    def __init__(
        self, *, workers: int = 2, memory_kib: int = 19_456, time_cost: int = 2, digest_key: bytes | None = None
    ) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self._dummy = self._hasher.hash("structures-dummy-password-for-unknown-identifiers")
        self._digest_key = digest_key or os.urandom(32)
        self._dummy_digest = self.digest_generated(os.urandom(16).hex())

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; ``stored_hash=None`` (no such account) costs the same and is False."""
        target = stored_hash or self._dummy
        matches = await asyncio.get_running_loop().run_in_executor(self._pool, self._verify, target, password)
        return matches and stored_hash is not None

    def digest_generated(self, password: str) -> str:
        """The keyed digest a pending generated password is kept as."""
        return hmac.new(self._digest_key, password.encode(), hashlib.sha256).hexdigest()

    def matches_generated(self, stored_digest: str | None, password: str) -> bool:
        """Whether ``password`` is the pending one; ``None`` (none pending) costs the same and is False."""
        same = hmac.compare_digest(stored_digest or self._dummy_digest, self.digest_generated(password))
        return same and stored_digest is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def close(self) -> None:
        self._pool.shutdown(wait=False)
