"""No sealed secret outlives its delivery: a generated password is erased from the notifier's database in the
transaction that records the SMTP acceptance (or the failure), and after the password's lifetime if it is never
sent — then the delivery fails with the reason that a new reset is needed. Against the real SMTP sink."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, update

from notifier import tables
from notifier.deliveries import EXPIRED_UNSENT, DeliveryWorker
from notifier.email import SmtpSender
from notifier.handlers import HANDLERS
from shared.consumer import Delivery, EventProcessor
from shared.db import SessionFactory, alembic_config, create_session_factory
from shared.events import Envelope, PasswordIssued, new_event, to_wire
from shared.outbox import OutboxSignal
from shared.sealing import generate_key_pair, open_sealed, seal
from tests.conftest import ROOT, DatabaseFactory, EngineFactory, Stack
from tests.integration.conftest import SenderFactory
from tests.integration.test_event_processor import CollectedDeadLetters
from tests.integration.test_notifier_smtp import _mails_to

pytestmark = pytest.mark.integration
PRIVATE, PUBLIC = generate_key_pair()
PASSWORD = "Vx7-kQ2p-Lm9r"


def _issued(recipient: str, sealed: str | None = None) -> Envelope:
    issued = PasswordIssued(
        account_id=uuid.uuid4(), identifier="m.dupont.escautpont", agent_number="59-ESC-0001",
        display_name="Marie Dupont", email=recipient, reason="RESET", sealed_password=sealed or seal(PASSWORD, PUBLIC),
        expires_at=datetime.now(UTC) + timedelta(hours=72), caf_code="CAF59",
    )  # fmt: skip
    return new_event(issued, source="/tests")


async def _worker(sessions: SessionFactory, sender: SmtpSender, *events: Envelope) -> DeliveryWorker:
    processor = EventProcessor(sessions, tables.processed_events, HANDLERS, CollectedDeadLetters())
    for event in events:
        await processor.process(Delivery(to_wire(event)))
    return DeliveryWorker(
        sessions, sender, OutboxSignal(), mail_from="caf@example.org",
        max_attempts=3, open_secret=lambda sealed: open_sealed(sealed, PRIVATE),
    )  # fmt: skip


async def _rows(sessions: SessionFactory) -> dict[str, tuple[str, str | None, str | None]]:
    d = tables.deliveries.c
    async with sessions() as session:
        found = await session.execute(select(d.recipient, d.status, d.sealed_secret, d.last_error))
        return {row.recipient: (row.status, row.sealed_secret, row.last_error) for row in found}


def _recipient(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@escautpont.example"


async def test_the_sealed_password_is_erased_when_smtp_accepts_the_e_mail(
    stack: Stack, database: DatabaseFactory, engines: EngineFactory, smtp_senders: SenderFactory
) -> None:
    sessions = create_session_factory(engines(await database("notifier")))
    recipient = _recipient("sent")
    worker = await _worker(sessions, smtp_senders(stack.smtp_host, stack.smtp_port), _issued(recipient))
    assert (await _rows(sessions))[recipient][1] is not None  # sealed, waiting to be sent

    assert await worker.send_due() == 1

    [mail] = _mails_to(stack.maildir, recipient)
    assert PASSWORD in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert (await _rows(sessions))[recipient] == ("SENT", None, None)


async def test_a_delivery_that_fails_for_good_keeps_no_sealed_password(
    stack: Stack, database: DatabaseFactory, engines: EngineFactory, smtp_senders: SenderFactory
) -> None:
    sessions = create_session_factory(engines(await database("notifier")))
    recipient = _recipient("unopenable")
    unopenable = _issued(recipient, sealed=seal(PASSWORD, generate_key_pair()[1]))
    worker = await _worker(sessions, smtp_senders(stack.smtp_host, stack.smtp_port), unopenable)

    await worker.send_due()

    status, sealed, _ = (await _rows(sessions))[recipient]
    assert (status, sealed) == ("FAILED", None)
    assert _mails_to(stack.maildir, recipient) == []


async def test_a_password_never_sent_within_its_lifetime_is_erased_and_the_delivery_failed(
    stack: Stack, database: DatabaseFactory, engines: EngineFactory, smtp_senders: SenderFactory
) -> None:
    sessions = create_session_factory(engines(await database("notifier")))
    stale, fresh, kept_before = _recipient("stale"), _recipient("fresh"), _recipient("already-sent")
    sender = smtp_senders(stack.smtp_host, stack.smtp_port)
    worker = await _worker(sessions, sender, _issued(stale), _issued(fresh), _issued(kept_before))
    d = tables.deliveries.c
    async with sessions() as session, session.begin():
        # stale: waiting since before the password's lifetime (SMTP down for days); kept_before: a row sent by the
        # earlier code, which kept the sealed password after sending
        old = datetime.now(UTC) - timedelta(hours=73)
        await session.execute(update(tables.deliveries).where(d.recipient == stale).values(created_at=old))
        await session.execute(update(tables.deliveries).where(d.recipient == kept_before).values(status="SENT"))

    assert await worker.send_due() == 1  # the fresh one only

    rows = await _rows(sessions)
    assert rows[stale] == ("FAILED", None, EXPIRED_UNSENT)
    assert "nouvelle demande de réinitialisation" in EXPIRED_UNSENT
    assert rows[fresh] == ("SENT", None, None)
    assert rows[kept_before][:2] == ("SENT", None)
    assert _mails_to(stack.maildir, stale) == []
    assert len(_mails_to(stack.maildir, fresh)) == 1


async def test_the_upgrade_erases_the_sealed_passwords_earlier_releases_kept_after_sending(
    tmp_path: Path, engines: EngineFactory
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'notifier.sqlite3'}"
    config = alembic_config(ROOT / "notifier" / "migrations", url)
    await asyncio.to_thread(command.upgrade, config, "0004")
    sessions = create_session_factory(engines(url))
    sent, waiting = _recipient("sent-before"), _recipient("waiting")
    processor = EventProcessor(sessions, tables.processed_events, HANDLERS, CollectedDeadLetters())
    for event in (_issued(sent), _issued(waiting)):
        await processor.process(Delivery(to_wire(event)))
    async with sessions() as session, session.begin():
        d = tables.deliveries.c
        await session.execute(update(tables.deliveries).where(d.recipient == sent).values(status="SENT"))

    await asyncio.to_thread(command.upgrade, config, "head")

    rows = await _rows(sessions)
    assert rows[sent][:2] == ("SENT", None)
    assert rows[waiting][0] == "PENDING"
    assert rows[waiting][1] is not None  # still to be sent: kept until then
