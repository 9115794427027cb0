"""The exact response cache of the public catalogue: answers kept per process, dropped by publications."""
