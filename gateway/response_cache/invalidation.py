"""From the publications this process reads to the cache: drop what they touch, refresh the hottest."""

from gateway.publications.feed import Publication, PublicationType
from gateway.response_cache.refresh import Refresher
from gateway.response_cache.store import ResponseCache
from gateway.response_cache.tags import PlaceIndex, Touched, publication_tags


class Invalidation:
    """A reader of :meth:`~gateway.publications.feed.PublicationFeed.on_read`."""

    def __init__(self, cache: ResponseCache, index: PlaceIndex, refresher: Refresher | None = None) -> None:
        self.cache, self.index, self.refresher = cache, index, refresher
        self.publications = 0

    def __call__(self, publications: list[Publication]) -> None:
        for publication in publications:
            self.publications += 1
            moved = False
            if publication.type is PublicationType.ESTABLISHMENT_CHANGED:
                moved = publication.data.get("change") == "UPDATED"
                self._learn(publication)
            touched = Touched(
                publication.establishment_id,
                publication.place.departement,
                publication.place.commune_insee,
                publication.place.category,
                moved=moved,
            )
            dropped = self.cache.invalidate(publication_tags(touched, self.index))
            if self.refresher is not None:
                self.refresher.offer(dropped)

    def _learn(self, publication: Publication) -> None:
        """A created or moved establishment may bring its commune a new cell or postal code."""
        data = publication.data
        latitude, longitude, postal_code = data.get("latitude"), data.get("longitude"), data.get("postal_code")
        if isinstance(latitude, int | float) and isinstance(longitude, int | float) and isinstance(postal_code, str):
            self.index.add(publication.place.commune_insee, postal_code, float(latitude), float(longitude))
        else:
            self.index.ready = False  # an event without its place: no commune is known for sure any more
