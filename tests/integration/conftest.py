"""Fixtures shared by integration tests."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.accounts import services
from gateway.accounts.services import NewPerson, PasswordIssuing
from notifier.email import SmtpSender
from shared.sealing import generate_key_pair
from tests.integration.test_availability_publication import _gateway, _token
from tests.integration.test_publication_subscriptions import _served


@pytest.fixture
async def caf_gateway(sqlite_catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The gateway in-process behind uvicorn (WebSockets work), with Marie, a Caf du Nord and a Caf du
    Pas-de-Calais agent signed in; API keys limited to 1 request/s after a burst of 5; open subscriptions check
    their key or session every 0.2 s."""
    settings = {"integrator_requests_per_second": 1, "integrator_burst": 5, "subscription_recheck_seconds": 0.2}
    async with _gateway(sqlite_catalogue, tmp_path, monkeypatch, **settings) as client, _served(client) as (url, app):
        _, public = generate_key_pair()
        async with app.state.runtime.sessions() as session, session.begin():
            await services.bootstrap_caf_agent(
                session, NewPerson("Lefebvre", "Paul", "Caf", "p.lefebvre@caf62.example"), caf_code="CAF62",
                issuing=PasswordIssuing(app.state.authenticator.hashing, public), now=datetime.now(UTC),
            )  # fmt: skip
        people = {"marie": "m.dupont.escautpont", "nord": "a.mathon.caf59", "pas_de_calais": "p.lefebvre.caf62"}
        tokens = {name: await _token(client, identifier) for name, identifier in people.items()}
        yield client, url, app, tokens


SenderFactory = Callable[..., SmtpSender]


@pytest.fixture
def smtp_senders() -> Iterator[SenderFactory]:
    """``smtp_senders(host, port, **options)`` → an SMTP sender whose kept connections are closed after the test."""
    made: list[SmtpSender] = []

    def make(host: str, port: int, **options: Any) -> SmtpSender:
        made.append(SmtpSender(host, port, **options))
        return made[-1]

    yield make
    for sender in made:
        sender.close()
