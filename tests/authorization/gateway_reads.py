"""The gateway's queries, its public and session mutations, and the subscription, as S16 cells run them."""

import asyncio
import itertools
import time
from datetime import UTC, datetime
from typing import Any

from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportConnectionFailed
from gql.transport.websockets import WebsocketsTransport

from gateway.accounts.sessions import RESET_SENT
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MULTI_ACCUEIL
from gateway.graphql.relay import to_global_id
from gateway.habilitation.challenges import issue_challenge
from shared.relay import key_of
from tests.authorization.specs import Answer, Spec, column, scalar, session_id
from tests.authorization.tenants import PROVIDERS, someone
from tests.authorization.world import TEMPORARY, Identity, World

CRECHE = to_global_id("Establishment", MULTI_ACCUEIL)
_serial = itertools.count(1)


async def _creche(_world: World, _identity: Identity) -> dict[str, Any]:
    return {"id": CRECHE, "ids": [CRECHE, to_global_id("Provider", MAIRIE_ESCAUTPONT)]}


async def _service(answer: Answer) -> None:
    assert answer.payload["name"] == "structures-gateway"


async def _node(answer: Answer) -> None:
    assert answer.payload["name"] == "Multi-accueil Les P'tits Mineurs"


async def _nodes(answer: Answer) -> None:
    assert [node["name"] for node in answer.payload] == ["Multi-accueil Les P'tits Mineurs", "Mairie d'Escautpont"]


async def _establishments(answer: Answer) -> None:
    assert answer.payload["totalCount"] >= 4


async def _communes(answer: Answer) -> None:
    assert "59207" in {commune["insee"] for commune in answer.payload}


async def _cafs(answer: Answer) -> None:
    assert {"CAF59", "CAF62"} <= {caf["code"] for caf in answer.payload}


async def _me(answer: Answer) -> None:
    assert answer.payload["agentNumber"] == answer.identity.agent_number
    assert answer.payload["identifier"] == answer.identity.identifier


async def _escautpont(_world: World, _identity: Identity) -> dict[str, Any]:
    return {"id": to_global_id("Provider", MAIRIE_ESCAUTPONT)}


async def _own_agents(answer: Answer) -> None:
    current = column(
        answer.world,
        "gateway",
        "SELECT a.agent_number FROM accounts a JOIN providers p ON p.id = a.provider_id "
        "WHERE a.provider_id = ? AND p.caf_code = ? AND a.status <> 'DESACTIVE'",
        MAIRIE_ESCAUTPONT,
        answer.identity.caf,
    )
    assert {agent["agentNumber"] for agent in _listed(answer)} == current


def _listed(answer: Answer) -> list[dict[str, Any]]:
    """The nodes of a connection's page (the specs ask for the whole list: at most 100 rows in the world)."""
    assert not answer.payload["pageInfo"]["hasNextPage"], "the world outgrew one page"
    return [edge["node"] for edge in answer.payload["edges"]]


async def _own_requests(answer: Answer) -> None:
    own = column(
        answer.world, "gateway", "SELECT number FROM habilitation_requests WHERE caf_code = ?", answer.identity.caf
    )
    assert own
    assert {request["number"] for request in _listed(answer)} == own


async def _caf59_request(world: World, _identity: Identity) -> dict[str, Any]:
    numbers = column(world, "gateway", "SELECT number FROM habilitation_requests WHERE caf_code = ?", "CAF59")
    return {"n": min(numbers)}


async def _own_request(answer: Answer) -> None:
    """A request of the caller's own Caf is read whole; another Caf's is as if it did not exist."""
    if answer.identity.caf == "CAF59":
        assert answer.payload is not None
        assert answer.payload["number"] == answer.variables["n"]
    else:
        assert answer.payload is None, answer.body


async def _own_log(answer: Answer) -> None:
    territory = column(
        answer.world,
        "gateway",
        "SELECT a.agent_number FROM accounts a JOIN providers p ON p.id = a.provider_id WHERE p.caf_code = ?",
        answer.identity.caf,
    )
    seen = {entry["agentNumber"] for entry in _listed(answer)}
    assert seen
    assert seen <= territory, seen - territory


async def _own_conventions(answer: Answer) -> None:
    own = column(
        answer.world,
        "gateway",
        "SELECT r.number FROM conventions c JOIN habilitation_requests r ON r.id = c.request_id WHERE c.caf_code = ?",
        answer.identity.caf,
    )
    assert own
    assert {convention["requestNumber"] for convention in _listed(answer)} == own


async def _candidate_password(_world: World, _identity: Identity) -> dict[str, Any]:
    return {"p": "azerty"}


async def _password_checked(answer: Answer) -> None:
    assert answer.payload["acceptable"] is False, answer.body
    assert {"field": "newPassword", "code": "TOO_SHORT"} in answer.payload["problems"]


async def _own_submissions(answer: Answer) -> None:
    mine = column(
        answer.world,
        "gateway",
        "SELECT id FROM operating_info_submissions WHERE account_id = ?",
        answer.identity.account_id,
    )
    seen = {key_of(submission["id"], "Submission") for submission in _listed(answer)}
    assert seen <= mine, seen - mine
    assert bool(seen) == bool(mine)


def _positions(world: World, where: str = "") -> list[str]:
    found = world.rows("gateway", f"SELECT position FROM publication_log {where} ORDER BY position")
    return [str(position) for (position,) in found]


async def _all_events(answer: Answer) -> None:
    assert [edge["cursor"] for edge in answer.payload["edges"]] == _positions(answer.world)[:100]


async def _own_events(answer: Answer) -> None:
    assert _positions(answer.world, "WHERE departement <> '59'"), "nothing outside the scope to leave out"
    assert [edge["cursor"] for edge in answer.payload["edges"]] == _positions(answer.world, "WHERE departement = '59'")
    assert {edge["node"]["departement"] for edge in answer.payload["edges"]} == {"59"}


async def _own_integrators(answer: Answer) -> None:
    own = column(answer.world, "gateway", "SELECT id FROM integrators WHERE caf_code = ?", answer.identity.caf)
    assert own
    assert {integrator["id"] for integrator in _listed(answer)} == own


TERRITORY_ESTABLISHMENTS = (
    "SELECT e.id FROM establishments e JOIN departements d ON d.code = e.departement WHERE d.caf_code = ?"
)


async def _own_register(answer: Answer) -> None:
    own = column(answer.world, "gateway", TERRITORY_ESTABLISHMENTS, answer.identity.caf)
    seen = {key_of(entry["id"], "Establishment") for entry in _nodes_of(answer)}
    assert seen <= own, seen - own
    assert bool(seen) == bool(own)
    assert answer.payload["totalCount"] == len(own)


def _nodes_of(answer: Answer) -> list[dict[str, Any]]:
    return [edge["node"] for edge in answer.payload["edges"]]


async def _own_transmission_clients(answer: Answer) -> None:
    if answer.identity.caf:
        mine = "SELECT t.id FROM transmission_clients t JOIN providers p ON p.id = t.provider_id WHERE p.caf_code = ?"
        own = column(answer.world, "gateway", mine, answer.identity.caf)
    else:
        mine = "SELECT t.id FROM transmission_clients t JOIN accounts a ON a.provider_id = t.provider_id WHERE a.id = ?"
        own = column(answer.world, "gateway", mine, answer.identity.account_id)
    assert {client["clientId"] for client in answer.payload} == own


async def _own_providers(answer: Answer) -> None:
    own = column(
        answer.world,
        "gateway",
        f"SELECT id FROM providers WHERE caf_code = ? OR id IN (SELECT provider_id FROM establishments "
        f"WHERE id IN ({TERRITORY_ESTABLISHMENTS}))",
        answer.identity.caf,
        answer.identity.caf,
    )
    seen = {key_of(provider["id"], "Provider") for provider in answer.payload}
    assert seen <= own, seen - own
    assert bool(seen) == bool(own)


async def _request_form(world: World, _identity: Identity) -> dict[str, Any]:
    async with world.transaction() as session:
        challenge = await issue_challenge(session, purpose="HABILITATION_REQUEST", now=datetime.now(UTC), text="MATRIX")
    provider, who = PROVIDERS["A"], someone()
    return {
        "input": {
            "caf": "CAF59",
            "persons": [
                {"lastName": who.last_name, "firstName": who.first_name, "function": who.function, "email": who.email}
            ],
            "provider": {
                "name": provider.name,
                "kind": provider.kind.value,
                "siret": provider.siret,
                "street": provider.street,
                "postalCode": provider.postal_code,
                "communeInsee": provider.commune_insee,
                "email": provider.email,
                "representativeName": provider.representative_name,
            },
            "operatingInfoEstablishments": [CRECHE],
            "availabilityEstablishments": [CRECHE],
            "challenge": {"id": challenge.id, "answer": "MATRIX"},
        }
    }


async def _received(answer: Answer) -> None:
    assert answer.payload["request"]["status"] == "SOUMISE", answer.body
    answer.world.mark("CAF59", answer.payload["request"]["number"])


def _credentials(world: World, identity: Identity) -> Identity:
    """Whose credentials a role presents to login, refreshSession and requestPasswordReset: its own; anonymous and
    the integrator, who have none, those of a provider-A agent who plays no role."""
    return identity if identity.identifier else world.people["noe"]


def _account(world: World, identity: Identity) -> tuple[Any, ...]:
    [row] = world.rows(
        "gateway",
        "SELECT status, password_hash, password_temporary, pending_password_expires_at FROM accounts "
        "WHERE identifier = ?",
        identity.identifier,
    )
    return tuple(row)


async def _own_password(world: World, identity: Identity) -> dict[str, Any]:
    who = _credentials(world, identity)
    return {"i": who.identifier, "p": who.password}


async def _own_refresh_token(world: World, identity: Identity) -> dict[str, Any]:
    """A fresh refresh token of the role's account; the deactivated agent's is the one it had before (revoked)."""
    who = _credentials(world, identity)
    if _account(world, who)[0] == "DESACTIVE":
        return {"t": who.refresh}
    return {"t": (await world.login(str(who.identifier), str(who.password)))["refreshToken"]}


async def _session(answer: Answer) -> None:
    session = answer.payload["session"]
    assert session["accessToken"], answer.body
    temporary = _account(answer.world, _credentials(answer.world, answer.identity))[2]
    assert session["mustChangePassword"] == bool(temporary)


async def _own_reset(world: World, identity: Identity) -> dict[str, Any]:
    async with world.transaction() as session:
        challenge = await issue_challenge(session, purpose="PASSWORD_RESET", now=datetime.now(UTC), text="RESETS")
    who = _credentials(world, identity)
    world.targets["account before reset"] = _account(world, who)
    return {"i": who.identifier, "c": challenge.id, "a": "RESETS"}


async def _reset_sent(answer: Answer) -> None:
    """The same answer for everyone; a new generated password pending for an active account only, beside the
    current one (which keeps working until the new one is used)."""
    assert answer.payload == {"message": RESET_SENT, "userErrors": []}
    before = answer.world.targets["account before reset"]
    status, hashed, temporary, pending_until = _account(answer.world, _credentials(answer.world, answer.identity))
    assert (hashed, temporary) == before[1:3], "the current password stays"
    if status == "DESACTIVE":
        assert pending_until == before[3], "a deactivated account got a new password"
    else:
        assert pending_until is not None
        assert pending_until != before[3], "a new one is pending"


async def _sign_in_after_reset(answer: Answer) -> None:
    """The reset gave the role a pending generated password: sign in with it, so that it becomes the password
    (and choose one)."""
    identity = answer.identity
    if identity.identifier and _account(answer.world, identity)[0] != "DESACTIVE":
        identity.password = TEMPORARY
        await answer.world.sign_in(
            identity, chosen=None if identity.temporary else f"la Scarpe en hiver n°{next(_serial)}"
        )


async def _logged_out(answer: Answer) -> None:
    assert answer.payload == {"ok": True}
    family = session_id(str(answer.identity.token))
    live = scalar(
        answer.world,
        "gateway",
        "SELECT count(*) FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NULL",
        family,
    )
    assert live == 0


async def _sign_in_again(answer: Answer) -> None:
    await answer.world.restore(answer.identity)


async def _passwords(_world: World, identity: Identity) -> dict[str, Any]:
    return {"c": identity.password or "sans mot de passe", "n": f"un autre printemps à Lille n°{next(_serial)}"}


async def _password_changed(answer: Answer) -> None:
    assert answer.payload["userErrors"] == [], answer.body
    temporary = scalar(
        answer.world, "gateway", "SELECT password_temporary FROM accounts WHERE id = ?", answer.identity.account_id
    )
    assert not temporary
    answer.identity.password = answer.variables["n"]


AUDIT = ("gateway.connection_log", "gateway.login_attempts")
"""A refused login or refresh writes the attempt's line in the connection log (architecture §4) and counts the
attempt against the throttling limits: its only effects."""
PUBLICATIONS = "subscription($after: String) { publications(after: $after) { cursor departement type data } }"


async def _subscribe(world: World, _document: str, identity: Identity, variables: dict[str, Any]) -> dict[str, Any]:
    """Follow ``publications`` over graphql-transport-ws until the replay from ``after`` is over (quiet for 0.5 s)."""
    transport = WebsocketsTransport(
        url=world.ws_url,
        init_payload=identity.connection_init(),
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    received: list[Any] = []

    async def follow() -> None:
        async with Client(transport=transport) as session:
            async for result in session.subscribe(GraphQLRequest(PUBLICATIONS, variable_values=variables)):
                received.append(result["publications"])

    following = asyncio.create_task(follow())
    start = quiet = time.monotonic()
    count = 0
    while not following.done():
        await asyncio.sleep(0.02)
        now = time.monotonic()
        if len(received) != count:
            count, quiet = len(received), now
        if now - quiet >= 0.5 and (received or now - start >= 3):
            break
    following.cancel()
    [outcome] = await asyncio.gather(following, return_exceptions=True)
    if isinstance(outcome, TransportConnectionFailed):
        closed = outcome.__cause__
        return {"closed": str(getattr(getattr(closed, "rcvd", None), "code", closed))}
    if isinstance(outcome, BaseException) and not isinstance(outcome, asyncio.CancelledError):
        raise outcome
    return {"data": {"publications": received}}


async def _from_the_start(_world: World, _identity: Identity) -> dict[str, Any]:
    return {"after": "0"}


async def _all_publications(answer: Answer) -> None:
    assert [event["cursor"] for event in answer.payload] == _positions(answer.world)


async def _own_publications(answer: Answer) -> None:
    assert _positions(answer.world, "WHERE departement <> '59'"), "nothing outside the scope to leave out"
    assert [event["cursor"] for event in answer.payload] == _positions(answer.world, "WHERE departement = '59'")


QUERIES = {
    "Query.service": Spec("{ service { name version } }", check=_service),
    "Query.node": Spec(
        """query($id: ID!) { node(id: $id) { id ... on Establishment { name phone phone2 email
      address { oneLine } provider { name } } } }""",
        _creche,
        _node,
    ),
    "Query.nodes": Spec(
        """query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Establishment { name }
      ... on Provider { name kind } } }""",
        _creche,
        _nodes,
    ),
    "Query.establishments": Spec(
        """{ establishments(first: 5, filter: {communeInsee: "59207"}) { totalCount
      edges { node { name } } } }""",
        check=_establishments,
    ),
    "Query.communes": Spec('{ communes(search: "Escaut") { insee name } }', check=_communes),
    "Query.cafs": Spec("{ cafs { code label departements } }", check=_cafs),
    "Query.me": Spec(
        """{ me { identifier lastName firstName agentNumber email kind kindLabel cafCode administrator
      provider { id name } caf { code label } establishments { establishment { id name
      availabilityStatus { label updatedAt } } rights { code label } } } }""",
        check=_me,
    ),
    "Query.providerAgents": Spec(
        """query($id: ID!) { providerAgents(providerId: $id, first: 100) { totalCount pageInfo { hasNextPage }
      edges { node { agentNumber lastName firstName email function status statusLabel
      rights { establishment { id name } right { code label } } } } } }""",
        _escautpont,
        own=_own_agents,
    ),
    "Query.habilitationRequests": Spec(
        """{ habilitationRequests(first: 50) { totalCount pageInfo { hasNextPage } edges { node { number status
      statusLabel providerName providerSiret provider { siret email phone registered { name siret } }
      establishments { name standing currentProvider { name siret } }
      persons { firstName lastName email phone } history { action actionLabel at agentNumber note } } } } }""",
        own=_own_requests,
    ),
    "Query.habilitationRequest": Spec(
        """query($n: String!) { habilitationRequest(number: $n) { number status providerSiret
      persons { email } history { agentNumber note } } }""",
        _caf59_request,
        own=_own_request,
    ),
    "Query.connectionLog": Spec(
        """{ connectionLog(first: 100) { totalCount pageInfo { hasNextPage } edges { node { at identifier agentNumber
      event eventLabel address userAgent } } } }""",
        own=_own_log,
    ),
    "Query.conventions": Spec(
        """{ conventions(first: 100) { totalCount pageInfo { hasNextPage } edges { node { requestNumber providerName
      signatories status statusLabel amendments { signedOn changes } } } } }""",
        own=_own_conventions,
    ),
    "Query.mySubmissions": Spec(
        """{ mySubmissions(first: 100) { totalCount pageInfo { hasNextPage } edges { node { id status statusLabel
      version reasons { code label } comment establishment { id name } } } } }""",
        own=_own_submissions,
    ),
    "Query.events": Spec(
        """{ events(first: 100) { edges { cursor node { id type departement establishmentId data } }
      pageInfo { hasNextPage } } }""",
        check=_all_events,
        own=_own_events,
    ),
    "Query.integrators": Spec(
        """{ integrators(first: 100) { totalCount pageInfo { hasNextPage } edges { node { id name contactEmail
      departements keys { id createdBy lastUsedAt revokedAt } } } } }""",
        own=_own_integrators,
    ),
    "Query.establishmentRegister": Spec(
        """{ establishmentRegister(first: 100) { totalCount pageInfo { hasNextPage } edges { node { id name
      category provider { id name siret } communeName closedOn closureReason status statusLabel } } } }""",
        own=_own_register,
    ),
    "Query.transmissionClients": Spec(
        """{ transmissionClients { clientId name providerId establishmentIds grantedByAgentNumber grantedByCaf grantedAt
      revokedAt } }""",
        own=_own_transmission_clients,
    ),
    "Query.territoryProviders": Spec(
        "{ territoryProviders(first: 200) { id name siret } }",
        own=_own_providers,
    ),
    "Mutation.createChallenge": Spec(
        "mutation { createChallenge(input: {purpose: HABILITATION_REQUEST}) { challenge { id expiresAt } } }"
    ),
    "Mutation.requestHabilitation": Spec(
        """mutation($input: RequestHabilitationInput!) {
      requestHabilitation(input: $input) { request { number status } userErrors { code } } }""",
        _request_form,
        _received,
    ),
    "Mutation.login": Spec(
        """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
      session { accessToken refreshToken expiresIn mustChangePassword } userErrors { code } } }""",
        _own_password,
        _session,
        audit=AUDIT,
    ),
    "Mutation.refreshSession": Spec(
        """mutation($t: String!) { refreshSession(input: {refreshToken: $t}) {
      session { accessToken refreshToken mustChangePassword } userErrors { code } } }""",
        _own_refresh_token,
        _session,
        audit=AUDIT,
    ),
    "Mutation.requestPasswordReset": Spec(
        """mutation($i: String!, $c: ID!, $a: String!) { requestPasswordReset(
      input: {identifier: $i, challenge: {id: $c, answer: $a}}) { message userErrors { code } } }""",
        _own_reset,
        _reset_sent,
        after=_sign_in_after_reset,
    ),
    "Query.passwordCheck": Spec(
        """query($p: String!) { passwordCheck(password: $p) { acceptable problems { field code } } }""",
        _candidate_password,
        _password_checked,
    ),
    "Mutation.logout": Spec("mutation { logout { ok } }", check=_logged_out, after=_sign_in_again),
    "Mutation.changePassword": Spec(
        """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword:
      $c, newPassword: $n}) { session { accessToken } userErrors { code } } }""",
        _passwords,
        _password_changed,
        after=_sign_in_again,
    ),
    "Subscription.publications": Spec(
        PUBLICATIONS, _from_the_start, _all_publications, _own_publications, execute=_subscribe
    ),
}
