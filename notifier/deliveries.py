"""The deliveries log and the worker that sends pending deliveries, with retries, exactly once per event.

A handler records a delivery in the same transaction as the processed event id (so a redelivered event adds
nothing); the worker then sends it. Temporary failures are retried with exponential backoff up to
``max_attempts``; a permanent refusal is recorded as ``FAILED`` with the server's answer.

A sealed secret (a generated password) is kept only until its e-mail is accepted: it is erased in the transaction
that records the acceptance, or the failure, and a delivery that still holds one after ``secret_lifetime`` (the
password's own lifetime) fails with it erased — the person then needs a new reset, not an old password.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.email import EmailSender
from notifier.rendering import RenderedEmail
from notifier.states import DeliveryState
from notifier.tables import deliveries
from shared.db import SessionFactory
from shared.errors import PermanentError, TransientError
from shared.logging import correlation_scope, current_correlation_id
from shared.outbox import OutboxSignal

log = logging.getLogger(__name__)
_OUTCOMES = {DeliveryState.SENT: "sent", DeliveryState.FAILED: "failed"}
_EXPIRY_CHECK_SECONDS = 60.0
"""Lifetimes are hours long: looking for expired secrets once a minute is enough."""
MAIL_DOMAIN = "structures.monenfant.example"
EXPIRED_UNSENT = (
    "Mot de passe provisoire effacé sans avoir pu être envoyé (délai dépassé) : "
    "une nouvelle demande de réinitialisation est nécessaire."
)
SECRET_PLACEHOLDER = "\u27e6secret\u27e7"  # noqa: S105 - a marker, not a password
"""Stands for a sealed secret in stored bodies; replaced in memory, at send time only."""


async def add_delivery(
    session: AsyncSession,
    *,
    event_id: str,
    kind: str,
    recipient: str,
    email: RenderedEmail,
    sealed_secret: str | None = None,
    caf_code: str | None = None,
) -> str:
    delivery_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    await session.execute(
        deliveries.insert().values(
            id=delivery_id,
            event_id=event_id,
            kind=kind,
            recipient=recipient,
            subject=email.subject,
            text_body=email.text,
            html_body=email.html,
            sealed_secret=sealed_secret,
            status=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            message_id=f"<{delivery_id}@{MAIL_DOMAIN}>",
            correlation_id=current_correlation_id(),
            caf_code=caf_code,
            created_at=now,
        )
    )
    return delivery_id


async def list_deliveries(
    session: AsyncSession, caf_code: str, status: DeliveryState | None, *, offset: int, limit: int
) -> tuple[int, list[Any]]:
    """One Caf's deliveries (of one status, if given), the most recent first: how many in all, and one page."""
    where = [deliveries.c.caf_code == caf_code]
    if status is not None:
        where.append(deliveries.c.status == status)
    total = await session.scalar(select(func.count()).select_from(deliveries).where(*where))
    query = select(deliveries).where(*where).order_by(deliveries.c.created_at.desc(), deliveries.c.id)
    rows = (await session.execute(query.offset(offset).limit(limit))).all()
    return int(total or 0), list(rows)


class DeliveryWorker:
    def __init__(
        self,
        sessions: SessionFactory,
        sender: EmailSender,
        signal: OutboxSignal,
        *,
        mail_from: str,
        max_attempts: int,
        open_secret: Callable[[str], str] | None = None,
        secret_lifetime: timedelta = timedelta(hours=72),
        concurrency: int = 8,
    ) -> None:
        self._open_secret = open_secret
        self._concurrency = asyncio.Semaphore(concurrency)
        self._secret_lifetime = secret_lifetime
        self._next_expiry_check = 0.0
        self._sessions = sessions
        self._sender = sender
        self._signal = signal
        self._mail_from = mail_from
        self._max_attempts = max_attempts
        self.outcomes: dict[str, int] = dict.fromkeys(("sent", "deferred", "failed"), 0)
        """Attempts by outcome since start (Prometheus ``structures_emails_total``)."""

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    sent = await self.send_due()
                except Exception:
                    log.exception("delivery worker failed")
                    sent = 0
                if sent == 0:
                    await self._signal.wait(1.0)
        finally:
            self._sender.close()

    async def send_due(self) -> int:
        """Try every delivery that is due; returns how many were attempted."""
        if time.monotonic() >= self._next_expiry_check:
            await self.expire_secrets()
            self._next_expiry_check = time.monotonic() + _EXPIRY_CHECK_SECONDS
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(deliveries)
                    .where(
                        deliveries.c.status == DeliveryState.PENDING, deliveries.c.next_attempt_at <= datetime.now(UTC)
                    )
                    .order_by(deliveries.c.created_at)
                    .limit(50)
                )
            ).all()
        # Up to ``concurrency`` attempts at once: one at a time, each waiting for its SMTP conversation and recording
        # its outcome, the worker sent fewer than 20 e-mails/s and the queue grew (L3, event → e-mail p99 ≤ 2 s).
        async with asyncio.TaskGroup() as attempts:
            for row in rows:
                attempts.create_task(self._bounded_attempt(row))
        return len(rows)

    async def _bounded_attempt(self, row: Any) -> None:
        async with self._concurrency:
            with correlation_scope(row.correlation_id):
                await self._attempt(row)

    async def _attempt(self, row: Any) -> None:
        changes: dict[str, Any] = {"attempts": row.attempts + 1}
        try:
            await self._sender.send(self._message(row, self._secret(row)))
        except TransientError as error:
            changes |= self._after_transient(row.attempts + 1, str(error))
        except PermanentError as error:
            changes |= {"status": DeliveryState.FAILED, "last_error": str(error)}
            log.error("e-mail refused", extra={"delivery_id": row.id, "error": str(error)})
        except Exception as error:  # one delivery's boundary: it must not hold up the ones after it
            log.exception("e-mail attempt failed", extra={"delivery_id": row.id})
            changes |= self._after_transient(row.attempts + 1, f"{type(error).__name__}: {error}")
        else:
            changes |= {"status": DeliveryState.SENT, "sent_at": datetime.now(UTC), "last_error": None}
            log.info("e-mail sent", extra={"delivery_id": row.id, "message_id": row.message_id, "kind": row.kind})
        if changes.get("status") in _OUTCOMES:
            changes["sealed_secret"] = None  # sent or given up: the password is never needed again
        async with self._sessions() as session, session.begin():
            await session.execute(update(deliveries).where(deliveries.c.id == row.id).values(**changes))
        self.outcomes[_OUTCOMES[changes["status"]] if "status" in changes else "deferred"] += 1

    async def expire_secrets(self) -> int:
        """Fail the deliveries whose sealed secret outlived ``secret_lifetime`` unsent, erasing it; erase any left on
        a delivery already over. Returns how many deliveries failed."""
        cutoff = datetime.now(UTC) - self._secret_lifetime
        holding = deliveries.c.sealed_secret.is_not(None)
        async with self._sessions() as session, session.begin():
            expired = await session.execute(
                update(deliveries)
                .where(holding, deliveries.c.status == DeliveryState.PENDING, deliveries.c.created_at < cutoff)
                .values(status=DeliveryState.FAILED, sealed_secret=None, last_error=EXPIRED_UNSENT)
            )
            over = update(deliveries).where(holding, deliveries.c.status != DeliveryState.PENDING)
            await session.execute(over.values(sealed_secret=None))
        count = int(expired.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            log.warning("sealed secrets expired unsent", extra={"deliveries": count})
            self.outcomes["failed"] += count
        return count

    async def pending(self) -> dict[tuple[str, ...], float]:
        """E-mails waiting to be sent: how many, and how long the oldest has waited (seconds)."""
        async with self._sessions() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(deliveries.c.created_at)).where(
                        deliveries.c.status == DeliveryState.PENDING
                    )
                )
            ).one()
        if oldest is not None and oldest.tzinfo is None:  # SQLite gives naive UTC datetimes
            oldest = oldest.replace(tzinfo=UTC)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
        return {("count",): float(count), ("oldest_seconds",): max(age, 0.0)}

    def _after_transient(self, attempts: int, error: str) -> dict[str, Any]:
        if attempts >= self._max_attempts:
            log.error("e-mail given up after retries", extra={"attempts": attempts, "error": error})
            return {"status": DeliveryState.FAILED, "last_error": f"gave up after {attempts} attempts: {error}"}
        delay = timedelta(seconds=min(2**attempts, 600))
        log.warning("e-mail deferred", extra={"attempts": attempts, "error": error})
        return {"last_error": error, "next_attempt_at": datetime.now(UTC) + delay}

    def _secret(self, row: Any) -> str | None:
        if row.sealed_secret is None:
            return None
        if self._open_secret is None:
            raise PermanentError("no NOTIFIER_SEALING_PRIVATE_KEY: this e-mail carries a sealed password")
        return self._open_secret(row.sealed_secret)

    def _message(self, row: Any, secret: str | None) -> EmailMessage:
        text, html = row.text_body, row.html_body
        if secret is not None:
            text, html = text.replace(SECRET_PLACEHOLDER, secret), html.replace(SECRET_PLACEHOLDER, secret)
        message = EmailMessage()
        headers = {
            "From": self._mail_from, "To": row.recipient, "Subject": row.subject, "Message-ID": row.message_id,
            "X-Structures-Event-Id": row.event_id,  # the CloudEvent this e-mail answers
            "X-Correlation-Id": row.correlation_id,
        }  # fmt: skip
        try:
            for name, value in headers.items():
                if value is not None:
                    message[name] = value
        except ValueError as error:  # a CR or LF in a value: never sent, whatever the number of attempts
            raise PermanentError(f"cannot write the {name} header: {error}") from None
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message
