"""P4's bare peer: graphql-core on Starlette running the gateway's own SQL for Q2 (see app.py)."""
