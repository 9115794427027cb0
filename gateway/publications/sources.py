"""Where this process's feed gets its publications: the public Kafka topic, or the in-process bus (embedded)."""

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from gateway.publications.feed import Publication, PublicationFeed
from gateway.publications.log import last_position, read_positions
from shared.db import SessionFactory
from shared.errors import EventContractError
from shared.events import WireMessage, from_wire

log = logging.getLogger(__name__)


class FeedWriter:
    """Turns messages of the public topic into publications for the feed; skips what it cannot read."""

    def __init__(self, feed: PublicationFeed) -> None:
        self._feed = feed

    def __call__(self, messages: Sequence[WireMessage]) -> None:
        publications = []
        for message in messages:
            try:
                publication = Publication.of(from_wire(message.value, message.headers))
            except EventContractError as error:  # the gateway wrote it; a bad one is logged, never fanned out
                log.error("unreadable publication event skipped", extra={"error": str(error)})
                continue
            if publication is not None:
                publications.append(publication)
        self._feed.deliver(publications)


async def fill_gaps(feed: PublicationFeed, sessions: SessionFactory, stop: asyncio.Event) -> None:
    """Deliver from the publication log what the topic has not brought within the grace period.

    It happens when an event takes longer on its partition than a later one on another, or when this process's
    reader is late or down (broker away, topic not yet known): the log is the truth, Kafka the fast path. While
    someone is subscribed, the log's last position is read four times a second (one index lookup)."""
    while not stop.is_set():
        try:
            async with sessions() as session:
                missing = feed.missing() or (feed.behind(await last_position(session)) if feed.subscribers else [])
                if missing:
                    log.info("publications read from the log, not the topic", extra={"positions": missing[:20]})
                    feed.deliver(await read_positions(session, missing))
        except Exception as error:  # noqa: BLE001 - loop boundary: try again on the next turn
            log.warning("publication gap not filled yet", extra={"error": repr(error)})
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.25):
                await stop.wait()
