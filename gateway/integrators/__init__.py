"""Integrators: software vendors and portals reading published data with API keys managed by their Caf."""
