"""The authorization code flow with PKCE (RFC 7636), as Keycloak runs it for a browser: the
checks of an authorization request, the sign-ins in progress between the login form and the
redirect, and the one-time codes a client redeems at the token endpoint.

The checks and their order are Keycloak's: an unknown client or a redirect URI the client
does not accept is shown on the provider's own page (redirecting there could hand a code to
an attacker); every later error goes back to the client's redirect URI with `error`,
`error_description` and `state`.
"""

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sandbox.idp.realm import Realm

CODE_LIFESPAN_S = 60
"""Keycloak's `accessCodeLifespan`: how long a code may wait to be redeemed."""
LOGIN_LIFESPAN_S = 1800
"""Keycloak's `accessCodeLifespanLogin`: how long a login form may wait to be filled in."""
PKCE_METHODS = ("S256", "plain")
_PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
"""RFC 7636 §4.1: the verifier's (and a plain challenge's) characters and length."""


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None


class LoginPageError(Exception):
    """Shown on the provider's error page, never redirected: the client is unknown or does not
    accept the redirect URI."""


class RedirectError(Exception):
    """Sent back to the client's redirect URI."""

    def __init__(self, request: AuthorizationRequest, error: str, description: str) -> None:
        super().__init__(description)
        self.request = request
        self.error = error
        self.description = description


def check_request(realm: Realm, params: Mapping[str, str]) -> AuthorizationRequest:
    """The authorization request in `params` (the query of `/auth`), checked as Keycloak does."""
    client = realm.clients.get(params.get("client_id", ""))
    if client is None or not client.enabled:
        raise LoginPageError("Client not found.")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri or not client.accepts_redirect(redirect_uri):
        raise LoginPageError("Invalid parameter: redirect_uri")
    request = AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scope=params.get("scope", ""),
        state=params.get("state"),
        nonce=params.get("nonce"),
        code_challenge=params.get("code_challenge"),
        code_challenge_method=params.get("code_challenge_method"),
    )
    if params.get("response_type") != "code":
        raise RedirectError(
            request,
            "unsupported_response_type",
            "Client is not allowed to initiate browser login with given response_type.",
        )
    if not client.standard_flow:
        raise RedirectError(
            request,
            "unauthorized_client",
            "Client is not allowed to initiate browser login "
            "with given response_type. Standard flow is disabled for the client.",
        )
    _check_challenge(request, client.pkce_method)
    return request


def _check_challenge(request: AuthorizationRequest, required: str | None) -> None:
    challenge, method = request.code_challenge, request.code_challenge_method
    if required is None and challenge is None:
        return
    if challenge is None:
        raise RedirectError(request, "invalid_request", "Missing parameter: code_challenge")
    if method is not None and method not in PKCE_METHODS:
        raise RedirectError(
            request,
            "invalid_request",
            "Invalid parameter: code challenge method is not matching the configured one",
        )
    if required is not None and (method or "plain") != required:
        raise RedirectError(
            request,
            "invalid_request",
            "Invalid parameter: code challenge method is not configured one",
        )
    if not _PKCE_VALUE.fullmatch(challenge):
        raise RedirectError(request, "invalid_request", "Invalid parameter: code_challenge")


def pkce_matches(request: AuthorizationRequest, verifier: str) -> bool:
    """Whether `verifier` is the one the request's challenge was made from."""
    if request.code_challenge is None or not _PKCE_VALUE.fullmatch(verifier):
        return False
    if request.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        expected = verifier
    return hmac.compare_digest(expected, request.code_challenge)


@dataclass
class PendingLogin:
    """A sign-in between the login form and the redirect back to the client."""

    request: AuthorizationRequest
    expires: int
    user_id: str | None = None
    """Set once the password is right while a second factor is still owed."""


@dataclass(frozen=True)
class IssuedCode:
    request: AuthorizationRequest
    session_id: str
    expires: int


class BrowserLogins:
    """Sign-ins in progress, by tab id, and the codes issued, each redeemable once."""

    def __init__(self) -> None:
        self._pending: dict[str, PendingLogin] = {}
        self._codes: dict[str, IssuedCode] = {}

    def begin(self, request: AuthorizationRequest, now: int) -> str:
        tab_id = secrets.token_urlsafe(16)
        self._pending[tab_id] = PendingLogin(request, now + LOGIN_LIFESPAN_S)
        return tab_id

    def pending(self, tab_id: str, now: int) -> PendingLogin | None:
        login = self._pending.get(tab_id)
        if login is not None and login.expires < now:
            del self._pending[tab_id]
            return None
        return login

    def issue_code(self, tab_id: str, session_id: str, now: int) -> tuple[str, IssuedCode]:
        """Ends the sign-in `tab_id` with a code for its request."""
        login = self._pending.pop(tab_id)
        code = secrets.token_urlsafe(32)
        issued = IssuedCode(login.request, session_id, now + CODE_LIFESPAN_S)
        self._codes[code] = issued
        return code, issued

    def redeem(self, code: str, now: int) -> IssuedCode | None:
        """The code's grant, once: a second attempt, or one after it expired, finds none."""
        issued = self._codes.pop(code, None)
        return issued if issued is not None and issued.expires >= now else None
