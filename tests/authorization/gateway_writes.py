"""The gateway's mutations of Caf agents and provider agents, as S16 cells run them: each acts on the Caf du Nord's
and provider A's objects, in a state where the allowed role would succeed."""

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from gateway.accounts import services as accounts
from gateway.accounts.services import NewPerson
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MICRO_CRECHE, MULTI_ACCUEIL
from gateway.graphql.relay import from_global_id, to_global_id
from gateway.integrators import services as integrators
from gateway.transmission import clients as transmission_clients
from shared.relay import key_of
from tests.authorization.specs import Answer, Check, Spec, reuse, scalar
from tests.authorization.tenants import INFO, advance, habilitate, request, someone
from tests.authorization.world import Identity, World
from tests.integration.test_availability_publication import open_days

CRECHE = to_global_id("Establishment", MULTI_ACCUEIL)
REGISTERED = str(uuid.UUID(int=1))
"""« Crèche du Hainaut 00 », one of the test catalogue's crèches in Valenciennes: the register's target."""
_serial = itertools.count(1)


def _status(world: World, number: str) -> Any:
    return scalar(world, "gateway", "SELECT status FROM habilitation_requests WHERE number = ?", number)


async def _request_in(world: World, key: str, status: str) -> str:
    """A request of provider A to the Caf du Nord in ``status`` (SOUMISE, CONVENTION_RECUE or ACTIVEE)."""

    async def make() -> str:
        if status == "ACTIVEE":
            number, _ = await habilitate(world, "A", [someone()], [MULTI_ACCUEIL])
            return str(number)
        number = await request(world, "A", [someone()], [MULTI_ACCUEIL])
        if status != "SOUMISE":
            await advance(world, "A", number, status)
        return number

    return str(await reuse(world, key, lambda number: _status(world, number) == status, make))


def _request_moved_to(status: str) -> Check:
    async def check(answer: Answer) -> None:
        assert answer.payload["userErrors"] == [], answer.body
        assert answer.payload["request"]["status"] == status
        assert _status(answer.world, answer.variables["n"]) == status

    return check


async def _to_send(world: World, _identity: Identity) -> dict[str, Any]:
    return {"n": await _request_in(world, "send", "SOUMISE")}


async def _to_sign(world: World, _identity: Identity) -> dict[str, Any]:
    number = await _request_in(world, "sign", "SOUMISE")
    return {"n": number, "on": (date.today() - timedelta(days=1)).isoformat(), "who": [f"Signataire {number}"]}


async def _to_reject(world: World, _identity: Identity) -> dict[str, Any]:
    return {"n": await _request_in(world, "reject", "SOUMISE")}


async def _to_activate(world: World, _identity: Identity) -> dict[str, Any]:
    return {"n": await _request_in(world, "activate", "CONVENTION_RECUE")}


async def _activated(answer: Answer) -> None:
    await _request_moved_to("ACTIVEE")(answer)
    assert answer.payload["accounts"]
    answer.world.mark("A", *answer.payload["accounts"])


async def _to_terminate(world: World, _identity: Identity) -> dict[str, Any]:
    async def make() -> str:
        number = await request(world, "A", [someone()], [MULTI_ACCUEIL])
        await advance(world, "A", number, "CONVENTION_RECUE")
        return number

    in_force = (
        "SELECT c.status FROM conventions c JOIN habilitation_requests r ON r.id = c.request_id WHERE r.number = ?"
    )
    number = await reuse(world, "terminate", lambda n: scalar(world, "gateway", in_force, n) == "EN_VIGUEUR", make)
    return {"n": number, "letter": f"1A {next(_serial):06d}", "on": date.today().isoformat()}


async def _terminated(answer: Answer) -> None:
    assert answer.payload["convention"]["terminationEffectiveOn"], answer.body
    letter = scalar(
        answer.world,
        "gateway",
        "SELECT c.termination_letter FROM conventions c JOIN "
        "habilitation_requests r ON r.id = c.request_id WHERE r.number = ?",
        answer.variables["n"],
    )
    assert letter == answer.variables["letter"]


async def _to_amend(world: World, _identity: Identity) -> dict[str, Any]:
    who = someone()
    person = {"lastName": who.last_name, "firstName": who.first_name, "function": who.function, "email": who.email}
    return {"n": await _request_in(world, "amend", "ACTIVEE"), "on": date.today().isoformat(), "add": [person]}


async def _amended(answer: Answer) -> None:
    assert answer.payload["userErrors"] == [], answer.body
    [identifier] = answer.payload["accounts"]
    answer.world.mark("A", identifier)
    recorded = scalar(
        answer.world,
        "gateway",
        "SELECT count(*) FROM amendments a JOIN conventions c ON c.id = "
        "a.convention_id JOIN habilitation_requests r ON r.id = c.request_id WHERE r.number = ?",
        answer.variables["n"],
    )
    assert recorded >= 1


async def _to_deactivate(world: World, _identity: Identity) -> dict[str, Any]:
    async def make() -> str:
        async with world.transaction() as session:
            made = await accounts.create_provider_agent(
                session,
                NewPerson(f"Cible{next(_serial)}", "Agent", "Agent", f"cible{uuid.uuid4().hex[:6]}@a.example"),
                provider_id=MAIRIE_ESCAUTPONT,
                commune_name="Escautpont",
                departement="59",
                issuing=world.issuing,
                now=datetime.now(UTC),
            )
        world.mark("A", made.identifier, made.agent_number)
        return made.agent_number

    number = await reuse(world, "deactivate", lambda n: _agent_status(world, n) != "DESACTIVE", make)
    return {"n": number, "r": "Fin de mission"}


def _agent_status(world: World, number: str) -> Any:
    return scalar(world, "gateway", "SELECT status FROM accounts WHERE agent_number = ?", number)


async def _deactivated(answer: Answer) -> None:
    assert answer.payload == {"agentNumber": answer.variables["n"], "userErrors": []}
    assert _agent_status(answer.world, answer.variables["n"]) == "DESACTIVE"


async def _to_withdraw(world: World, _identity: Identity) -> dict[str, Any]:
    published = scalar(
        world,
        "gateway",
        "SELECT v.establishment_id FROM operating_info_versions v JOIN establishments "
        "e ON e.id = v.establishment_id WHERE v.status = 'PUBLISHED' AND e.departement = '59' AND "
        "e.id NOT IN (?, ?) ORDER BY e.id",
        MULTI_ACCUEIL,
        MICRO_CRECHE,
    )
    assert published, "no published operating information left to withdraw"
    return {"id": to_global_id("Establishment", published), "reasons": ["PUBLICITE_DEGUISEE"]}


async def _withdrawn(answer: Answer) -> None:
    assert answer.payload["withdrawnVersion"], answer.body
    establishment = from_global_id(answer.variables["id"])[1]
    status = scalar(
        answer.world,
        "gateway",
        "SELECT status FROM operating_info_versions WHERE establishment_id = ? AND version = ?",
        establishment,
        answer.payload["withdrawnVersion"],
    )
    assert status == "WITHDRAWN"


async def _availabilities(_world: World, _identity: Identity) -> dict[str, Any]:
    return {"id": CRECHE, "a": [{"date": open_days(2)[1].isoformat(), "places": next(_serial) % 7}]}


async def _published(answer: Answer) -> None:
    assert answer.payload["userErrors"] == [], answer.body
    [entry] = answer.variables["a"]
    places = scalar(
        answer.world,
        "gateway",
        "SELECT places FROM availabilities WHERE establishment_id = ? AND day = ?",
        MULTI_ACCUEIL,
        entry["date"],
    )
    assert places == entry["places"]


async def _operating_info(_world: World, _identity: Identity) -> dict[str, Any]:
    return {"id": CRECHE, "info": INFO}


async def _submitted(answer: Answer) -> None:
    submission = answer.payload["submission"]
    assert submission["status"] == "PENDING", answer.body
    key = key_of(submission["id"], "Submission")
    owner = scalar(answer.world, "gateway", "SELECT account_id FROM operating_info_submissions WHERE id = ?", key)
    assert owner == answer.identity.account_id
    answer.world.mark("A", key)


async def _integrator(_world: World, _identity: Identity) -> dict[str, Any]:
    return {"m": f"api{uuid.uuid4().hex[:8]}@portail.example", "d": ["59"]}


async def _key_issued(answer: Answer) -> None:
    assert answer.payload["apiKey"].startswith("stk_"), answer.body
    answer.world.mark("CAF59", answer.payload["apiKey"], answer.payload["keyId"], answer.payload.get("integratorId"))


async def _caf59_integrator(world: World, _identity: Identity) -> dict[str, Any]:
    return {"id": world.targets["integrator CAF59"]}


async def _to_revoke(world: World, _identity: Identity) -> dict[str, Any]:
    async def make() -> str:
        async with world.transaction() as session:
            key = await integrators.issue_key(
                session, world.targets["integrator CAF59"], agent_number="CAF59-0001", now=datetime.now(UTC)
            )
        world.mark("CAF59", key.id, key.secret)
        return key.id

    revoked = "SELECT revoked_at FROM integrator_api_keys WHERE id = ?"
    return {"id": await reuse(world, "revoke", lambda key: scalar(world, "gateway", revoked, key) is None, make)}


async def _revoked(answer: Answer) -> None:
    assert answer.payload == {"revoked": True, "userErrors": []}
    assert scalar(
        answer.world, "gateway", "SELECT revoked_at FROM integrator_api_keys WHERE id = ?", answer.variables["id"]
    )


async def _to_delegate(_world: World, _identity: Identity) -> dict[str, Any]:
    return {"e": [CRECHE]}


async def _client_granted(answer: Answer) -> None:
    assert answer.payload["userErrors"] == [], answer.body
    client_id = answer.payload["clientId"]
    answer.world.mark("A", client_id, answer.payload["clientSecret"])
    granted = "SELECT granted_by FROM transmission_clients WHERE id = ?"
    assert scalar(answer.world, "gateway", granted, client_id) == answer.identity.agent_number


async def _provider_a_client(world: World, _identity: Identity) -> dict[str, Any]:
    async def make() -> str:
        async with world.transaction() as session:
            found = await transmission_clients.grant_client(
                session, name="Logiciel", provider_id=MAIRIE_ESCAUTPONT, establishment_ids=[MULTI_ACCUEIL],
                agent_number="59-ESC-0001", now=datetime.now(UTC),
            )  # fmt: skip
        world.mark("A", found.client_id, found.secret)
        return found.client_id

    live = "SELECT revoked_at FROM transmission_clients WHERE id = ?"
    return {"id": await reuse(world, "transmission client", lambda c: scalar(world, "gateway", live, c) is None, make)}


async def _client_rotated(answer: Answer) -> None:
    assert answer.payload["clientId"] == answer.variables["id"], answer.body
    answer.world.mark("A", answer.payload["clientSecret"])
    rotated = "SELECT rotated_at FROM transmission_clients WHERE id = ?"
    assert scalar(answer.world, "gateway", rotated, answer.variables["id"])


async def _client_revoked(answer: Answer) -> None:
    assert answer.payload == {"revoked": True, "userErrors": []}
    revoked = "SELECT revoked_at FROM transmission_clients WHERE id = ?"
    assert scalar(answer.world, "gateway", revoked, answer.variables["id"])


async def _document_for_caf59(world: World, _identity: Identity) -> dict[str, Any]:
    return {
        "id": world.targets["integrator CAF59"],
        "d": f"query Mine{uuid.uuid4().hex[:8]} {{ cafs(first: 1) {{ code }} }}",
    }


async def _document_trusted(answer: Answer) -> None:
    assert answer.payload["userErrors"] == [], answer.body
    stored = scalar(
        answer.world, "gateway", "SELECT document FROM integrator_documents WHERE document_id = ?",
        answer.payload["documentId"],
    )  # fmt: skip
    assert stored == answer.variables["d"]


async def _register_entry(_world: World, _identity: Identity) -> dict[str, Any]:
    return {
        "input": {
            "id": to_global_id("Establishment", REGISTERED),
            "name": f"Crèche du Hainaut n°{next(_serial)}",
            "category": "EAJE",
            "eajeType": "CRECHE_COLLECTIVE",
            "postalCode": "59300",
            "communeInsee": "59606",
            "latitude": 50.35,
            "longitude": 3.52,
            "capacity": 30,
        }
    }


async def _registered(answer: Answer) -> None:
    assert answer.payload["userErrors"] == [], answer.body
    name = scalar(answer.world, "gateway", "SELECT name FROM establishments WHERE id = ?", REGISTERED)
    assert name == answer.variables["input"]["name"]


async def _to_close(world: World, _identity: Identity) -> dict[str, Any]:
    open_one = scalar(
        world,
        "gateway",
        "SELECT id FROM establishments WHERE name LIKE 'Crèche du Hainaut%' AND "
        "closed_on IS NULL AND id <> ? ORDER BY id",
        REGISTERED,
    )
    closing = (date.today() + timedelta(days=30)).isoformat()
    return {"id": to_global_id("Establishment", open_one), "on": closing, "r": "Fin d'activité"}


async def _closed(answer: Answer) -> None:
    assert answer.payload["userErrors"] == [], answer.body
    key = scalar(
        answer.world,
        "gateway",
        "SELECT id FROM establishments WHERE closed_on IS NOT NULL AND name LIKE "
        "'Crèche du Hainaut%' ORDER BY updated_at DESC",
    )
    assert to_global_id("Establishment", key) == answer.variables["id"]


PROCESSING = "request { number status providerSiret persons { firstName lastName email } } accounts userErrors { code }"
WRITES = {
    "Mutation.markConventionSent": Spec(
        f"""mutation($n: String!) {{ markConventionSent(input: {{requestNumber: $n}})
      {{ {PROCESSING} }} }}""",
        _to_send,
        _request_moved_to("CONVENTION_ENVOYEE"),
    ),
    "Mutation.recordSignedConvention": Spec(
        f"""mutation($n: String!, $on: Date!, $who: [String!]!) {{
      recordSignedConvention(input: {{requestNumber: $n, signedOn: $on, place: "Lille", signatories: $who}}) {{
      {PROCESSING} }} }}""",
        _to_sign,
        _request_moved_to("CONVENTION_RECUE"),
    ),
    "Mutation.rejectHabilitationRequest": Spec(
        f"""mutation($n: String!) {{ rejectHabilitationRequest(input: {{
      requestNumber: $n, reason: "Dossier incomplet"}}) {{ {PROCESSING} }} }}""",
        _to_reject,
        _request_moved_to("REJETEE"),
    ),
    "Mutation.activateHabilitation": Spec(
        f"""mutation($n: String!) {{ activateHabilitation(input: {{requestNumber:
      $n, confirmProvider: true}}) {{ {PROCESSING} }} }}""",
        _to_activate,
        _activated,
    ),
    "Mutation.recordConventionTermination": Spec(
        """mutation($n: String!, $letter: String!, $on: Date!) {
      recordConventionTermination(input: {requestNumber: $n, by: FOURNISSEUR, letterReference: $letter,
      receivedOn: $on}) { convention { requestNumber signatories terminationEffectiveOn } userErrors { code } } }""",
        _to_terminate,
        _terminated,
    ),
    "Mutation.recordAmendment": Spec(
        """mutation($n: String!, $on: Date!, $add: [PersonInput!]!) { recordAmendment(
      input: {requestNumber: $n, signedOn: $on, subject: "Nouvelle directrice", addPersons: $add}) {
      accounts userErrors { code } } }""",
        _to_amend,
        _amended,
    ),
    "Mutation.deactivateAgent": Spec(
        """mutation($n: String!, $r: String!) { deactivateAgent(input: {agentNumber: $n,
      reason: $r}) { agentNumber userErrors { code } } }""",
        _to_deactivate,
        _deactivated,
    ),
    "Mutation.withdrawOperatingInfo": Spec(
        """mutation($id: ID!, $reasons: [String!]!) { withdrawOperatingInfo(input:
      {establishmentId: $id, reasons: $reasons}) { withdrawnVersion userErrors { code } } }""",
        _to_withdraw,
        _withdrawn,
    ),
    "Mutation.publishAvailabilities": Spec(
        """mutation($id: ID!, $a: [AvailabilityInput!]!) { publishAvailabilities(
      input: {establishmentId: $id, availabilities: $a}) { establishment { name } userErrors { code } } }""",
        _availabilities,
        _published,
    ),
    "Mutation.submitOperatingInfo": Spec(
        """mutation($id: ID!, $info: OperatingInfoInput!) { submitOperatingInfo(
      input: {establishmentId: $id, operatingInfo: $info}) { submission { id status } userErrors { code } } }""",
        _operating_info,
        _submitted,
    ),
    "Mutation.createIntegrator": Spec(
        """mutation($m: String!, $d: [String!]!) { createIntegrator(input: {name:
      "Portail", contactEmail: $m, departements: $d}) { integratorId keyId apiKey userErrors { code } } }""",
        _integrator,
        _key_issued,
    ),
    "Mutation.createApiKey": Spec(
        """mutation($id: ID!) { createApiKey(integratorId: $id) { integratorId keyId apiKey
      userErrors { code } } }""",
        _caf59_integrator,
        _key_issued,
    ),
    "Mutation.registerTrustedDocument": Spec(
        """mutation($id: ID!, $d: String!) { registerTrustedDocument(integratorId: $id, document: $d) { documentId
      userErrors { code } } }""",
        _document_for_caf59,
        _document_trusted,
    ),
    "Mutation.revokeApiKey": Spec(
        "mutation($id: ID!) { revokeApiKey(keyId: $id) { revoked userErrors { code } } }", _to_revoke, _revoked
    ),
    "Mutation.grantTransmissionClient": Spec(
        """mutation($e: [ID!]!) { grantTransmissionClient(input: {name: "Logiciel", establishmentIds: $e}) {
      clientId clientSecret userErrors { code } } }""",
        _to_delegate,
        _client_granted,
    ),
    "Mutation.rotateTransmissionClientSecret": Spec(
        """mutation($id: String!) { rotateTransmissionClientSecret(clientId: $id) { clientId clientSecret
      userErrors { code } } }""",
        _provider_a_client,
        _client_rotated,
    ),
    "Mutation.revokeTransmissionClient": Spec(
        "mutation($id: String!) { revokeTransmissionClient(clientId: $id) { revoked userErrors { code } } }",
        _provider_a_client,
        _client_revoked,
    ),
    "Mutation.recordEstablishment": Spec(
        """mutation($input: EstablishmentRecordInput!) { recordEstablishment(input:
      $input) { establishmentId userErrors { code } } }""",
        _register_entry,
        _registered,
    ),
    "Mutation.closeEstablishment": Spec(
        """mutation($id: ID!, $on: Date!, $r: String!) { closeEstablishment(input: {
      establishmentId: $id, closedOn: $on, reason: $r}) { establishmentId userErrors { code } } }""",
        _to_close,
        _closed,
    ),
}
