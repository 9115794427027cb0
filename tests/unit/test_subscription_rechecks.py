"""Open subscriptions recheck their key or session once per credential and interval, spread across credentials."""

import asyncio

from gateway.graphql.rechecks import SubscriptionRechecks


def test_credentials_opened_together_are_first_rechecked_at_spread_times_in_the_second_half_of_the_interval() -> None:
    rechecks = SubscriptionRechecks(60.0)
    with rechecks.follow("a") as first, rechecks.follow("a") as again, rechecks.follow("b") as other:
        assert again is first  # one schedule per credential
        offsets = []
        for n in range(20):
            with rechecks.follow(("key", n)) as schedule:
                offsets.append(schedule.due - first.due)
        dues = [first.due, other.due]
        assert rechecks.credentials == 2  # the 20 others were dropped when their last subscription ended
    assert rechecks.credentials == 0
    assert max(offsets) - min(offsets) > 20.0  # spread over the half interval, not all at one instant
    assert len({round(o, 3) for o in offsets}) == 20
    assert abs(dues[1] - dues[0]) > 1.0


async def test_a_subscription_ending_while_it_waits_for_the_check_does_not_cancel_it_for_the_others() -> None:
    rechecks, released, calls = SubscriptionRechecks(0.0), asyncio.Event(), []

    async def check() -> bool:
        calls.append(1)
        await released.wait()
        return False

    with rechecks.follow("session") as schedule:
        leaving = asyncio.create_task(rechecks.allowed(schedule, check))
        staying = asyncio.create_task(rechecks.allowed(schedule, check))
        await asyncio.sleep(0)
        leaving.cancel()
        await asyncio.sleep(0)
        released.set()
        assert await staying is False
    assert calls == [1]
    assert leaving.cancelled()
