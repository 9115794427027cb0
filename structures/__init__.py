"""The ``structures`` command: the composition root that starts the services, alone or all in one process.

This package may import the three services (it is what assembles them); the services never import it.
"""
