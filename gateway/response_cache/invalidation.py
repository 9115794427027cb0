"""From the publications this process reads to the cache: drop what they touch, refresh the hottest."""

from gateway.publications.feed import Publication, PublicationType
from gateway.response_cache.refresh import Refresher
from gateway.response_cache.store import ResponseCache
from gateway.response_cache.tags import PlaceIndex, Touched, establishment_tag, publication_tags


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
            availabilities = publication.type is PublicationType.AVAILABILITIES_PUBLISHED
            position = self.index.position(publication.establishment_id) if availabilities else None
            touched = Touched(
                publication.establishment_id,
                publication.place.departement,
                publication.place.commune_insee,
                publication.place.category,
                moved=moved,
                position=position,
            )
            dropped = self.cache.invalidate(
                publication_tags(touched, self.index),
                availabilities_only=availabilities,
                point=position,
                establishment=establishment_tag(publication.establishment_id),
            )
            if self.refresher is not None:
                self.refresher.offer(dropped)

    def _learn(self, publication: Publication) -> None:
        """A created or moved establishment may bring its commune a new cell or postal code."""
        data = publication.data
        latitude, longitude, postal_code = data.get("latitude"), data.get("longitude"), data.get("postal_code")
        if not (isinstance(latitude, int | float) and isinstance(longitude, int | float)):
            latitude = longitude = None
        else:
            latitude, longitude = float(latitude), float(longitude)
        self.index.locate(publication.establishment_id, publication.place.category, latitude, longitude)
        if latitude is not None and longitude is not None and isinstance(postal_code, str):
            self.index.add(publication.place.commune_insee, postal_code, latitude, longitude)
        else:
            self.index.ready = False  # an event without its place: no commune is known for sure any more
