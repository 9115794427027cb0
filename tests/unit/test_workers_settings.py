"""``--workers`` is refused, with the reason, where several processes cannot work."""

import pytest

from gateway.settings import GatewaySettings
from structures.cli import main

KEY = "mRlaR6Is/LZCJ1G8A045BHyuX8nVriClsr8lnSgeiRc="
POSTGRESQL = "postgresql+asyncpg://structures@127.0.0.1/gateway"


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"database_url": POSTGRESQL}, "GATEWAY_TOKEN_SIGNING_KEY"),
        ({"database_url": "sqlite+aiosqlite:///g.db", "token_signing_key": KEY}, "SQLite is for one process"),
        ({"database_url": POSTGRESQL, "token_signing_key": KEY, "bus": "inprocess"}, "need Kafka"),
    ],
)
def test_what_one_process_needs_is_named(settings: dict[str, str], reason: str) -> None:
    problem = GatewaySettings(**settings).why_not_several_workers()  # type: ignore[arg-type]
    assert problem is not None
    assert reason in problem


def test_a_configuration_fit_for_workers_has_no_problem() -> None:
    assert GatewaySettings(database_url=POSTGRESQL, token_signing_key=KEY).why_not_several_workers() is None


def test_the_command_refuses_and_says_why(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", POSTGRESQL)
    monkeypatch.delenv("GATEWAY_TOKEN_SIGNING_KEY", raising=False)
    assert main(["gateway", "--workers", "2"]) == 2
    assert "--workers 2: every worker must sign and verify the same tokens" in capsys.readouterr().err
    assert main(["gateway", "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
