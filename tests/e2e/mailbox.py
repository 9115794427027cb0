"""Reading the SMTP sink's mailbox in end-to-end tests."""

import asyncio
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path


def mail_names(maildir: Path) -> frozenset[str]:
    """The messages already in the mailbox, to ignore those of earlier runs sent to the same fixed addresses."""
    return frozenset(path.name for path in maildir.glob("*.eml"))


async def wait_for_mail(
    maildir: Path, recipient: str, subject: str, timeout: float = 40, *, ignoring: frozenset[str] = frozenset()
) -> EmailMessage:
    """The first message to ``recipient`` whose subject contains ``subject`` (and whose file is not ``ignoring``)."""
    async with asyncio.timeout(timeout):
        while True:
            for path in sorted(maildir.glob("*.eml")):  # noqa: ASYNC240 - a test polling a folder
                if path.name in ignoring:
                    continue
                mail = message_from_bytes(path.read_bytes(), policy=policy.default)
                if mail["To"] == recipient and subject in str(mail["Subject"]):
                    return mail
            await asyncio.sleep(0.2)


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def password_in(mail: EmailMessage) -> str:
    found = re.search(r"Mot de passe provisoire : (\S+)", text_of(mail))
    assert found is not None, "no password in the e-mail"
    return found.group(1)
