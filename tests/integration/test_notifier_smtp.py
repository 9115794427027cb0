"""The notifier against the real SMTP sink: one e-mail per event, retried after 451, failed on 550."""

import asyncio
import json
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from aiosmtpd.smtp import Session as SmtpSession
from sqlalchemy import select

from notifier import tables
from notifier.deliveries import DeliveryWorker
from notifier.email import SmtpSender
from notifier.handlers import HANDLERS
from shared.consumer import Delivery, EventProcessor
from shared.db import SessionFactory, create_session_factory
from shared.events import WithdrawalNotice, new_event, to_wire
from shared.outbox import OutboxSignal
from tests.conftest import DatabaseFactory, EngineFactory, Stack
from tests.factories import make_agent, make_decided, make_event
from tests.integration.conftest import SenderFactory
from tests.integration.test_event_processor import CollectedDeadLetters

pytestmark = pytest.mark.integration


def _mails_to(maildir: Path, recipient: str) -> list[EmailMessage]:
    found = []
    for path in maildir.glob("*.eml"):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        if mail["To"] == recipient:
            found.append(mail)
    return found


def _set_faults(stack: Stack, codes: list[int]) -> Path:
    path = stack.maildir.parent / "smtp-faults.json"
    path.write_text(json.dumps({"fail_next": codes}))
    return path


async def _deliver(sessions: SessionFactory, sender: SmtpSender, *events: object) -> DeliveryWorker:
    signal = OutboxSignal()
    processor = EventProcessor(
        sessions, tables.processed_events, HANDLERS, CollectedDeadLetters(), on_applied=signal.set
    )
    for event in events:
        await processor.process(Delivery(to_wire(event)))  # type: ignore[arg-type]
    return DeliveryWorker(sessions, sender, signal, mail_from="caf@example.org", max_attempts=3)


async def _statuses(sessions: SessionFactory) -> list[tuple[str, int, str | None]]:
    async with sessions() as session:
        rows = await session.execute(
            select(tables.deliveries.c.status, tables.deliveries.c.attempts, tables.deliveries.c.last_error)
        )
        return [tuple(row) for row in rows]


async def test_a_decision_e_mail_is_sent_once_even_when_the_event_comes_twice(
    stack: Stack, pg_database: DatabaseFactory, engines: EngineFactory, smtp_senders: SenderFactory
) -> None:
    sessions = create_session_factory(engines(await pg_database("notifier")))
    recipient = f"agent-{uuid.uuid4().hex[:8]}@escautpont.example"
    event = make_event(make_decided(submitted_by=make_agent(email=recipient)))

    worker = await _deliver(sessions, smtp_senders(stack.smtp_host, stack.smtp_port), event, event)
    assert await worker.send_due() == 1
    assert await worker.send_due() == 0

    [mail] = _mails_to(stack.maildir, recipient)
    assert "n'ont pas été validées" in mail["Subject"]
    assert mail["Message-ID"].endswith("@structures.monenfant.example>")
    assert mail["X-Structures-Event-Id"] == event.id
    assert "Caractère publicitaire déguisé" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert await _statuses(sessions) == [("SENT", 1, None)]


async def test_a_withdrawal_notice_reaches_each_responsible_agent_once_with_the_reasons(
    stack: Stack, pg_database: DatabaseFactory, engines: EngineFactory, smtp_senders: SenderFactory
) -> None:
    sessions = create_session_factory(engines(await pg_database("notifier")))
    tag = uuid.uuid4().hex[:8]
    agents = [make_agent(email=f"{who}-{tag}@escautpont.example", agent_number=f"59-ESC-{n}")
              for n, who in (("0001", "marie"), ("0002", "paul"))]  # fmt: skip
    notice = WithdrawalNotice(
        establishment_id=uuid.uuid4(), establishment_name="Multi-accueil Les P'tits Mineurs", version=3,
        reasons=["PUBLICITE_DEGUISEE", "AUTRE"], comment="Un code promo figure dans les tarifs.",
        withdrawn_by="CAF59-0001", withdrawn_at=datetime.now(UTC), caf_code="CAF59", recipients=agents,
    )  # fmt: skip
    event = new_event(notice, source="/tests")

    worker = await _deliver(sessions, smtp_senders(stack.smtp_host, stack.smtp_port), event, event)
    assert await worker.send_due() == 2

    for agent in agents:
        [mail] = _mails_to(stack.maildir, agent.email)
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert mail["Subject"] == "La Caf a retiré les informations publiées sur « Multi-accueil Les P'tits Mineurs »"
        assert "Caractère publicitaire déguisé" in text
        assert "Autre motif" in text
        assert "Commentaire de la Caf : Un code promo figure dans les tarifs." in text
        assert f"votre numéro d'agent : {agent.agent_number}" in text


async def test_a_temporary_refusal_is_retried_and_the_e_mail_sent_once(
    stack: Stack, pg_database: DatabaseFactory, engines: EngineFactory, smtp_senders: SenderFactory
) -> None:
    sessions = create_session_factory(engines(await pg_database("notifier")))
    recipient = f"agent-{uuid.uuid4().hex[:8]}@escautpont.example"
    worker = await _deliver(
        sessions,
        smtp_senders(stack.smtp_host, stack.smtp_port),
        make_event(make_decided(submitted_by=make_agent(email=recipient))),
    )
    faults = _set_faults(stack, [451])
    try:
        await worker.send_due()
        [(status, attempts, error)] = await _statuses(sessions)
        assert (status, attempts) == ("PENDING", 1)
        assert "451" in (error or "")

        async with sessions() as session, session.begin():  # skip the backoff instead of waiting for it
            await session.execute(tables.deliveries.update().values(next_attempt_at=tables.deliveries.c.created_at))
        await worker.send_due()
    finally:
        faults.unlink(missing_ok=True)

    assert len(_mails_to(stack.maildir, recipient)) == 1
    assert [s[:2] for s in await _statuses(sessions)] == [("SENT", 2)]


async def test_a_permanent_refusal_is_recorded_as_failed_and_not_retried(
    stack: Stack, pg_database: DatabaseFactory, engines: EngineFactory, smtp_senders: SenderFactory
) -> None:
    sessions = create_session_factory(engines(await pg_database("notifier")))
    recipient = f"agent-{uuid.uuid4().hex[:8]}@escautpont.example"
    worker = await _deliver(
        sessions,
        smtp_senders(stack.smtp_host, stack.smtp_port),
        make_event(make_decided(submitted_by=make_agent(email=recipient))),
    )
    faults = _set_faults(stack, [550])
    try:
        await worker.send_due()
    finally:
        faults.unlink(missing_ok=True)
    await asyncio.sleep(0)

    [(status, attempts, error)] = await _statuses(sessions)
    assert (status, attempts) == ("FAILED", 1)
    assert "550" in (error or "")
    assert await worker.send_due() == 0
    assert _mails_to(stack.maildir, recipient) == []


async def test_while_smtp_is_down_e_mails_wait_then_go_out_once_when_it_is_back(
    pg_database: DatabaseFactory, engines: EngineFactory, tmp_path: Path, smtp_senders: SenderFactory
) -> None:
    from structures.stack.smtp_sink import start_sink
    from tests.e2e.processes import free_port

    sessions = create_session_factory(engines(await pg_database("notifier")))
    port = free_port()
    processor = EventProcessor(sessions, tables.processed_events, HANDLERS, CollectedDeadLetters())
    await processor.process(Delivery(to_wire(make_event(make_decided()))))
    worker = DeliveryWorker(
        sessions,
        smtp_senders("127.0.0.1", port, timeout=2),
        OutboxSignal(),
        mail_from="caf@example.org",
        max_attempts=5,
    )

    await worker.send_due()
    [(status, attempts, error)] = await _statuses(sessions)
    assert (status, attempts) == ("PENDING", 1)
    assert "unreachable" in (error or "")

    server = await start_sink("127.0.0.1", port, tmp_path / "maildir")
    try:
        async with sessions() as session, session.begin():  # skip the backoff instead of waiting for it
            await session.execute(tables.deliveries.update().values(next_attempt_at=tables.deliveries.c.created_at))
        await worker.send_due()
        await worker.send_due()
    finally:
        server.close()
        await server.wait_closed()

    assert [s[:2] for s in await _statuses(sessions)] == [("SENT", 2)]
    assert len(list((tmp_path / "maildir").glob("*.eml"))) == 1


class _Overlapping:
    """The real SMTP sender, counting how many sends are in flight at once."""

    def __init__(self, sender: SmtpSender) -> None:
        self._sender = sender
        self.in_flight = 0
        self.most = 0

    async def send(self, message: EmailMessage) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await self._sender.send(message)
        finally:
            self.in_flight -= 1

    def close(self) -> None:
        self._sender.close()


async def test_due_e_mails_are_sent_several_at_a_time_each_once(
    stack: Stack, pg_database: DatabaseFactory, engines: EngineFactory, smtp_senders: SenderFactory
) -> None:
    """L3: one SMTP conversation at a time kept the worker under 20 e-mails/s; the due ones now overlap (bounded)."""
    sessions = create_session_factory(engines(await pg_database("notifier")))
    recipient = f"agent-{uuid.uuid4().hex[:8]}@escautpont.example"
    events = [make_event(make_decided(submitted_by=make_agent(email=recipient))) for _ in range(6)]
    worker = await _deliver(sessions, smtp_senders(stack.smtp_host, stack.smtp_port), *events)
    overlapping = _Overlapping(smtp_senders(stack.smtp_host, stack.smtp_port))
    worker._sender = overlapping

    assert await worker.send_due() == 6
    assert await worker.send_due() == 0

    assert overlapping.most > 1
    assert len(_mails_to(stack.maildir, recipient)) == 6
    assert await _statuses(sessions) == [("SENT", 1, None)] * 6


class _Peers:
    """An aiosmtpd handler keeping, for each accepted message, the client address it came from."""

    def __init__(self) -> None:
        self.accepted: list[tuple[str, object]] = []

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: SmtpEnvelope) -> str:  # noqa: N802
        self.accepted.append((str(envelope.rcpt_tos[0]), session.peer))
        return "250 OK"


def _message(recipient: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "caf@example.org", recipient, "Essai"
    message.set_content("Bonjour")
    return message


async def test_e_mails_share_a_kept_smtp_connection_and_one_the_server_closed_is_replaced() -> None:
    """L3: a connection per e-mail cost five more round trips each, on a busy loop; a kept one the server closes
    while idle (its timeout, here 0.3 s) must not lose or repeat the next e-mail."""
    from tests.e2e.processes import free_port

    peers, port = _Peers(), free_port()
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(peers, timeout=0.3), "127.0.0.1", port)
    sender = SmtpSender("127.0.0.1", port, timeout=2)
    try:
        for n in range(3):
            await sender.send(_message(f"agent{n}@escautpont.example"))
        await asyncio.sleep(0.6)  # the server closes the idle connection
        await sender.send(_message("agent3@escautpont.example"))
    finally:
        sender.close()
        server.close()
        await server.wait_closed()

    assert [recipient for recipient, _ in peers.accepted] == [f"agent{n}@escautpont.example" for n in range(4)]
    first, *_, last = [peer for _, peer in peers.accepted]
    assert {peer for _, peer in peers.accepted[:3]} == {first}
    assert last != first
