"""The token endpoint's grant (RFC 6749 §4.4), run by Authlib's framework-agnostic authorization server.

Authlib checks the grant type, authenticates the client (client_secret_basic or client_secret_post), checks the
requested scope, builds the bearer token answer (RFC 6750) and the error answers (RFC 6749 §5.2). Its hooks are
synchronous while our database is asynchronous, so the endpoint loads the presented client first (the row locked
until the token is stored), hands it to a server built for the one request, and stores the token Authlib issued
afterwards, in the same transaction.

Two of our rules are added to Authlib's: presenting both authentication methods at once is refused
(RFC 6749 §2.3: « MUST NOT use more than one »), and client_secret_basic decodes the form-urlencoding of §2.3.1
(« + » is a space), which Authlib's own decoder leaves as is.
"""

from dataclasses import dataclass
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidClientError,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator

from gateway.transmission import credentials

AUTH_METHODS = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True)
class PresentedClient(ClientMixin):  # type: ignore[misc]
    """A live client as stored: its id and the SHA-256 of its current secret."""

    client_id: str
    secret_digest: str

    def get_client_id(self) -> str:
        return self.client_id

    def check_client_secret(self, client_secret: str) -> bool:
        return credentials.matches(client_secret, self.secret_digest)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"

    def get_allowed_scope(self, scope: str | None) -> str:
        return credentials.SCOPE  # the only scope; asked for or not, it is the one granted


class TokenRequest(OAuth2Request):  # type: ignore[misc]
    """A token request's fields (already parsed, a repeated field dropped) and headers, as Authlib reads them."""

    def __init__(self, uri: str, headers: Any, fields: dict[str, str]) -> None:
        super().__init__("POST", uri, headers=headers)
        self.payload = BasicOAuth2Payload(fields)
        self._fields = fields

    @property
    def form(self) -> dict[str, str]:
        return self._fields


class _ClientCredentials(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(AUTH_METHODS)


class TokenServer(AuthorizationServer):  # type: ignore[misc]
    """An authorization server for one token request, knowing only the client that request presents (or none)."""

    def __init__(self, client: PresentedClient | None) -> None:
        super().__init__(scopes_supported=[credentials.SCOPE])
        self._client = client
        self.issued: list[dict[str, Any]] = []
        self.register_grant(_ClientCredentials)
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: credentials.new_token(),
                expires_generator=lambda *_: credentials.TOKEN_LIFETIME_SECONDS,
            ),
        )
        self.register_client_auth_method("client_secret_basic", _authenticate_basic)

    def query_client(self, client_id: str) -> PresentedClient | None:
        return self._client if self._client is not None and self._client.client_id == client_id else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        self.issued.append(token)  # stored by the endpoint once Authlib has answered

    def create_oauth2_request(self, request: TokenRequest) -> TokenRequest:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any]:
        return status, body

    def send_signal(self, name: str, *args: object, **kwargs: object) -> None:
        pass


def presented_client_id(request: TokenRequest) -> str | None:
    """The client id the request presents, by either method: the client to load before Authlib runs."""
    basic = credentials.basic_credentials(request.headers.get("authorization"))
    return basic[0] if basic is not None else request.form.get("client_id")


def _authenticate_basic(query_client: Any, request: TokenRequest) -> PresentedClient | None:
    basic = credentials.basic_credentials(request.headers.get("authorization"))
    if basic is None:
        return None
    if "client_secret" in request.form:
        raise InvalidClientError(status_code=401, description="both client_secret_basic and client_secret_post")
    client = query_client(basic[0])
    if client is None or not client.check_client_secret(basic[1]):
        raise InvalidClientError(status_code=401, description="unknown client or wrong secret")
    return client  # type: ignore[no-any-return]
