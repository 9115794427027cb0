"""On-screen image challenges (« texte présenté à l'écran »): single use, short-lived, checked server-side.

The answer is never stored: only a digest salted with the challenge id. A wrong answer uses the challenge up.
The image is drawn by ``challenge_image``; the audio alternative (``challenge_audio``) spells the same answer and
is made only when asked for, while the answer is still in memory.
"""

import asyncio
import base64
import hashlib
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.habilitation.challenge_audio import spoken_wav
from gateway.habilitation.challenge_image import draw_png
from gateway.habilitation.tables import challenges

# Drawing (~50 ms) and speaking (~200 ms) are CPU work: off the event loop, on one thread, so that a flood of
# challenges queues instead of taking every core.
_MEDIA = ThreadPoolExecutor(max_workers=1, thread_name_prefix="challenge-media")
LIFETIME = timedelta(minutes=10)
LENGTH = 6
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: people would confuse them


@dataclass(frozen=True)
class IssuedChallenge:
    id: str
    image_png: bytes
    expires_at: datetime
    answer: str = field(repr=False)

    @property
    def data_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.image_png).decode()

    async def audio_data_url(self) -> str | None:
        """The answer spelled aloud, as a ``data:audio/wav;base64,…`` URL; None when audio is unavailable."""
        wav = await asyncio.get_running_loop().run_in_executor(_MEDIA, spoken_wav, self.answer)
        return None if wav is None else "data:audio/wav;base64," + base64.b64encode(wav).decode()


def _digest(challenge_id: str, answer: str) -> str:
    return hashlib.sha256(f"{challenge_id}:{answer.strip().upper()}".encode()).hexdigest()


async def issue_challenge(
    session: AsyncSession, *, purpose: str, now: datetime, text: str | None = None
) -> IssuedChallenge:
    """Create a challenge; ``text`` is only given by tests (the image is what people read)."""
    answer = text or "".join(secrets.choice(_ALPHABET) for _ in range(LENGTH))
    challenge_id = str(uuid.uuid4())
    # Drawn before the INSERT: on SQLite the write holds the database's lock until the commit.
    image = await asyncio.get_running_loop().run_in_executor(_MEDIA, draw_png, answer)
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
    return IssuedChallenge(id=challenge_id, image_png=image, expires_at=now + LIFETIME, answer=answer)


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
