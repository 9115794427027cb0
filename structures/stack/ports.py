"""Loopback port selection: explicit env var, else the port used last time, else a free one."""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Iterable

HOST = "127.0.0.1"
# Below Linux's default ephemeral range (32768-60999), so outgoing connections never grab them.
_RANGE = (20000, 32000)


class PortConfigError(ValueError):
    """An explicit port (env var) is invalid or already in use by something else."""


def is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def accepts_connections(port: int, timeout: float = 1.0) -> bool:
    """True when a TCP connection to 127.0.0.1:``port`` succeeds."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def pick_free(taken: Iterable[int] = ()) -> int:
    """A free loopback port outside the ephemeral range and not in ``taken``."""
    excluded = set(taken)
    for _ in range(200):
        port = random.randint(*_RANGE)
        if port not in excluded and is_free(port):
            return port
    raise PortConfigError(f"no free port found in {_RANGE[0]}-{_RANGE[1]} on {HOST}")


def env_port(name: str) -> int | None:
    """The port given by env var ``name``, validated, or None when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise PortConfigError(f"{name}={raw!r} is not a valid TCP port")
    return int(raw)


def ignored_env_port(env_name: str, running_port: int | None) -> str | None:
    """A warning when ``env_name`` asks for another port than the one a running component uses."""
    try:
        explicit = env_port(env_name)
    except PortConfigError as error:
        return f"{error} (ignored: already running on port {running_port})"
    if explicit is None or explicit == running_port:
        return None
    return f"{env_name}={explicit} ignored: already running on port {running_port} (stop it first to change)"


def choose(env_name: str | None, previous: int | None, taken: Iterable[int] = ()) -> int:
    """Port for a component that is about to start.

    Order: ``env_name`` (must be free), then ``previous`` (if still free), then a random free port.
    """
    excluded = set(taken)
    explicit = env_port(env_name) if env_name else None
    if explicit is not None:
        if explicit in excluded or not is_free(explicit):
            raise PortConfigError(f"{env_name}={explicit} but 127.0.0.1:{explicit} is already in use")
        return explicit
    if previous is not None and previous not in excluded and is_free(previous):
        return previous
    return pick_free(excluded)
