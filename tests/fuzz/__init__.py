"""Schemathesis against the GraphQL services in-process, for every caller (S18): see ``driver.py``."""
