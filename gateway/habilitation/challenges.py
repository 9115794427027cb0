"""On-screen image challenges (« texte présenté à l'écran »): single use, short-lived, checked server-side.

The answer is never stored: only a digest salted with the challenge id. A wrong answer uses the challenge up.
"""

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from captcha.image import ImageCaptcha
from sqlalchemy import select, update
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
    """Whether ``answer`` solves the challenge; either way the challenge cannot be used again."""
    row = (await session.execute(select(challenges).where(challenges.c.id == challenge_id).with_for_update())).first()
    if row is None or row.purpose != purpose or row.used_at is not None or _aware(row.expires_at) < now:
        return False
    await session.execute(
        update(challenges).where(challenges.c.id == challenge_id).values(used_at=now, attempts=row.attempts + 1)
    )
    return secrets.compare_digest(row.answer_digest, _digest(challenge_id, answer))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
