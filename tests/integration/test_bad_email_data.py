"""R10 for e-mails: data the notifier cannot trust (CR/LF in names and addresses, two addresses in one, odd
characters, very long values, missing values, a password that cannot be opened), on the real SMTP sink, PostgreSQL
and Kafka. Each gives a safe e-mail, a dead letter with the reason, or a failed delivery with the reason; the worker
goes on and the e-mails after them go out."""

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from notifier import tables
from notifier.deliveries import DeliveryWorker, add_delivery
from notifier.handlers import HANDLERS
from notifier.rendering import SUBJECT_LENGTH, render
from shared.consumer import Delivery, EventProcessor, Outcome
from shared.db import SessionFactory, create_session_factory
from shared.events import (
    ConventionNotice,
    EventData,
    PasswordIssued,
    Topic,
    WireMessage,
    dead_letter_topic,
    new_event,
    physical_topic,
    to_wire,
)
from shared.kafka import KafkaPublisher
from shared.logging import correlation_scope
from shared.outbox import OutboxSignal
from shared.sealing import generate_key_pair, open_sealed
from tests.conftest import DatabaseFactory, EngineFactory, Stack
from tests.factories import make_agent, make_decided
from tests.integration.conftest import SenderFactory
from tests.integration.test_bad_input import _header
from tests.kafka_tools import read_topic

pytestmark = pytest.mark.integration
LONG_NAME = "Crèche « Les Petits Mineurs » d'Escautpont " * 300
SAFE = ("injection", "odd", "long", "later")
"""The cases that give an e-mail, made safe."""


def _wire(data: EventData, case: str, **changes: Any) -> WireMessage:
    """``data`` as sent, with ``changes`` made to its JSON (to break what the models would refuse to build)."""
    message = to_wire(new_event(data, source="/tests"))
    value = json.dumps(json.loads(message.value) | changes).encode() if changes else message.value
    return WireMessage(message.topic, message.key, value, (*message.headers, ("x-case", case.encode())))


def _notice() -> ConventionNotice:
    return ConventionNotice(
        convention_id=uuid.uuid4(), kind="TERMINATION_RECORDED", provider_name="Mairie d'Escautpont",
        provider_email="mairie@escautpont.example", caf_label="Caf du Nord", signed_on=date(2023, 12, 15),
        renewal_on=date(2025, 12, 15), notice_deadline=date(2025, 9, 15), terminated_by="FOURNISSEUR",
        letter_reference="1A 234 567 8901 2",
    )  # fmt: skip


def _broken(to: Callable[[str], str], victim: str) -> list[WireMessage]:
    """Events whose data the notifier cannot trust, each named by its ``x-case`` header."""

    def decided(case: str, **values: Any) -> WireMessage:
        agent = {"email": to(case)} | values.pop("agent", {})
        return _wire(make_decided(submitted_by=make_agent(**agent), **values), case)

    password = PasswordIssued(
        account_id=uuid.uuid4(), identifier="m.dupont", agent_number="59-ESC-0001", display_name="Marie",
        email=to("unopenable-password"), reason="RESET", sealed_password="pas du base64 !",
        expires_at=datetime.now(UTC) + timedelta(hours=72),
    )  # fmt: skip
    return [
        decided(
            "injection", establishment_name=f"Crèche\r\nBcc: {victim}", agent={"display_name": "M\r\nX-Injected: 1"}
        ),
        decided("odd", establishment_name="Les P'tits 🐣 \u202eenilno\u202c <script>x</script>", comment="\u200b"),
        decided("long", establishment_name=LONG_NAME, comment="Merci. " * 20_000),
        decided("crlf-recipient", agent={"email": f"{to('crlf-recipient')}\r\nBcc: {victim}"}),
        decided("two-recipients", agent={"email": f"{to('two-recipients')}, {victim}"}),
        _wire(make_decided(), "nul-in-a-name", establishment_name="Crèche\u0000"),
        _wire(_notice(), "termination-without-letter", letter_reference=None),
        _wire(password, "unopenable-password"),
    ]


async def _add_legacy_delivery(sessions: SessionFactory, recipient: str, correlation_id: str) -> None:
    """A delivery written before events' ids were checked: its correlation id holds a CR/LF."""
    values = {"display_name": "Paul", "agent_number": "1", "reason": "-", "deactivated_on": "-"}
    email = render("agent_deactivated", values)
    async with sessions() as session, session.begin():
        with correlation_scope(correlation_id):
            await add_delivery(session, event_id="legacy", kind="agent_deactivated", recipient=recipient, email=email)


async def test_broken_e_mail_data_gives_a_safe_e_mail_a_dead_letter_or_a_failed_delivery_and_later_ones_go_out(
    stack: Stack,
    pg_database: DatabaseFactory,
    engines: EngineFactory,
    kafka_namespace: str,
    smtp_senders: SenderFactory,
) -> None:
    tag = uuid.uuid4().hex[:8]
    victim = f"victim-{tag}@evil.example"

    def to(who: str) -> str:
        return f"{who}-{tag}@escautpont.example"

    sessions = create_session_factory(engines(await pg_database("notifier")))
    dead_letters = KafkaPublisher(stack.kafka, namespace=kafka_namespace)
    processor = EventProcessor(sessions, tables.processed_events, HANDLERS, dead_letters)
    try:
        outcomes = {m.header("x-case"): await processor.process(Delivery(m)) for m in _broken(to, victim)}
    finally:
        await dead_letters.close()
    await _add_legacy_delivery(sessions, to("legacy"), f"legacy\r\nBcc: {victim}")
    later = _wire(make_decided(submitted_by=make_agent(email=to("later"))), "later")
    assert await processor.process(Delivery(later)) == Outcome.APPLIED
    private, _public = generate_key_pair()
    worker = DeliveryWorker(
        sessions, smtp_senders(stack.smtp_host, stack.smtp_port), OutboxSignal(), mail_from="caf@example.org",
        max_attempts=3, open_secret=lambda sealed: open_sealed(sealed, private),
    )  # fmt: skip

    assert await worker.send_due() == 6

    dead = {"crlf-recipient", "two-recipients", "nul-in-a-name", "termination-without-letter"}
    assert outcomes == {case: Outcome.DEAD_LETTERED if case in dead else Outcome.APPLIED for case in outcomes}
    statuses = await _statuses(sessions)
    assert statuses[to("unopenable-password")] == ("FAILED", "the sealed secret is not valid base64")
    assert statuses[to("legacy")][0] == "FAILED"
    assert "cannot write the X-Correlation-Id header" in (statuses[to("legacy")][1] or "")
    assert {statuses[to(case)] for case in SAFE} == {("SENT", None)}
    mails = _mails_of(stack, tag)
    assert sorted(mails) == sorted(map(to, SAFE)), "one e-mail each, none to the victim"
    _check_safe(*(mails[to(case)] for case in ("injection", "odd", "long")))
    await _check_dead_letters(stack, kafka_namespace, dead)


def _mails_of(stack: Stack, tag: str) -> dict[str, EmailMessage]:
    """The e-mails of this test in the sink (one per recipient), by recipient."""
    found: dict[str, EmailMessage] = {}
    for path in stack.maildir.glob("*.eml"):
        raw = path.read_bytes()
        if tag.encode() in raw:
            mail = message_from_bytes(raw, policy=policy.default)
            assert isinstance(mail, EmailMessage)
            assert str(mail["To"]) not in found, "one e-mail per recipient"
            found[str(mail["To"])] = mail
    return found


def _check_safe(injection: EmailMessage, odd: EmailMessage, long: EmailMessage) -> None:
    assert injection["Bcc"] is None
    assert injection["X-Injected"] is None
    assert "Vos informations sur « Crèche Bcc: victim-" in injection["Subject"]
    assert "Bonjour M" in _part(injection, "plain")
    assert "\u202e" not in odd["Subject"]
    assert "🐣" in odd["Subject"]
    assert "&lt;script&gt;x&lt;/script&gt;" in _part(odd, "html")
    assert len(long["Subject"]) <= SUBJECT_LENGTH
    assert long["Subject"].endswith("…")
    assert " ".join(LONG_NAME.split()) in " ".join(_part(long, "plain").split())


def _part(mail: EmailMessage, subtype: str) -> str:
    body = mail.get_body((subtype,))
    assert body is not None
    return str(body.get_content())


async def _statuses(sessions: SessionFactory) -> dict[str, tuple[str, str | None]]:
    async with sessions() as session:
        rows = await session.execute(
            select(tables.deliveries.c.recipient, tables.deliveries.c.status, tables.deliveries.c.last_error)
        )
        return {row.recipient: (row.status, row.last_error) for row in rows}


async def _check_dead_letters(stack: Stack, namespace: str, cases: set[str]) -> None:
    letters = [
        *await read_topic(
            stack.kafka, dead_letter_topic(physical_topic(Topic.MODERATION_DECIDED, namespace)), expected=3
        ),
        *await read_topic(stack.kafka, dead_letter_topic(physical_topic(Topic.ACCOUNTS, namespace)), expected=1),
    ]
    reasons = {_header(letter, "x-case"): _header(letter, "dlq_reason") for letter in letters}

    assert set(reasons) == cases
    assert "not one e-mail address" in reasons["crlf-recipient"]
    assert "not one e-mail address" in reasons["two-recipients"]
    assert "data.establishment_name contains a NUL character" in reasons["nul-in-a-name"]
    assert "names who terminated (terminated_by) and the letter_reference" in reasons["termination-without-letter"]
