"""Issue 13 on the gateway: every list a Relay connection with a capped ``first``, coded states with French labels,
dates with their offset read back from SQLite, and a document's refusals reported all at once."""

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.tables import accounts, connection_log
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MULTI_ACCUEIL
from gateway.catalogue.tables import providers
from gateway.catalogue.vocabulary import LABELS, Category, ProviderKind
from gateway.graphql.caf import PARIS, log_period
from gateway.graphql.relay import to_global_id
from tests.integration.test_account_security import _challenge
from tests.integration.test_availability_publication import _gateway, _gql, _token
from tests.integration.test_conventions import _activated_convention
from tests.integration.test_habilitation_request import REQUEST, escautpont_request
from tests.integration.test_integrators import CREATE
from tests.integration.test_operating_info_submission import INFO, SUBMIT

OFFSET = re.compile(r"T\d\d:\d\d:\d\d(\.\d+)?\+00:00$")
PAGE = "totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { %s } }"
LISTS = {
    "caf": {
        "habilitationRequests": "number status statusLabel submittedAt",
        "connectionLog": "at event eventLabel agentNumber",
        "conventions": "requestNumber status statusLabel",
        "integrators": "name createdAt",
        "establishmentRegister": "id name status statusLabel",
    },
    "marie": {"mySubmissions": "id status statusLabel submittedAt establishment { id name }"},
}
JARDIN_ESCAUT = "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c1002"
DATES = {"habilitationRequests": "submittedAt", "connectionLog": "at", "integrators": "createdAt",
         "mySubmissions": "submittedAt"}  # fmt: skip


@pytest.fixture
async def world(
    sqlite_catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """The gateway on SQLite: two habilitation requests (one activated, with its convention), two submissions of
    Marie's, two integrators, and the connection-log lines all that wrote."""
    async with _gateway(sqlite_catalogue, tmp_path, monkeypatch) as client:
        app: Any = client.app  # type: ignore[attr-defined]
        await _activated_convention(
            app.state.runtime.sessions, PasswordHashing(memory_kib=8, time_cost=1), "mairie@escautpont.example"
        )
        challenge = await _challenge(client, "HABILITATION_REQUEST", "ABCDEF")
        await _gql(client, REQUEST, input=escautpont_request(challenge, "ABCDEF"))
        tokens = {"caf": await _token(client, "a.mathon.caf59"), "marie": await _token(client, "m.dupont.escautpont")}
        crèche = to_global_id("Establishment", MULTI_ACCUEIL)
        for capacity in (20, 22):
            await _gql(client, SUBMIT, tokens["marie"], id=crèche, info=INFO | {"capacity": capacity})
        for name in ("Portail A", "Portail B"):
            await _gql(client, CREATE, token=tokens["caf"], name=name, mail="api@x.example", d=["59"])
        yield client, tokens


async def _page(client: httpx.AsyncClient, token: str, field: str, **arguments: Any) -> dict[str, Any]:
    given = ", ".join(f"{name}: {arguments[name]!r}".replace("'", '"') for name in arguments)
    query = f"{{ {field}({given}) {{ {PAGE % LISTS_BY_FIELD[field]} }} }}"
    return await _gql(client, query, token)


LISTS_BY_FIELD = {field: selection for fields in LISTS.values() for field, selection in fields.items()}


async def test_every_list_is_a_connection_with_its_total_a_capped_first_and_cursors(world: Any) -> None:
    client, tokens = world
    for who, fields in LISTS.items():
        for field in fields:
            whole = (await _page(client, tokens[who], field, first=100))["data"][field]
            first = (await _page(client, tokens[who], field, first=1))["data"][field]
            cursor = first["pageInfo"]["endCursor"]
            second = (await _page(client, tokens[who], field, first=1, after=cursor))["data"][field]
            too_many = await _page(client, tokens[who], field, first=101)

            nodes = [edge["node"] for edge in whole["edges"]]
            assert whole["totalCount"] == len(nodes) >= (1 if field == "conventions" else 2), field
            assert first["totalCount"] == whole["totalCount"], field
            assert [edge["node"] for edge in first["edges"]] == nodes[:1], field
            assert first["pageInfo"]["hasNextPage"] is (len(nodes) > 1), field
            assert [edge["node"] for edge in second["edges"]] == nodes[1:2], field
            assert second["pageInfo"]["hasPreviousPage"] is True, field
            assert too_many["data"] is None, field
            assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", field
            assert too_many["errors"][0]["message"].startswith("first : doit être compris entre 1 et 100"), field


async def test_states_are_enums_with_a_french_label_and_submissions_name_their_establishment(world: Any) -> None:
    client, tokens = world

    requests = await _nodes(client, tokens["caf"], "habilitationRequests")
    log = await _nodes(client, tokens["caf"], "connectionLog")
    signed = await _nodes(client, tokens["caf"], "conventions")
    mine = await _nodes(client, tokens["marie"], "mySubmissions")

    assert {(r["status"], r["statusLabel"]) for r in requests} == {
        ("ACTIVEE", "Habilitation activée"), ("SOUMISE", "Soumise à la Caf"),
    }  # fmt: skip
    assert ("LOGIN_OK", "Connexion") in {(line["event"], line["eventLabel"]) for line in log}
    assert ("SAISIE_MODALITES", "Saisie de modalités de fonctionnement") in {
        (line["event"], line["eventLabel"]) for line in log
    }
    assert [(c["status"], c["statusLabel"]) for c in signed] == [("EN_VIGUEUR", "En vigueur")]
    register = await _nodes(client, tokens["caf"], "establishmentRegister")
    assert {(e["status"], e["statusLabel"]) for e in register} == {("OUVERT", "Ouvert")}
    history = await _gql(client, "{ habilitationRequests { edges { node { history { action actionLabel at } } } } }",
                         tokens["caf"])  # fmt: skip
    moves = [move for edge in history["data"]["habilitationRequests"]["edges"] for move in edge["node"]["history"]]
    assert sorted((m["action"], m["actionLabel"]) for m in moves) == [  # both moved in one transaction: same time
        ("ACTIVEE", "Habilitation activée"), ("CONVENTION_RECUE", "Convention signée reçue"),
    ]  # fmt: skip
    assert all(OFFSET.search(move["at"]) for move in moves)
    described = await _gql(client, """{ habilitationRequests { edges { node { provider { kind kindLabel }
      establishments { category categoryLabel } } } } }""", tokens["caf"])  # fmt: skip
    for edge in described["data"]["habilitationRequests"]["edges"]:
        provider = edge["node"]["provider"]
        assert provider["kindLabel"] == LABELS[ProviderKind(provider["kind"])]
        assert all(e["categoryLabel"] == LABELS[Category(e["category"])] for e in edge["node"]["establishments"])
    assert [(s["status"], s["statusLabel"]) for s in mine] == [
        ("PENDING", "En attente de validation par la Caf"), ("SUPERSEDED", "Remplacée par une saisie plus récente"),
    ]  # fmt: skip
    assert {s["establishment"]["id"] for s in mine} == {to_global_id("Establishment", MULTI_ACCUEIL)}
    assert {s["establishment"]["name"] for s in mine} == {"Multi-accueil Les P'tits Mineurs"}


async def test_dates_read_back_from_sqlite_carry_their_offset(world: Any) -> None:
    client, tokens = world
    for field, date_field in DATES.items():
        who = "marie" if field == "mySubmissions" else "caf"
        nodes = await _nodes(client, tokens[who], field)
        assert nodes, field
        assert all(OFFSET.search(node[date_field]) for node in nodes), (field, [n[date_field] for n in nodes])


async def _nodes(client: httpx.AsyncClient, token: str, field: str) -> list[dict[str, Any]]:
    return [edge["node"] for edge in (await _page(client, token, field, first=100))["data"][field]["edges"]]


async def test_a_document_s_refusals_come_all_at_once_each_at_its_input_path(world: Any) -> None:
    client, tokens = world
    challenge = await _challenge(client, "HABILITATION_REQUEST", "GHIJKL")
    form = escautpont_request(challenge, "GHIJKL", provider={"name": ""}, availabilityEstablishments=["%%%"])
    signed = """mutation($n: String!) { recordSignedConvention(input: {requestNumber: $n, signedOn: "2023-12-15",
      place: " ", signatories: []}) { request { status } userErrors { field code message } } }"""
    amend = """mutation($n: String!) { recordAmendment(input: {requestNumber: $n, signedOn: "2024-06-01", subject: " ",
      grant: [{agentNumber: "59-ESC-0001", establishmentId: "%%%", right: AVAILABILITY}],
      addPersonRights: [{email: "nobody@example.org", establishmentId: "%%%", right: OPERATING_INFO}]}) {
      accounts userErrors { field code message } } }"""
    submitted = await _nodes(client, tokens["caf"], "habilitationRequests")
    pending = next(r["number"] for r in submitted if r["status"] == "SOUMISE")
    active = next(r["number"] for r in submitted if r["status"] == "ACTIVEE")

    requested = (await _gql(client, REQUEST, input=form))["data"]["requestHabilitation"]
    recorded = (await _gql(client, signed, tokens["caf"], n=pending))["data"]["recordSignedConvention"]
    amended = (await _gql(client, amend, tokens["caf"], n=active))["data"]["recordAmendment"]

    assert requested["request"] is None
    assert {(e["field"], e["code"]) for e in requested["userErrors"]} == {
        ("availabilityEstablishments[0]", "INVALID_ID"), ("provider.name", "REQUIRED"),
    }  # fmt: skip
    assert recorded["request"] is None
    assert [(e["field"], e["code"]) for e in recorded["userErrors"]] == [
        ("place", "REQUIRED"), ("signatories", "REQUIRED"),
    ]  # fmt: skip
    assert all(e["message"].startswith("Indiquez") for e in recorded["userErrors"])
    assert amended["accounts"] == []
    assert [(e["field"], e["code"]) for e in amended["userErrors"]] == [
        ("grant[0].establishmentId", "INVALID_ID"), ("addPersonRights[0].establishmentId", "INVALID_ID"),
        ("subject", "REQUIRED"), ("addPersonRights[0].email", "UNKNOWN_PERSON"),
    ]  # fmt: skip


ME = """{ me { identifier lastName firstName agentNumber kind kindLabel administrator provider { id name }
  caf { code label } establishments { establishment { id name availabilityStatus { label updatedAt } }
  rights { code label } } } }"""
AGENTS = """query($id: ID!) { providerAgents(providerId: $id) { totalCount edges { node { agentNumber lastName firstName
  email function status statusLabel rights { establishment { id name } right { code label } } } } } }"""


async def test_me_gives_the_login_identifier_names_kind_and_scope(world: Any) -> None:
    client, tokens = world

    marie = (await _gql(client, ME, tokens["marie"]))["data"]["me"]
    caf = (await _gql(client, ME, tokens["caf"]))["data"]["me"]

    assert (marie["identifier"], marie["lastName"], marie["firstName"]) == ("m.dupont.escautpont", "Dupont", "Marie")
    assert (marie["kind"], marie["kindLabel"]) == ("PROVIDER_AGENT", "Agent d'un fournisseur de données")
    assert marie["provider"] == {"id": to_global_id("Provider", MAIRIE_ESCAUTPONT), "name": "Mairie d'Escautpont"}
    assert marie["caf"] is None
    [held] = marie["establishments"]
    assert held["establishment"]["id"] == to_global_id("Establishment", MULTI_ACCUEIL)
    assert held["establishment"]["availabilityStatus"]["label"]
    assert [right["code"] for right in held["rights"]] == ["AVAILABILITY", "OPERATING_INFO"]
    assert all(right["label"].startswith("Saisie des") for right in held["rights"])
    assert (caf["identifier"], caf["kind"], caf["administrator"]) == ("a.mathon.caf59", "CAF_AGENT", True)
    assert caf["caf"] == {"code": "CAF59", "label": "Caisse d'allocations familiales du Nord"}
    assert (caf["provider"], caf["establishments"]) == (None, [])


async def test_a_caf_agent_lists_a_provider_s_current_agents_with_their_rights(world: Any) -> None:
    client, tokens = world
    mairie = to_global_id("Provider", MAIRIE_ESCAUTPONT)

    listed = (await _gql(client, AGENTS, tokens["caf"], id=mairie))["data"]["providerAgents"]
    by_provider = await _gql(client, AGENTS, tokens["marie"], id=mairie)
    not_a_provider = await _gql(client, AGENTS, tokens["caf"], id=to_global_id("Establishment", MULTI_ACCUEIL))

    agents = {edge["node"]["email"]: edge["node"] for edge in listed["edges"]}
    assert listed["totalCount"] == len(agents) == 3
    marie = agents["m.dupont@escautpont.example"]
    assert (marie["lastName"], marie["function"], marie["status"], marie["statusLabel"]) == (
        "Dupont", "Directrice", "ACTIF", "Actif",
    )  # fmt: skip
    assert {(r["establishment"]["name"], r["right"]["code"]) for r in marie["rights"]} == {
        ("Multi-accueil Les P'tits Mineurs", "AVAILABILITY"), ("Multi-accueil Les P'tits Mineurs", "OPERATING_INFO"),
    }  # fmt: skip
    assert all(agent["agentNumber"] for agent in agents.values())
    assert by_provider["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not_a_provider["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert not_a_provider["errors"][0]["message"].startswith("providerId : ")


async def test_the_connection_log_filters_by_provider_paris_days_and_kinds_within_the_cafs_territory(
    world: Any,
) -> None:
    client, tokens = world
    caf, marie = tokens["caf"], tokens["marie"]
    mairie, jardin = to_global_id("Provider", MAIRIE_ESCAUTPONT), to_global_id("Provider", JARDIN_ESCAUT)
    today = datetime.now(PARIS).date()
    log = "query($p: ID, $f: Date, $t: Date, $e: [ConnectionEvent!]) { connectionLog(providerId: $p, from: $f, to: $t, events: $e) { totalCount edges { node { event agentNumber } } } }"  # noqa: E501

    async def lines(**variables: Any) -> list[tuple[str, str]]:
        body = await _gql(client, log, caf, **variables)
        return [(e["node"]["event"], e["node"]["agentNumber"]) for e in body["data"]["connectionLog"]["edges"]]

    app: Any = client.app
    async with app.state.runtime.sessions() as session, session.begin():  # 00:30 in Paris is yesterday in UTC
        marie_id = await session.scalar(select(accounts.c.id).where(accounts.c.identifier == "m.dupont.escautpont"))
        await session.execute(connection_log.insert().values(
            id=str(uuid.uuid4()), account_id=marie_id, identifier="m.dupont.escautpont", event="LOGOUT",
            at=datetime.combine(today, time(0, 30), tzinfo=PARIS).astimezone(UTC),
        ))  # fmt: skip
    everything = await lines()
    of_mairie = await lines(p=mairie)
    of_jardin = await lines(p=jardin)
    submissions = await lines(e=["SAISIE_MODALITES"])
    kinds = await lines(e=["SAISIE_MODALITES", "LOGIN_OK"])
    of_today = await lines(f=today.isoformat(), t=today.isoformat())
    of_yesterday = await lines(t=(today - timedelta(days=1)).isoformat())
    backwards = await _gql(client, log, caf, f=today.isoformat(), t=(today - timedelta(days=1)).isoformat())
    not_a_provider = await _gql(client, log, caf, p=to_global_id("Establishment", MULTI_ACCUEIL))
    async with app.state.runtime.sessions() as session, session.begin():
        await session.execute(update(providers).where(providers.c.id == MAIRIE_ESCAUTPONT).values(caf_code="CAF02"))
    outside = await lines(p=mairie)
    assert (await _gql(client, log, marie))["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    assert everything
    assert {number for _, number in everything} == {"59-ESC-0001"}
    assert of_mairie == everything
    assert of_jardin == []
    assert submissions == [("SAISIE_MODALITES", "59-ESC-0001")] * 2
    assert {event for event, _ in kinds} == {"SAISIE_MODALITES", "LOGIN_OK"}
    assert len(kinds) < len(everything), "the password change is left out"
    assert of_today == everything
    assert ("LOGOUT", "59-ESC-0001") in of_today, "a Paris day, not a UTC one"
    assert of_yesterday == []
    assert backwards["errors"][0]["message"].startswith("to : doit suivre from")
    assert not_a_provider["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert outside == [], "another Caf's provider: nothing, as for an agent of another Caf"


def test_the_log_period_runs_from_and_to_paris_midnights() -> None:
    now = datetime(2026, 7, 1, 12, tzinfo=UTC)

    assert log_period(now, 30, None, None) == (now - timedelta(days=30), None)
    assert log_period(now, 30, date(2026, 6, 1), date(2026, 6, 30)) == (
        datetime(2026, 5, 31, 22, tzinfo=UTC), datetime(2026, 6, 30, 22, tzinfo=UTC),
    )  # fmt: skip
    assert log_period(now, 30, date(2026, 1, 5), None)[0] == datetime(2026, 1, 4, 23, tzinfo=UTC)
