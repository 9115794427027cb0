"""Idempotency-Key records: the same key with the same body returns the first answer, kept 24 hours."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.transmission.tables import transmission_requests

KEPT_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class RecordedAnswer:
    body_digest: str
    status: int
    answer: str


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def get_answer(session: AsyncSession, client_id: str, key: str, *, now: datetime) -> RecordedAnswer | None:
    row = (
        await session.execute(
            select(transmission_requests).where(
                transmission_requests.c.client_id == client_id,
                transmission_requests.c.idempotency_key == key,
                transmission_requests.c.received_at > now - KEPT_FOR,
            )
        )
    ).first()
    return None if row is None else RecordedAnswer(row.body_digest, row.status, row.answer)


async def record_answer(
    session: AsyncSession, client_id: str, key: str, answer: RecordedAnswer, *, now: datetime
) -> None:
    await session.execute(
        transmission_requests.delete().where(
            (transmission_requests.c.received_at <= now - KEPT_FOR)
            | ((transmission_requests.c.client_id == client_id) & (transmission_requests.c.idempotency_key == key))
        )
    )
    await session.execute(
        transmission_requests.insert().values(
            client_id=client_id,
            idempotency_key=key,
            body_digest=answer.body_digest,
            status=answer.status,
            answer=answer.answer,
            received_at=now,
        )
    )
