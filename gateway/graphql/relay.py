"""Opaque global IDs (``base64("Type:key")``) and pagination cursors, with clear errors when tampered with."""

import base64
import binascii
import json
from typing import Any

from shared.errors import PermanentError
from shared.text import unstorable_text


class InvalidArgumentError(PermanentError):
    """A GraphQL argument is invalid; the message names it. Shown to the client as is."""


def to_global_id(type_name: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


def from_global_id(global_id: str, *, argument: str = "id") -> tuple[str, str]:
    """``(type name, key)``, or :class:`InvalidArgumentError` naming ``argument``."""
    try:
        decoded = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgumentError(f"{argument}: {global_id!r} is not a valid ID") from None
    type_name, _, key = decoded.partition(":")
    # base64 hides a NUL from the request's own checks: PostgreSQL would refuse it with an unexpected error.
    if not type_name or not key or unstorable_text(decoded, argument) is not None:
        raise InvalidArgumentError(f"{argument}: {global_id!r} is not a valid ID")
    return type_name, key


def encode_cursor(sort_key: tuple[Any, ...]) -> str:
    raw = json.dumps(list(sort_key), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, numeric_first: bool) -> tuple[Any, ...]:
    """The sort key a cursor stands for; a tampered or foreign cursor is an :class:`InvalidArgumentError`."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgumentError("after : ce curseur n'a pas été donné par cette API.") from None
    if unstorable_text(value, "after") is not None:  # a JSON « \u0000 » or « \ud800 » no database driver takes
        raise InvalidArgumentError("after : ce curseur n'a pas été donné par cette API.")
    first_ok = isinstance(value, list) and len(value) == 2 and isinstance(value[1], str)
    if first_ok:
        first_ok = isinstance(value[0], int | float) if numeric_first else isinstance(value[0], str)
    if not first_ok or isinstance(value[0], bool):
        raise InvalidArgumentError(
            "after : ce curseur n'est pas celui de cette recherche (vient-il d'une autre requête ?)."
        )
    return (value[0], value[1])
