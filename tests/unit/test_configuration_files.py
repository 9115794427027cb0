"""`.env.example` and `docker-compose.yml` use exactly the settings the services read."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from pydantic_settings import BaseSettings

from gateway.settings import GatewaySettings
from moderation.settings import ModerationSettings
from notifier.settings import NotifierSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS: list[type[BaseSettings]] = [GatewaySettings, ModerationSettings, NotifierSettings]


def _variables() -> set[str]:
    return {f"{cls.model_config.get('env_prefix', '')}{name}".upper() for cls in SETTINGS for name in cls.model_fields}


def _env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    pairs = (line.partition("=") for line in lines if line and not line.startswith("#"))
    return {key: value for key, _, value in pairs}


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    assert set(_env_example()) == _variables()


def test_env_example_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in _env_example().items():
        monkeypatch.setenv(key, value)

    assert [cls().port for cls in SETTINGS] == [8000, 8001, 8002]  # type: ignore[attr-defined]


def test_compose_services_only_set_known_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))

    for name in ("gateway", "moderation", "notifier"):
        service = compose["services"][name]
        assert service["command"] == ["structures", name]
        assert set(service["environment"]) <= _variables(), f"{name} sets an unknown variable"
        assert f"{name.upper()}_DATABASE_URL" in service["environment"]


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client on this machine")
def test_docker_compose_config_accepts_the_file() -> None:
    command = _compose_command()
    assert command is not None, "the docker client is here but neither `docker compose` nor docker-compose is"

    result = subprocess.run([*command, "config", "--quiet"], cwd=ROOT, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stderr
