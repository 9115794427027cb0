"""Opaque global IDs (``base64("Type:key")``, from :mod:`shared.relay`) and pagination cursors, with clear errors when
tampered with."""

import base64
import binascii
import json
from typing import Any

from shared.relay import InvalidArgumentError, from_global_id, to_global_id
from shared.text import unstorable_text

__all__ = ["InvalidArgumentError", "decode_cursor", "encode_cursor", "from_global_id", "to_global_id"]


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
