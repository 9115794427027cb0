"""The access checks of open subscriptions: one per credential and interval, not one per subscription.

A subscription checks every ``GATEWAY_SUBSCRIPTION_RECHECK_SECONDS`` that the API key or the agent session it was
opened with is still valid (:func:`gateway.graphql.permissions.still_allowed`), so that a revoked key, a logout or a
deactivation ends it on every process. Checked one by one, the subscriptions of one client opened together (ten per
connection, hundreds of connections reconnecting after a deployment) all hit the database at the same instant, once
an interval: 2,000 of them, 4,000 statements, and the publications arriving meanwhile waited behind them
(quality.md M1). Here the subscriptions holding the same credential share one schedule and one check, and each new
credential's first check falls somewhere in the second half of the interval, so credentials that arrived together
do not come back together. A revoked credential still ends all its subscriptions within one interval.

The check a subscription makes when it opens is shared too, while it runs (:meth:`SubscriptionRechecks.at_once`):
the ten subscriptions a connection sends together cost one query of the session, not ten.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_GOLDEN = 0.6180339887498949
"""Successive fractions k × φ mod 1 spread evenly over [0, 1) whatever the number of credentials."""


@dataclass(eq=False)
class RecheckSchedule:
    """When the subscriptions of one credential next check it, and the last answer."""

    due: float
    """``time.monotonic()`` of the next check."""
    allowed: bool = True
    """The last answer (the credential was checked when the first subscription opened)."""
    running: "asyncio.Task[bool] | None" = None
    users: int = 0


class SubscriptionRechecks:
    """This process's recheck schedules, by credential; see the module's documentation."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._schedules: dict[Hashable, RecheckSchedule] = {}
        self._running: dict[Hashable, asyncio.Future[bool]] = {}
        self._made = 0
        self.checks = 0
        """Checks run so far (for tests and metrics)."""

    @property
    def credentials(self) -> int:
        return len(self._schedules)

    @contextmanager
    def follow(self, credential: Hashable) -> Iterator[RecheckSchedule]:
        """The schedule a subscription holding ``credential`` follows while it is open."""
        schedule = self._schedules.get(credential)
        if schedule is None:
            self._made += 1
            spread = 0.5 + 0.5 * ((self._made * _GOLDEN) % 1.0)
            schedule = self._schedules[credential] = RecheckSchedule(time.monotonic() + self.interval * spread)
        schedule.users += 1
        try:
            yield schedule
        finally:
            schedule.users -= 1
            if schedule.users == 0 and self._schedules.get(credential) is schedule:
                del self._schedules[credential]

    async def allowed(self, schedule: RecheckSchedule, check: Callable[[], Awaitable[bool]]) -> bool:
        """Whether the credential is still valid: checked with ``check`` when due, by the first subscription that
        asks (the others wait for its answer); before that, the last answer."""
        if schedule.running is None:
            if time.monotonic() < schedule.due:
                return schedule.allowed
            schedule.running = asyncio.ensure_future(self._check(schedule, check))
        # Shielded: a subscription that ends while waiting must not cancel the check the others wait for.
        return await asyncio.shield(schedule.running)

    async def at_once(self, credential: Hashable, check: Callable[[], Awaitable[bool]]) -> bool:
        """``check``'s answer for ``credential``, or that of the check of it already running, if any."""
        running = self._running.get(credential)
        if running is None:
            running = self._running[credential] = asyncio.ensure_future(check())
            running.add_done_callback(lambda done: self._forget(credential, done))
        return await asyncio.shield(running)

    def _forget(self, credential: Hashable, done: "asyncio.Future[bool]") -> None:
        if self._running.get(credential) is done:
            del self._running[credential]

    async def _check(self, schedule: RecheckSchedule, check: Callable[[], Awaitable[bool]]) -> bool:
        try:
            self.checks += 1
            schedule.allowed = await check()
            schedule.due = time.monotonic() + self.interval
            return schedule.allowed
        finally:
            schedule.running = None
