"""Where this process's feed gets its publications: the public Kafka topic, or the in-process bus (embedded)."""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from gateway.publications.feed import Publication, PublicationFeed
from gateway.publications.log import last_position, read_positions
from shared.db import SessionFactory
from shared.errors import EventContractError
from shared.events import WireMessage, from_wire

log = logging.getLogger(__name__)


class FeedWriter:
    """Turns messages of the public topic into publications for the feed; skips what it cannot read.

    The topic has no dead-letter topic of its own: every gateway process reads all of it (each would dead-letter
    the same message), and the publication log, not the topic, is the truth. A skipped message is logged and
    counted in :attr:`skipped` by reason (``unreadable``: not a valid event; ``not-a-publication``: another type, or
    no cursor); the reader goes on, and a real publication it stood for is read from the log (:func:`fill_gaps`).
    """

    def __init__(self, feed: PublicationFeed) -> None:
        self._feed = feed
        self.skipped: dict[str, int] = {"unreadable": 0, "not-a-publication": 0}

    def __call__(self, messages: Sequence[WireMessage]) -> None:
        publications = [publication for message in messages if (publication := self._read(message)) is not None]
        self._feed.deliver(publications)

    def _read(self, message: WireMessage) -> Publication | None:
        try:
            publication = Publication.of(from_wire(message.value, message.headers))
        except EventContractError as error:
            self._skip("unreadable", message, str(error))
            return None
        if publication is None:
            self._skip("not-a-publication", message, "not a publication with a cursor (ce_sequence)")
        return publication

    def _skip(self, reason: str, message: WireMessage, error: str) -> None:
        self.skipped[reason] += 1
        log.error(
            "publication event skipped", extra={"reason": reason, "ce_id": message.header("ce_id"), "error": error}
        )


async def fill_gaps(
    feed: PublicationFeed, sessions: SessionFactory, stop: asyncio.Event, topic_behind: Callable[[], None] | None = None
) -> None:
    """Deliver from the publication log what the topic has not brought within the grace period.

    It happens when an event takes longer on its partition than a later one on another, or when this process's
    reader is late or down (broker away, topic not yet known): the log is the truth, Kafka the fast path. While
    someone is subscribed, the log's last position is read four times a second (one index lookup). ``topic_behind`` is
    called after each such read: the topic reader may still be waiting for a topic created by its first message
    since (:meth:`shared.kafka.KafkaBroadcastReader.look_now`), and every publication until it finds it would come
    from here, a second or more late."""
    while not stop.is_set():
        try:
            async with sessions() as session:
                missing = feed.missing() or (feed.behind(await last_position(session)) if feed.subscribers else [])
                if missing:
                    log.info("publications read from the log, not the topic", extra={"positions": missing[:20]})
                    feed.deliver(await read_positions(session, missing))
                    if topic_behind is not None:
                        topic_behind()
        except Exception as error:  # noqa: BLE001 - loop boundary: try again on the next turn
            log.warning("publication gap not filled yet", extra={"error": repr(error)})
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.25):
                await stop.wait()
