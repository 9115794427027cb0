"""Issue 12 item 1 (ASVS V4.2.1): a habilitation covers only the requester's own establishments, on SQLite and
PostgreSQL. The demo register: the multi-accueil is the Mairie d'Escautpont's (SIRET 21590207300018); the
micro-crèche is Le Jardin de l'Escaut SAS's, which the register knows without a SIRET."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from gateway.accounts import services as account_services
from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.services import NewPerson, PasswordIssuing
from gateway.accounts.tables import account_rights, accounts
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MICRO_CRECHE, MULTI_ACCUEIL
from gateway.catalogue.tables import establishments, providers
from gateway.catalogue.vocabulary import ProviderKind
from gateway.graphql.relay import to_global_id
from gateway.habilitation import processing, services
from gateway.habilitation.amendments import Amendment, RightChange, record_amendment
from gateway.habilitation.challenges import issue_challenge
from gateway.habilitation.forms import HabilitationForm, PersonForm, ProviderForm
from gateway.habilitation.ownership import Confirmation
from gateway.habilitation.processing import ActivationRefusedError, Actor, ProcessingError, SignedConvention
from gateway.habilitation.tables import habilitation_requests
from gateway.tables import outbox
from shared.db import SessionFactory, create_session_factory
from shared.sealing import generate_key_pair
from tests.conftest import EngineFactory
from tests.gateway_app import gateway_client
from tests.graphql_client import SchemaClient
from tests.integration.test_availability_publication import PUBLISH, open_days
from tests.integration.test_habilitation_request import REQUEST, escautpont_request

NORD = Actor("CAF59", "CAF59-0001")
NOW = datetime(2024, 4, 20, 9, tzinfo=UTC)
JARDIN = "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c1002"
ESCAUTPONT = ProviderForm(
    name="Mairie d'Escautpont",
    kind=ProviderKind.COMMUNE,
    siret="21590207300018",
    street="rue Henri Durre",
    postal_code="59278",
    commune_insee="59207",
    email="mairie@escautpont.example",
    representative_name="Raphaël KRUSZYNSKI",
)
INTRUDER = replace(ESCAUTPONT, name="Crèches Intruses SAS", kind=ProviderKind.ENTREPRISE, siret="73282932000074")
RIVAL = replace(INTRUDER, name="Crèches Rivales SAS", siret="55210055400013")


@pytest.fixture
def sessions(catalogue_url: str, engines: EngineFactory) -> SessionFactory:
    return create_session_factory(engines(catalogue_url))


@pytest.fixture
def issuing() -> Iterator[PasswordIssuing]:
    hashing = PasswordHashing(memory_kib=8, time_cost=1)
    yield PasswordIssuing(hashing, generate_key_pair()[1])
    hashing.close()


async def _signed_request(
    sessions: SessionFactory, provider: ProviderForm, wanted: list[str], crèches: list[str]
) -> str:
    """A request of ``provider``, its convention signed: ready for activation. Its number."""
    email = f"directrice@{provider.siret}.example"
    form = HabilitationForm("CAF59", provider, [PersonForm("Durand", "Inès", "Directrice", email)], wanted, crèches)
    async with sessions() as session, session.begin():
        challenge = await issue_challenge(session, purpose=services.CHALLENGE_PURPOSE, now=NOW, text="ABCDEF")
        made = await services.submit_habilitation_request(
            session, form, challenge_id=challenge.id, challenge_answer="ABCDEF", now=NOW
        )
        assert not isinstance(made, list), made
        signed = SignedConvention(date(2024, 4, 15), "Lille", ["Signataire"])
        await processing.record_signed_convention(session, made.number, signed, NORD, NOW)
    return made.number


async def _activate(sessions: SessionFactory, number: str, confirmation: Confirmation, issuing: Any) -> list[str]:
    async with sessions() as session, session.begin():
        made = await processing.activate(session, number, NORD, confirmation, issuing=issuing, now=NOW, signal=None)
    return [account.identifier for account in made]


async def _refusal(sessions: SessionFactory, number: str, confirmation: Confirmation, issuing: Any) -> list[Any]:
    with pytest.raises(ActivationRefusedError) as refused:
        await _activate(sessions, number, confirmation, issuing)
    return [(e.field, e.code, e.message) for e in refused.value.errors]


async def _granted(sessions: SessionFactory) -> dict[str, Any]:
    """What activation may have changed: accounts, rights, providers, who runs the micro-crèche, password events."""
    passwords = outbox.c.event_type.endswith("password.issued.v1")
    rights = select(account_rights.c.establishment_id, account_rights.c.right)
    async with sessions() as session:
        return {
            "accounts": await session.scalar(select(func.count()).select_from(accounts)),
            "rights": sorted((await session.execute(rights)).all()),
            "providers": await session.scalar(select(func.count()).select_from(providers)),
            "micro-crèche run by": await session.scalar(
                select(establishments.c.provider_id).where(establishments.c.id == MICRO_CRECHE)
            ),
            "passwords": await session.scalar(select(func.count()).select_from(outbox).where(passwords)),
            "statuses": sorted((await session.execute(select(habilitation_requests.c.status))).scalars()),
        }


async def test_a_request_naming_another_providers_creche_is_refused_naming_it(
    catalogue_url: str, engines: EngineFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.habilitation import challenges

    monkeypatch.setattr(challenges, "_ALPHABET", "K")
    client = SchemaClient(engines(catalogue_url))
    challenge = await client.data(
        "mutation { createChallenge(input: {purpose: HABILITATION_REQUEST}) { challenge { id } } }"
    )
    intruder = {"name": "Crèches Intruses SAS", "kind": "ENTREPRISE", "siret": INTRUDER.siret}
    request = escautpont_request(challenge["createChallenge"]["challenge"]["id"], "KKKKKK", provider=intruder)

    data = await client.data(REQUEST, {"input": request})

    errors = data["requestHabilitation"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("operatingInfoEstablishments[0]", "ESTABLISHMENT_OF_ANOTHER_PROVIDER"),
        ("operatingInfoEstablishments[1]", "ESTABLISHMENT_OF_ANOTHER_PROVIDER"),
        ("availabilityEstablishments[0]", "ESTABLISHMENT_OF_ANOTHER_PROVIDER"),
    ]
    assert errors[0]["message"] == (
        "L'établissement « Multi-accueil Les P'tits Mineurs » est géré par un autre fournisseur : "
        "seul son gestionnaire peut le demander."
    )
    assert data["requestHabilitation"]["request"] is None
    async with client.sessions() as session:
        assert (await session.execute(select(habilitation_requests))).all() == []
        assert (await session.execute(select(outbox))).all() == []


async def test_a_siret_less_creche_and_a_registered_siret_need_the_cafs_confirmation_or_nothing_is_granted(
    sessions: SessionFactory, issuing: PasswordIssuing
) -> None:
    unclaimed = await _signed_request(sessions, INTRUDER, [MICRO_CRECHE], [MICRO_CRECHE])
    registered = await _signed_request(sessions, ESCAUTPONT, [MULTI_ACCUEIL, MICRO_CRECHE], [MULTI_ACCUEIL])
    before = await _granted(sessions)

    refusals = [
        await _refusal(sessions, unclaimed, Confirmation(), issuing),
        await _refusal(sessions, registered, Confirmation(establishments=(MICRO_CRECHE,)), issuing),
        await _refusal(sessions, registered, Confirmation(provider=True), issuing),
        await _refusal(sessions, unclaimed, Confirmation(establishments=(MICRO_CRECHE, MULTI_ACCUEIL)), issuing),
    ]

    unconfirmed_creche = (
        "Confirmez un à un les établissements sans gestionnaire identifié par SIRET : "
        "« Micro-crèche Le Jardin de l'Escaut »."
    )
    unconfirmed_provider = (
        "Le SIRET de la demande est celui de « Mairie d'Escautpont », déjà connu du registre : "
        "confirmez que les personnes demandées en seront les agents."
    )
    assert refusals[0] == [("confirmEstablishments", "CONFIRMATION_REQUIRED", unconfirmed_creche)]
    assert refusals[1] == [("confirmProvider", "CONFIRMATION_REQUIRED", unconfirmed_provider)]
    assert [(field, code) for field, code, _ in refusals[2]] == [("confirmEstablishments", "CONFIRMATION_REQUIRED")]
    assert [(field, code) for field, code, _ in refusals[3]] == [("confirmEstablishments[1]", "NOT_IN_REQUEST")]
    assert await _granted(sessions) == before
    assert before["statuses"] == ["CONVENTION_RECUE", "CONVENTION_RECUE"]
    assert (before["accounts"], before["rights"], before["micro-crèche run by"]) == (0, [], JARDIN)


async def test_with_its_confirmations_activation_grants_exactly_the_confirmed_items(
    sessions: SessionFactory, issuing: PasswordIssuing
) -> None:
    number = await _signed_request(sessions, INTRUDER, [MICRO_CRECHE], [MICRO_CRECHE])
    before = await _granted(sessions)

    created = await _activate(sessions, number, Confirmation(establishments=(MICRO_CRECHE,)), issuing)

    after = await _granted(sessions)
    async with sessions() as session:
        new_provider = await session.scalar(select(providers.c.id).where(providers.c.siret == INTRUDER.siret))
        old_provider = await session.scalar(select(providers.c.name).where(providers.c.id == JARDIN))
    assert len(created) == 1
    assert after["accounts"] == 1
    assert after["rights"] == [(MICRO_CRECHE, "AVAILABILITY"), (MICRO_CRECHE, "OPERATING_INFO")]
    assert after["micro-crèche run by"] == new_provider
    assert after["providers"] == before["providers"] + 1
    assert old_provider == "Le Jardin de l'Escaut SAS", "the SIRET-less provider row stays in the register"


async def test_ownership_is_checked_again_at_activation(sessions: SessionFactory, issuing: PasswordIssuing) -> None:
    late = await _signed_request(sessions, INTRUDER, [MICRO_CRECHE], [MICRO_CRECHE])
    first = await _signed_request(sessions, RIVAL, [MICRO_CRECHE], [])
    await _activate(sessions, first, Confirmation(establishments=(MICRO_CRECHE,)), issuing)
    before = await _granted(sessions)

    refusal = await _refusal(sessions, late, Confirmation(provider=True, establishments=(MICRO_CRECHE,)), issuing)

    message = (
        "L'établissement « Micro-crèche Le Jardin de l'Escaut » est géré par un autre fournisseur : "
        "seul son gestionnaire peut le demander. Refusez la demande."
    )
    assert refusal == [("requestNumber", "ESTABLISHMENT_OF_ANOTHER_PROVIDER", message)]
    assert await _granted(sessions) == before


async def _outcome(sessions: SessionFactory, number: str, confirmation: Confirmation, issuing: Any) -> str:
    try:
        await _activate(sessions, number, confirmation, issuing)
    except ProcessingError as refused:
        return refused.code
    return "ACTIVATED"


async def test_of_two_concurrent_claims_on_one_creche_one_only_is_granted(
    sessions: SessionFactory, issuing: PasswordIssuing
) -> None:
    claims = [await _signed_request(sessions, p, [MICRO_CRECHE], [MICRO_CRECHE]) for p in (INTRUDER, RIVAL)]
    confirmation = Confirmation(establishments=(MICRO_CRECHE,))

    outcomes = await asyncio.gather(*(_outcome(sessions, number, confirmation, issuing) for number in claims))

    assert sorted(outcomes) == ["ACTIVATED", "ESTABLISHMENT_OF_ANOTHER_PROVIDER"]
    winner = (INTRUDER, RIVAL)[outcomes.index("ACTIVATED")]
    granted = await _granted(sessions)
    async with sessions() as session:
        runs = await session.scalar(select(providers.c.siret).where(providers.c.id == granted["micro-crèche run by"]))
    assert runs == winner.siret
    assert granted["accounts"] == 1
    assert granted["rights"] == [(MICRO_CRECHE, "AVAILABILITY"), (MICRO_CRECHE, "OPERATING_INFO")]


async def test_one_request_activated_twice_at_once_is_activated_once(
    sessions: SessionFactory, issuing: PasswordIssuing
) -> None:
    number = await _signed_request(sessions, ESCAUTPONT, [MULTI_ACCUEIL], [MULTI_ACCUEIL])
    confirmation = Confirmation(provider=True)

    outcomes = await asyncio.gather(*(_outcome(sessions, number, confirmation, issuing) for _ in range(2)))

    assert sorted(outcomes) == ["ACTIVATED", "INVALID_STATUS"]
    granted = await _granted(sessions)
    assert (granted["accounts"], granted["passwords"]) == (1, 1)


async def test_an_amendment_grants_no_right_on_another_providers_establishment(
    sessions: SessionFactory, issuing: PasswordIssuing
) -> None:
    number = await _signed_request(sessions, ESCAUTPONT, [MULTI_ACCUEIL], [MULTI_ACCUEIL])
    [identifier] = await _activate(sessions, number, Confirmation(provider=True), issuing)
    async with sessions() as session:
        agent = await session.scalar(select(accounts.c.agent_number).where(accounts.c.identifier == identifier))
    before = await _granted(sessions)
    amendment = Amendment(date(2024, 6, 1), "Droits", grants=[RightChange(str(agent), MICRO_CRECHE, "AVAILABILITY")])

    with pytest.raises(ProcessingError) as refused:
        async with sessions() as session, session.begin():
            await record_amendment(session, number, amendment, NORD, issuing=issuing, now=NOW, signal=None)

    assert refused.value.code == "ESTABLISHMENT_OF_ANOTHER_PROVIDER"
    assert "« Micro-crèche Le Jardin de l'Escaut »" in str(refused.value)
    assert await _granted(sessions) == before


VIEW = """{ habilitationRequests { edges { node { number status
  provider { name kind siret street postalCode communeName email phone representativeName representativeTitle
             registered { name siret } needsConfirmation }
  establishments { id name category communeName currentProvider { name siret } standing needsConfirmation refused
                   rights }
  persons { lastName firstName function email rights { establishmentName right } } } } } }"""
ACTIVATE = """mutation($n: String!, $provider: Boolean!, $ids: [ID!]!) { activateHabilitation(input: {
  requestNumber: $n, confirmProvider: $provider, confirmEstablishments: $ids}) {
  request { status establishments { name standing currentProvider { name siret } } } accounts
  userErrors { field code message } } }"""


@pytest.fixture
async def caf_client(sqlite_catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """The gateway app (SQLite) with a Caf du Nord agent signed in: (HTTP client, the agent's token)."""
    _, public = generate_key_pair()
    async with gateway_client(sqlite_catalogue, tmp_path)(notifier_public_key=public) as client:
        app: Any = client.app  # type: ignore[attr-defined]
        monkeypatch.setattr(account_services, "generate_password", lambda: "Tmp4Pass")
        async with app.state.runtime.sessions() as session, session.begin():
            person = NewPerson("Mathon", "Audrey", "Agent de la Caf", "a.mathon@caf59.example")
            issuing = PasswordIssuing(app.state.authenticator.hashing, public)
            await account_services.bootstrap_caf_agent(
                session, person, caf_code="CAF59", issuing=issuing, now=datetime.now(UTC)
            )
        token = await _signed_in(client, "a.mathon.caf59", "Tmp4Pass")
        yield client, token


async def _gql(client: httpx.AsyncClient, query: str, token: str, **variables: Any) -> Any:
    headers = {"authorization": f"Bearer {token}"}
    body = (await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)).json()
    assert "errors" not in body, body
    return body["data"]


async def _signed_in(client: httpx.AsyncClient, identifier: str, password: str) -> str:
    login = 'mutation { login(input: {identifier: "%s", password: "%s"}) { session { accessToken } } }'
    first = (await client.post("/graphql", json={"query": login % (identifier, password)})).json()
    change = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
      session { accessToken } } }"""
    token = first["data"]["login"]["session"]["accessToken"]
    changed = await _gql(client, change, token, c=password, n="le beffroi de Lille au printemps")
    return str(changed["changePassword"]["session"]["accessToken"])


async def test_the_cafs_view_shows_everything_it_decides_on_and_activation_takes_each_confirmation(
    caf_client: tuple[httpx.AsyncClient, str],
) -> None:
    client, token = caf_client
    app: Any = client.app  # type: ignore[attr-defined]
    number = await _signed_request(
        app.state.runtime.sessions, ESCAUTPONT, [MULTI_ACCUEIL, MICRO_CRECHE], [MULTI_ACCUEIL]
    )
    multi, micro = (to_global_id("Establishment", key) for key in (MULTI_ACCUEIL, MICRO_CRECHE))

    [view] = [e["node"] for e in (await _gql(client, VIEW, token))["habilitationRequests"]["edges"]]
    none = await _gql(client, ACTIVATE, token, n=number, provider=False, ids=[])
    provider_only = await _gql(client, ACTIVATE, token, n=number, provider=True, ids=[])
    confirmed = await _gql(client, ACTIVATE, token, n=number, provider=True, ids=[micro])

    assert view["provider"] == {
        "name": "Mairie d'Escautpont",
        "kind": "COMMUNE",
        "siret": "21590207300018",
        "street": "rue Henri Durre",
        "postalCode": "59278",
        "communeName": "Escautpont",
        "email": "mairie@escautpont.example",
        "phone": None,
        "representativeName": "Raphaël KRUSZYNSKI",
        "representativeTitle": "",
        "registered": {"name": "Mairie d'Escautpont", "siret": "21590207300018"},
        "needsConfirmation": True,
    }
    assert view["establishments"] == [
        {
            "id": multi,
            "name": "Multi-accueil Les P'tits Mineurs",
            "category": "EAJE",
            "communeName": "Escautpont",
            "currentProvider": {"name": "Mairie d'Escautpont", "siret": "21590207300018"},
            "standing": "OWN",
            "needsConfirmation": False,
            "refused": False,
            "rights": ["OPERATING_INFO", "AVAILABILITY"],
        },
        {
            "id": micro,
            "name": "Micro-crèche Le Jardin de l'Escaut",
            "category": "EAJE",
            "communeName": "Escautpont",
            "currentProvider": {"name": "Le Jardin de l'Escaut SAS", "siret": None},
            "standing": "TO_CONFIRM",
            "needsConfirmation": True,
            "refused": False,
            "rights": ["OPERATING_INFO"],
        },
    ]
    assert view["persons"] == [
        {
            "lastName": "Durand",
            "firstName": "Inès",
            "function": "Directrice",
            "email": "directrice@21590207300018.example",
            "rights": [
                {"establishmentName": "Multi-accueil Les P'tits Mineurs", "right": "OPERATING_INFO"},
                {"establishmentName": "Multi-accueil Les P'tits Mineurs", "right": "AVAILABILITY"},
                {"establishmentName": "Micro-crèche Le Jardin de l'Escaut", "right": "OPERATING_INFO"},
            ],
        },
    ]
    refused = [(e["field"], e["code"]) for e in none["activateHabilitation"]["userErrors"]]
    assert refused == [("confirmProvider", "CONFIRMATION_REQUIRED"), ("confirmEstablishments", "CONFIRMATION_REQUIRED")]
    assert none["activateHabilitation"]["accounts"] == []
    assert [e["field"] for e in provider_only["activateHabilitation"]["userErrors"]] == ["confirmEstablishments"]
    assert confirmed["activateHabilitation"]["userErrors"] == []
    assert confirmed["activateHabilitation"]["accounts"] == ["i.durand.escautpont"]
    assert confirmed["activateHabilitation"]["request"]["establishments"][1] == {
        "name": "Micro-crèche Le Jardin de l'Escaut",
        "standing": "OWN",
        "currentProvider": {"name": "Mairie d'Escautpont", "siret": "21590207300018"},
    }


async def _publish(client: httpx.AsyncClient, token: str, establishment: str, batch: list[dict[str, Any]]) -> Any:
    variables = {"id": to_global_id("Establishment", establishment), "a": batch}
    headers = {"authorization": f"Bearer {token}"}
    return (await client.post("/graphql", json={"query": PUBLISH, "variables": variables}, headers=headers)).json()


async def test_a_right_on_an_establishment_another_provider_runs_opens_nothing(
    caf_client: tuple[httpx.AsyncClient, str],
) -> None:
    """The state a request accepted before this check leaves behind: the Mairie's agent holding rights on the
    micro-crèche, which Le Jardin de l'Escaut SAS runs. Its rights there open nothing; on its own crèche they do."""
    client, _ = caf_client
    app: Any = client.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session, session.begin():
        agent = await account_services.create_provider_agent(
            session,
            NewPerson("Intrus", "Ivan", "Directeur", "i.intrus@escautpont.example"),
            provider_id=MAIRIE_ESCAUTPONT,
            commune_name="Escautpont",
            departement="59",
            issuing=PasswordIssuing(app.state.authenticator.hashing, generate_key_pair()[1]),
            now=datetime.now(UTC),
        )
        await session.execute(
            account_rights.insert(),
            [
                {"account_id": agent.id, "establishment_id": e, "right": "AVAILABILITY"}
                for e in (MICRO_CRECHE, MULTI_ACCUEIL)
            ],
        )
    token = await _signed_in(client, agent.identifier, "Tmp4Pass")
    batch = [{"date": day.isoformat(), "slot": "JOURNEE", "places": 1} for day in open_days(1)]

    answers = [await _publish(client, token, establishment, batch) for establishment in (MICRO_CRECHE, MULTI_ACCUEIL)]

    assert answers[0]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert answers[0]["data"] is None
    assert answers[1]["data"]["publishAvailabilities"]["userErrors"] == []


async def test_one_request_is_read_by_its_number_and_a_number_not_of_this_caf_is_null(
    caf_client: tuple[httpx.AsyncClient, str],
) -> None:
    client, token = caf_client
    app: Any = client.app  # type: ignore[attr-defined]
    number = await _signed_request(app.state.runtime.sessions, ESCAUTPONT, [MULTI_ACCUEIL], [MULTI_ACCUEIL])
    one = "query($n: String!) { habilitationRequest(number: $n) { number status provider { siret } } }"

    found = (await _gql(client, one, token, n=number))["habilitationRequest"]
    missing = (await _gql(client, one, token, n="DH02-20260101-000000"))["habilitationRequest"]

    assert found == {"number": number, "status": "CONVENTION_RECUE", "provider": {"siret": "21590207300018"}}
    assert missing is None
