"""The SMTP sink, spoken to over a real loopback SMTP conversation (aiosmtplib)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import aiosmtplib
import pytest

from structures.stack.smtp_sink import FaultInjector, faults_file_for, start_sink


@dataclass
class Sink:
    port: int
    maildir: Path

    @property
    def faults_file(self) -> Path:
        return faults_file_for(self.maildir)

    def messages(self) -> list[Path]:
        return sorted(self.maildir.glob("*.eml"))

    def inject(self, codes: list[int], *, permanent: bool = False) -> None:
        self.faults_file.write_text(json.dumps({"fail_next": codes, "permanent": permanent}))

    def pending_faults(self) -> list[int]:
        return list(json.loads(self.faults_file.read_text())["fail_next"])


@pytest.fixture
async def sink(tmp_path: Path) -> AsyncIterator[Sink]:
    maildir = tmp_path / "maildir"
    server = await start_sink("127.0.0.1", 0, maildir)
    port = server.sockets[0].getsockname()[1]
    try:
        yield Sink(port=port, maildir=maildir)
    finally:
        server.close()
        await server.wait_closed()


def _mail(subject: str = "Disponibilités mises à jour") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "noreply@structures.test"
    message["To"] = "gestionnaire@creche.test"
    message["Subject"] = subject
    message.set_content("Bonjour,\nvos disponibilités ont été publiées.\n")
    return message


async def _send(sink: Sink, message: EmailMessage, recipients: list[str] | None = None) -> None:
    await aiosmtplib.send(
        message,
        hostname="127.0.0.1",
        port=sink.port,
        sender="bounces@structures.test",
        recipients=recipients or ["gestionnaire@creche.test"],
        timeout=10,
    )


@pytest.mark.asyncio
async def test_received_message_is_stored_as_eml_with_envelope_headers(sink: Sink) -> None:
    await _send(sink, _mail(), ["gestionnaire@creche.test", "copie@caf.test"])

    [stored] = sink.messages()
    parsed = BytesParser(policy=policy.default).parsebytes(stored.read_bytes())
    assert parsed["X-Envelope-From"] == "bounces@structures.test"
    assert parsed["X-Envelope-To"] == "gestionnaire@creche.test, copie@caf.test"
    assert parsed["Subject"] == "Disponibilités mises à jour"
    assert parsed["To"] == "gestionnaire@creche.test"
    body = parsed.get_body()
    assert body is not None
    assert "vos disponibilités ont été publiées" in body.get_content()
    assert stored.name.endswith(".eml")
    assert [path.name for path in sink.maildir.iterdir()] == [stored.name]  # no temporary file left


@pytest.mark.asyncio
async def test_each_message_gets_its_own_file(sink: Sink) -> None:
    await asyncio.gather(*(_send(sink, _mail(f"message {index}")) for index in range(3)))

    subjects = {BytesParser(policy=policy.default).parsebytes(p.read_bytes())["Subject"] for p in sink.messages()}
    assert subjects == {"message 0", "message 1", "message 2"}


@pytest.mark.asyncio
async def test_injected_451_is_answered_once_then_delivery_succeeds(sink: Sink) -> None:
    sink.inject([451])

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await _send(sink, _mail())
    assert [error.code for error in refused.value.recipients] == [451]
    assert sink.messages() == []
    assert sink.pending_faults() == []

    await _send(sink, _mail())
    assert len(sink.messages()) == 1


@pytest.mark.asyncio
async def test_faults_are_consumed_in_order_across_rcpt_and_data(sink: Sink) -> None:
    sink.inject([250, 451])  # RCPT accepted, DATA answered 451

    with pytest.raises(aiosmtplib.SMTPDataError) as data_error:
        await _send(sink, _mail())
    assert data_error.value.code == 451
    assert sink.messages() == []

    await _send(sink, _mail())
    assert len(sink.messages()) == 1


@pytest.mark.asyncio
async def test_permanent_faults_are_not_consumed(sink: Sink) -> None:
    sink.inject([550], permanent=True)

    for _ in range(2):
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await _send(sink, _mail())
        assert [error.code for error in refused.value.recipients] == [550]
    assert sink.pending_faults() == [550]

    sink.faults_file.unlink()
    await _send(sink, _mail())
    assert len(sink.messages()) == 1


def test_unreadable_faults_file_injects_nothing(tmp_path: Path) -> None:
    control = tmp_path / "smtp-faults.json"
    control.write_text("{not json")

    assert FaultInjector(control).next_failure() is None
    assert FaultInjector(tmp_path / "absent.json").next_failure() is None


def test_faults_file_sits_next_to_the_maildir(tmp_path: Path) -> None:
    assert faults_file_for(tmp_path / "smtp" / "maildir") == tmp_path / "smtp" / "smtp-faults.json"
