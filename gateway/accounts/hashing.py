"""argon2id password hashing in a bounded thread pool, so logins never block the event loop.

Parameters meet the OWASP minimum (m = 19 MiB, t = 2, p = 1). Unknown identifiers are verified against a dummy
hash, so the answer takes the same time whether or not the account exists.

A reset's generated password, while it waits beside the current one, is kept as a keyed digest (HMAC-SHA-256 with
a key that is not in the database): checking it costs microseconds, so every login can check it — against a dummy
when none is pending — without doubling the argon2 work or telling by its time that a reset is pending. It is
random, single use and short-lived; without the key, a copy of the database does not let anyone test guesses.

The pool's threads run at a lower scheduling priority (``nice`` +10 by default, per thread on Linux): argon2
releases the GIL, so a verify competes with the event loop's thread for the CPU only through the OS scheduler, and
at equal priority the loop waits whole time slices behind a 20–60 ms hash — the lag every request on the process
then sees during a login storm. At a lower priority the loop's thread runs as soon as it is ready and the hashes
take the CPU it leaves; they are never starved (``nice`` lowers their share, it does not remove it).
"""

import asyncio
import contextlib
import hashlib
import hmac
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class PasswordHashing:
    def __init__(
        self,
        *,
        workers: int = 2,
        memory_kib: int = 19_456,
        time_cost: int = 2,
        digest_key: bytes | None = None,
        niceness: int = 10,
    ) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="argon2", initializer=_lower_priority, initargs=(niceness,)
        )
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


def _lower_priority(niceness: int) -> None:
    """Raise the calling thread's niceness by ``niceness`` (Linux: ``setpriority`` on a thread id applies to that
    thread only). Where the OS does not allow it the thread keeps its priority."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError):
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + niceness)
