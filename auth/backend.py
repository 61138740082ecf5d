"""Starlette authentication from `Authorization: Bearer <access token>`.

No header means an anonymous request (the gateway decides what anonymous callers may do);
a malformed header or a token that fails verification is an authentication error. A member
of several organizations picks one per request with `X-Portal-Organization`.
"""

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response

from auth.principal import Principal
from auth.tokens import (
    IdentityProviderUnavailable,
    InvalidToken,
    OrganizationNotInToken,
    TokenVerifier,
)

ORGANIZATION_HEADER = "X-Portal-Organization"


class OrganizationForbidden(AuthenticationError):
    """The token is valid but does not carry the requested organization."""


class AuthenticationUnavailable(AuthenticationError):
    """The identity provider could not be reached to verify the token."""


class PrincipalUser(BaseUser):
    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.principal.display_name

    @property
    def identity(self) -> str:
        return self.principal.subject


class BearerTokenBackend(AuthenticationBackend):
    def __init__(self, verifier: TokenVerifier) -> None:
        self._verifier = verifier

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("authorization header must be 'Bearer <token>'")
        organization = conn.headers.get(ORGANIZATION_HEADER) or None
        try:
            principal = await self._verifier.verify(token.strip(), organization)
        except OrganizationNotInToken as error:
            raise OrganizationForbidden(error.reason) from error
        except InvalidToken as error:
            raise AuthenticationError(error.reason) from error
        except IdentityProviderUnavailable as error:
            raise AuthenticationUnavailable(str(error)) from error
        scopes = ["authenticated", *sorted(principal.scopes)]
        return AuthCredentials(scopes), PrincipalUser(principal)


def auth_error_response(_: HTTPConnection, error: Exception) -> Response:
    """The answer for `AuthenticationMiddleware(on_error=...)`, shaped as a GraphQL error: 403
    (`FORBIDDEN`) for a foreign organization, 503 when the identity provider is unreachable,
    else 401 (`UNAUTHENTICATED`) with RFC 6750's `WWW-Authenticate` challenge. A bad token
    never reaches the schema."""
    message = str(error)
    if isinstance(error, OrganizationForbidden):
        return _graphql_error(403, "FORBIDDEN", message)
    if isinstance(error, AuthenticationUnavailable):
        return _graphql_error(503, "UPSTREAM_UNAVAILABLE", "The identity provider is unavailable.")
    challenge = f'Bearer error="invalid_token", error_description="{message}"'
    return _graphql_error(401, "UNAUTHENTICATED", message, {"WWW-Authenticate": challenge})


def _graphql_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status, headers=headers)
