"""HTTP face of computerised transmission: ``POST /oauth/token`` (RFC 6749 §4.4) and
``POST /transmission/availabilities`` (bearer token, ``Idempotency-Key`` header). Described in docs/transmission.md.
The token grant itself is Authlib's (:mod:`gateway.transmission.token_server`).

REST rather than GraphQL for the bulk call: 500 establishments × 90 days is ~45,000 entries (~3 MB of JSON); a
plain JSON body is validated by pydantic once, without the GraphQL layer's per-field cost, and the idempotency
key is an HTTP header as in the IETF draft « The Idempotency-Key HTTP Header Field ».
"""

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs

import pydantic
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.transmission import clients, credentials, idempotency
from gateway.transmission.idempotency import RecordedAnswer
from gateway.transmission.payload import Transmission
from gateway.transmission.services import EstablishmentOutcome, transmit_availabilities
from gateway.transmission.token_server import PresentedClient, TokenRequest, TokenServer, presented_client_id
from shared.runtime import ServiceRuntime

TRANSMISSION_PATH = "/transmission/availabilities"
MAX_TRANSMISSION_BYTES = 16 * 1024 * 1024
"""Room for 1,000 establishments × 90 days of one slot, ~70 bytes an entry (the gateway's default is 256 kB)."""
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


def _oauth_error(code: str, description: str, status: int = 400) -> JSONResponse:
    headers = dict(NO_STORE)
    if code == "invalid_client":
        headers["www-authenticate"] = 'Basic realm="structures"'
    return JSONResponse({"error": code, "error_description": description}, status, headers=headers)


OAUTH_ERRORS = {
    "invalid_client": "Client inconnu ou révoqué, secret erroné, ou identifiants absents ou présentés deux fois.",
    "unsupported_grant_type": "Seul grant_type=client_credentials est accepté.",
    "invalid_scope": f"Seule la portée « {credentials.SCOPE} » existe.",
}
"""RFC 6749 §5.2 codes, with our descriptions in place of Authlib's."""
_ERROR_STATUS = {"invalid_client": 401}
"""Every refused client authentication answers 401 with a challenge, whichever method it used (§5.2 allows it)."""


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status, headers=NO_STORE)


def transmission_routes(runtime_of: Callable[[Request], ServiceRuntime], today: Callable[[], date]) -> list[Route]:
    async def token(request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _oauth_error("invalid_request", "Corps attendu : application/x-www-form-urlencoded.")
        # TLS ends at the reverse proxy, as for every other route: Authlib's « https only » check is not ours to make.
        uri = str(request.url.replace(scheme="https"))
        oauth_request = TokenRequest(uri, request.headers, token_request_fields(await request.body()))
        client_id = presented_client_id(oauth_request)
        runtime = runtime_of(request)
        async with runtime.sessions() as session, session.begin():
            digest = None if client_id is None else await clients.get_secret_digest(session, client_id)
            server = TokenServer(None if client_id is None or digest is None else PresentedClient(client_id, digest))
            status, body = server.create_token_response(oauth_request)
            if status == 200 and client_id is not None:
                await clients.add_token(session, client_id, server.issued[0]["access_token"], now=datetime.now(UTC))
        if status != 200:
            code = str(body.get("error", "invalid_request"))
            described = OAUTH_ERRORS.get(code, "Requête de jeton invalide.")
            return _oauth_error(code, described, _ERROR_STATUS.get(code, 400))
        return JSONResponse(body, headers=NO_STORE)

    async def availabilities(request: Request) -> Response:
        token = credentials.bearer_token(request.headers.get("authorization"))
        key = request.headers.get("idempotency-key", "")
        if not 1 <= len(key) <= idempotency.MAX_KEY_LENGTH:
            return _error(400, "IDEMPOTENCY_KEY", "L'en-tête Idempotency-Key (1 à 100 caractères) est obligatoire.")
        runtime = runtime_of(request)
        body = await request.body()
        now = datetime.now(UTC)
        digest = idempotency.body_digest(body)
        try:
            async with runtime.sessions() as session, session.begin():
                client = None if token is None else await clients.client_of_token(session, token, now=now)
                if client is None:
                    headers = {**NO_STORE, "www-authenticate": 'Bearer error="invalid_token"'}
                    message = "Jeton absent, expiré ou révoqué : demandez-en un à /oauth/token."
                    return JSONResponse({"error": "invalid_token", "message": message}, 401, headers=headers)
                earlier = await idempotency.get_answer(session, client.id, key, now=now)
                if earlier is not None:
                    return _replay(earlier, digest)
                answer = await _answer(session, client, body, runtime, today(), now)
                try:
                    await idempotency.record_answer(session, client.id, key, RecordedAnswer(digest, *answer), now=now)
                except IntegrityError:
                    raise _KeyTakenError(client.id) from None
        except _KeyTakenError as taken:
            # A concurrent request with the same key recorded its answer first: this transaction (its availabilities
            # and outbox events included) was rolled back, so replay the earlier answer instead.
            async with runtime.sessions() as session:
                earlier = await idempotency.get_answer(session, taken.client_id, key, now=now)
            if earlier is not None:
                return _replay(earlier, digest)
            message = "Une transmission avec cette clé Idempotency-Key est en cours : réessayez dans un instant."
            return _error(409, "IDEMPOTENCY_KEY_IN_PROGRESS", message)
        return Response(answer[1], answer[0], media_type="application/json", headers=NO_STORE)

    return [
        Route("/oauth/token", token, methods=["POST"]),
        Route(TRANSMISSION_PATH, availabilities, methods=["POST"]),
    ]


class _KeyTakenError(Exception):
    """The (client, Idempotency-Key) row was inserted by a concurrent request: raised to roll the transaction back."""

    def __init__(self, client_id: str) -> None:
        super().__init__(client_id)
        self.client_id = client_id


def token_request_fields(body: bytes) -> dict[str, str]:
    """The token request's fields (RFC 6749 §4.4.2); a field given twice is dropped, as the RFC forbids it."""
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=20)
    except ValueError:  # more fields than any token request has
        return {}
    return {name: values[0] for name, values in fields.items() if len(values) == 1}


def _replay(earlier: RecordedAnswer, digest: str) -> Response:
    if earlier.body_digest != digest:
        message = "Cette clé Idempotency-Key a déjà servi pour un autre contenu : utilisez une nouvelle clé."
        return _error(422, "IDEMPOTENCY_KEY_REUSED", message)
    headers = {**NO_STORE, "idempotent-replayed": "true"}
    return Response(earlier.answer, earlier.status, media_type="application/json", headers=headers)


async def _answer(
    session: Any, client: clients.TransmissionClient, body: bytes, runtime: ServiceRuntime, today: date, now: datetime
) -> tuple[int, str]:
    try:
        transmission = Transmission.model_validate_json(body)
    except pydantic.ValidationError as invalid:
        problems = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in invalid.errors()[:50]]
        message = "Le contenu ne suit pas le format décrit dans docs/transmission.md."
        return 400, json.dumps({"error": "INVALID_PAYLOAD", "message": message, "problems": problems})
    outcomes = await transmit_availabilities(session, client, transmission, today=today, now=now, signal=runtime.signal)
    return 200, json.dumps({"results": [_result(o) for o in outcomes]}, ensure_ascii=False)


def _result(outcome: EstablishmentOutcome) -> dict[str, Any]:
    return {
        "establishmentId": outcome.establishment_id,
        "status": "ACCEPTED" if outcome.accepted else "REFUSED",
        "errors": [{"field": e.field, "code": e.code, "message": e.message} for e in outcome.errors],
    }
