"""Where this process's feed gets its publications: the public Kafka topic, or the in-process bus (embedded)."""

import logging
from collections.abc import Sequence

from gateway.publications.feed import Publication, PublicationFeed
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
