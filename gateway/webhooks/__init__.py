"""Signed webhooks for integrators: endpoints, a durable outbox of deliveries in PostgreSQL and its dispatcher."""
