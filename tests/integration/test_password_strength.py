"""The chosen password is refused when easy to guess, with the words of the person's structure as context."""

import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from gateway.accounts.password_context import structure_words
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT
from shared.db import create_session_factory
from tests.conftest import EngineFactory
from tests.integration.test_availability_publication import CHOSEN, TEMPORARY, _gateway, _gql

pytestmark = pytest.mark.integration

LOGIN = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
  session { accessToken } } }"""
CHANGE = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
  session { accessToken } userErrors { field code message } } }"""


@pytest.mark.parametrize(
    ("weak", "reason"),
    [
        ("azertyuiopqs", "il suit une rangée du clavier"),
        ("123456789012", "il suit une suite de lettres ou de chiffres"),
        ("passwordpassword", "il répète un caractère ou un motif"),
        ("Multi-accueil Les P'tits Mineurs", "liés à votre compte ou à votre structure"),
        ("Escautpont-Monenfant!", "liés à votre compte ou à votre structure"),
    ],
)
async def test_an_easy_to_guess_new_password_is_refused_in_french_then_a_strong_one_is_accepted(
    sqlite_catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, weak: str, reason: str
) -> None:
    async with _gateway(sqlite_catalogue, tmp_path, monkeypatch) as client:
        login = await _gql(client, LOGIN, i="m.dupont.escautpont", p=TEMPORARY)
        token = login["data"]["login"]["session"]["accessToken"]

        refused = (await _gql(client, CHANGE, token, c=TEMPORARY, n=weak))["data"]["changePassword"]
        [error] = refused["userErrors"]
        assert (error["field"], error["code"]) == ("newPassword", "TOO_GUESSABLE")
        assert reason in error["message"]
        assert "Préférez une phrase de plusieurs mots inhabituels" in error["message"]
        assert refused["session"] is None

        accepted = (await _gql(client, CHANGE, token, c=TEMPORARY, n=CHOSEN))["data"]["changePassword"]
        assert accepted["userErrors"] == []


async def test_the_structure_words_are_read_on_both_databases(catalogue_url: str, engines: EngineFactory) -> None:
    sessions = create_session_factory(engines(catalogue_url))
    provider_agent = SimpleNamespace(id=str(uuid.uuid4()), provider_id=str(MAIRIE_ESCAUTPONT), caf_code=None)
    caf_agent = SimpleNamespace(id=str(uuid.uuid4()), provider_id=None, caf_code="CAF59")
    async with sessions() as session:
        provider_words = await structure_words(session, provider_agent)
        caf_words = await structure_words(session, caf_agent)

    assert provider_words[:2] == ["Mairie d'Escautpont", "Escautpont"]
    assert {"Accueil de loisirs municipal d'Escautpont", "Valenciennes"} <= set(provider_words)
    assert caf_words == ["CAF59", "Caisse d'allocations familiales du Nord"]
