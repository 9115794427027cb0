"""The gateway: the GraphQL API of monenfant.fr « STRUCTURES » for families, providers, Caf agents and integrators."""

__version__ = "0.1.0"
