"""Standard Webhooks signatures (https://www.standardwebhooks.com), made with the `standardwebhooks` package.

A secret is ``whsec_`` + base64 of 24 random bytes, shown once to the integrator (registration, rotation); the
gateway keeps it sealed (:mod:`shared.sealing`) with the public half of ``GATEWAY_WEBHOOK_SEALING_KEY``, and only
the dispatcher, which holds the private half, opens it in memory to sign.
"""

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of the specification, not a secret


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def signed_headers(signers: Sequence[Webhook], *, webhook_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three headers of the specification for ``body`` sent at ``at``: id, timestamp (seconds) and signatures,
    one per signer (``Webhook(secret)``, made once per secret), space-separated — during a rotation's overlap the
    new and the previous secret both sign, and a verifier holding either accepts the delivery."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signer.sign(webhook_id, at, body) for signer in signers),
        "content-type": "application/json",
    }
