"""Publication events followed live: the per-process feed that fans them out to GraphQL subscribers."""
