"""Issue 12, item 3: each service believes X-Forwarded-For only from the proxies its settings name (none by default)."""

import pytest
from starlette.applications import Starlette

from gateway.settings import GatewaySettings
from moderation.settings import ModerationSettings
from notifier.settings import NotifierSettings
from shared.server import uvicorn_server
from shared.settings import ServiceSettings

SERVICES: list[type[ServiceSettings]] = [GatewaySettings, ModerationSettings, NotifierSettings]


@pytest.mark.parametrize("settings_class", SERVICES)
def test_no_proxy_is_trusted_by_default(settings_class: type[ServiceSettings]) -> None:
    config = uvicorn_server(Starlette(), settings_class(database_url="sqlite+aiosqlite://")).config

    assert config.proxy_headers is False
    assert config.forwarded_allow_ips == []


@pytest.mark.parametrize(
    ("settings_class", "prefix"), list(zip(SERVICES, ["GATEWAY", "MODERATION", "NOTIFIER"], strict=True))
)
def test_each_service_names_its_own_proxies(
    settings_class: type[ServiceSettings], prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{prefix}_TRUSTED_PROXIES", "10.0.0.5,10.0.1.0/24")

    config = uvicorn_server(Starlette(), settings_class(database_url="sqlite+aiosqlite://")).config

    assert config.proxy_headers is True
    assert config.forwarded_allow_ips == "10.0.0.5,10.0.1.0/24"
