"""Reading the SMTP sink's mailbox in end-to-end tests."""

import asyncio
import re
from collections.abc import Collection
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path


async def wait_for_mail(
    maildir: Path, recipient: str, subject: str, timeout: float = 40, *, ignoring: Collection[Path] = ()
) -> EmailMessage:
    """The first message to ``recipient`` whose subject contains ``subject``, leaving aside the files ``ignoring``
    (those of earlier runs, when the address is a fixed one such as a demo account's)."""
    async with asyncio.timeout(timeout):
        while True:
            for path in sorted(maildir.glob("*.eml")):  # noqa: ASYNC240 - a test polling a folder
                if path in ignoring:
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
