"""Opaque Relay global IDs, the same for the same object on every service: ``base64url("Type:key")``, unpadded.

The gateway names establishments, providers, Cafs and submissions this way; moderation takes and returns the same
IDs for the same objects, so that a client never handles a service's private keys.
"""

import base64
import binascii

from shared.errors import PermanentError
from shared.text import unstorable_text


class InvalidArgumentError(PermanentError):
    """A GraphQL argument is invalid; the message, in French, names it. Shown to the client as is."""

    code = "BAD_USER_INPUT"


def to_global_id(type_name: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


def from_global_id(global_id: str, *, argument: str = "id") -> tuple[str, str]:
    """``(type name, key)``, or :class:`InvalidArgumentError` naming ``argument``."""
    try:
        decoded = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgumentError(_not_an_id(global_id, argument)) from None
    type_name, _, key = decoded.partition(":")
    # base64 hides a NUL from the request's own checks: PostgreSQL would refuse it with an unexpected error.
    if not type_name or not key or unstorable_text(decoded, argument) is not None:
        raise InvalidArgumentError(_not_an_id(global_id, argument))
    return type_name, key


def key_of(global_id: str, type_name: str, *, argument: str = "id") -> str:
    """The key of a global ID that must name a ``type_name``; any other is an :class:`InvalidArgumentError`."""
    found, key = from_global_id(global_id, argument=argument)
    if found != type_name:
        raise InvalidArgumentError(f"{argument} : {global_id!r} n'est pas l'identifiant d'un objet {type_name}.")
    return key


def _not_an_id(global_id: str, argument: str) -> str:
    return f"{argument} : {global_id!r} n'est pas un identifiant valide."
