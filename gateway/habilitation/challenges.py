"""On-screen image challenges (« texte présenté à l'écran »): single use, short-lived, checked server-side.

The answer is never stored: only a digest salted with the challenge id. A wrong answer uses the challenge up.
"""

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from captcha.image import ImageCaptcha
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.habilitation.tables import challenges

LIFETIME = timedelta(minutes=10)
LENGTH = 6
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_IMAGES = ImageCaptcha(width=220, height=80)


@dataclass(frozen=True)
class IssuedChallenge:
    id: str
    image_png: bytes
    expires_at: datetime

    @property
    def data_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.image_png).decode()


def _digest(challenge_id: str, answer: str) -> str:
    return hashlib.sha256(f"{challenge_id}:{answer.strip().upper()}".encode()).hexdigest()


def draw(text: str) -> bytes:
    return _IMAGES.generate(text).getvalue()


async def issue_challenge(
    session: AsyncSession, *, purpose: str, now: datetime, text: str | None = None
) -> IssuedChallenge:
    """Create a challenge; ``text`` is only given by tests (the image is what people read)."""
    answer = text or "".join(secrets.choice(_ALPHABET) for _ in range(LENGTH))
    challenge_id = str(uuid.uuid4())
    await session.execute(
        challenges.insert().values(
            id=challenge_id,
            purpose=purpose,
            answer_digest=_digest(challenge_id, answer),
            attempts=0,
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    return IssuedChallenge(id=challenge_id, image_png=draw(answer), expires_at=now + LIFETIME)


async def redeem_challenge(
    session: AsyncSession, challenge_id: str, answer: str, *, purpose: str, now: datetime
) -> bool:
    """Whether ``answer`` solves the challenge; either way the challenge cannot be used again.

    Using it up is one compare-and-set (``used_at IS NULL`` in the UPDATE itself): of concurrent redemptions exactly
    one changes the row, on PostgreSQL and on SQLite alike (SQLite ignores ``SELECT … FOR UPDATE``).
    """
    claimed = (
        await session.execute(
            update(challenges)
            .where(
                challenges.c.id == challenge_id,
                challenges.c.purpose == purpose,
                challenges.c.used_at.is_(None),
                challenges.c.expires_at > now,
            )
            .values(used_at=now, attempts=challenges.c.attempts + 1)
            .returning(challenges.c.answer_digest)
        )
    ).first()
    if claimed is None:
        return False
    return secrets.compare_digest(claimed.answer_digest, _digest(challenge_id, answer))
