"""Code shared by the three services: event contracts, settings base, database and Kafka plumbing.

Nothing in here imports a service package; the services import from here and never from each other.
"""
