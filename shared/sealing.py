"""Secrets in transit: libsodium sealed boxes (PyNaCl).

The gateway seals a generated password with the notifier's public key; only the notifier, which holds the private
key, can open it, and only in memory, just before sending the e-mail. Nothing stores or logs the clear text.
Keys travel as base64 in settings (``NOTIFIER_SEALING_PRIVATE_KEY``, ``GATEWAY_NOTIFIER_PUBLIC_KEY``).
"""

import base64
import binascii

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from shared.errors import ConfigurationError, PermanentError


def generate_key_pair() -> tuple[str, str]:
    """``(private, public)`` keys, base64-encoded, for ``structures keys`` and the embedded mode."""
    private = PrivateKey.generate()
    return _b64(bytes(private)), _b64(bytes(private.public_key))


def seal(secret: str, public_key: str) -> str:
    """``secret`` sealed for the holder of ``public_key``, base64-encoded."""
    box = SealedBox(PublicKey(_decode(public_key, "public key")))
    return _b64(box.encrypt(secret.encode("utf-8")))


def open_sealed(sealed: str, private_key: str) -> str:
    """The clear text of ``sealed``; :class:`PermanentError` if it was not sealed for this key or was altered."""
    box = SealedBox(PrivateKey(_decode(private_key, "private key")))
    try:
        raw = base64.b64decode(sealed, validate=True)
    except (binascii.Error, ValueError):  # it came in an event: bad input, not a setting
        raise PermanentError("the sealed secret is not valid base64") from None
    try:
        return box.decrypt(raw).decode("utf-8")
    except (CryptoError, UnicodeDecodeError):
        raise PermanentError("the sealed secret cannot be opened with this key") from None


def public_key_of(private_key: str) -> str:
    return _b64(bytes(PrivateKey(_decode(private_key, "private key")).public_key))


def decode_key(value: str, variable: str) -> bytes:
    """A 32-byte key given as base64 in ``variable``; :class:`ConfigurationError` naming it otherwise."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"{variable} is not valid base64") from None
    if len(raw) != 32:
        raise ConfigurationError(f"{variable} must be the base64 of 32 bytes")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _decode(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"the {what} is not valid base64") from None
    if len(raw) != 32:
        raise ConfigurationError(f"the {what} must be 32 bytes (base64 of a Curve25519 key)")
    return raw
