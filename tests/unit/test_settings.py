import pytest

from gateway.settings import GatewaySettings
from moderation.settings import ModerationSettings
from notifier.settings import NotifierSettings
from shared.errors import ConfigurationError
from shared.settings import load_settings
from structures.cli import main


def test_a_missing_database_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)

    with pytest.raises(ConfigurationError, match="GATEWAY_DATABASE_URL is required but not set"):
        load_settings(GatewaySettings)


def test_an_invalid_value_names_the_variable_and_the_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFIER_DATABASE_URL", "sqlite+aiosqlite:///x.sqlite3")
    monkeypatch.setenv("NOTIFIER_SMTP_PORT", "vingt-cinq")

    with pytest.raises(ConfigurationError, match=r"NOTIFIER_SMTP_PORT .*integer"):
        load_settings(NotifierSettings)


def test_settings_come_from_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", "sqlite+aiosqlite:///g.sqlite3")
    monkeypatch.setenv("GATEWAY_KAFKA_TOPIC_NAMESPACE", "staging")
    monkeypatch.setenv("MODERATION_KAFKA_TOPIC_NAMESPACE", "other")

    settings = load_settings(GatewaySettings)

    assert settings.kafka_topic_namespace == "staging"
    assert settings.port == 8000


def test_the_command_refuses_to_start_a_misconfigured_service(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MODERATION_DATABASE_URL", raising=False)
    monkeypatch.setenv("MODERATION_BUS", "carrier-pigeon")

    assert main(["moderation"]) == 2
    error = capsys.readouterr().err
    assert "MODERATION_DATABASE_URL is required" in error
    assert "MODERATION_BUS" in error


@pytest.mark.parametrize("url", ["127.0.0.1:8001/graphql", "ftp://127.0.0.1:8001/graphql", "http:///graphql"])
def test_a_moderation_url_the_page_could_not_reach_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", "sqlite+aiosqlite:///g.sqlite3")
    monkeypatch.setenv("GATEWAY_MODERATION_URL", url)

    with pytest.raises(ConfigurationError, match=r"GATEWAY_MODERATION_URL .*http\(s\) URL"):
        load_settings(GatewaySettings)


def test_the_moderation_cors_origins_are_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_DATABASE_URL", "sqlite+aiosqlite:///m.sqlite3")
    monkeypatch.setenv("MODERATION_CORS_ORIGINS", '["http://127.0.0.1:8000", "https://structures.monenfant.fr"]')
    monkeypatch.setenv("MODERATION_CLAIM_LEASE_SECONDS", "20")

    settings = load_settings(ModerationSettings)

    assert settings.cors_origins == ("http://127.0.0.1:8000", "https://structures.monenfant.fr")
    assert settings.claim_lease_seconds == 20
