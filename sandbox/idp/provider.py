"""The identity provider's state and grants, independent of HTTP.

Direct grant and TOTP: a user with a TOTP credential who sends a valid `totp` code gets
`amr` ["pwd", "otp"] and `acr` "2"; a wrong code is rejected like a wrong password. A user
who sends no code still gets a token, with `amr` ["pwd"] and `acr` "1". Real Keycloak with
OTP in the direct grant flow would refuse that login; the sandbox lets it through on purpose
so that the gateway's MFA step-up (`MFA_REQUIRED` for operations that need `otp`) can be
demonstrated and tested with the same users.
"""

import hmac
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.idp.authorization import BrowserLogins, pkce_matches
from sandbox.idp.keys import SigningKeys
from sandbox.idp.mappers import Authentication, Claims
from sandbox.idp.minting import TokenMinter, session_authentication
from sandbox.idp.otp import totp_valid
from sandbox.idp.realm import Client, Realm, User
from sandbox.idp.sessions import SessionStore, UserSession


class OAuthError(Exception):
    """An error response of the token, introspection or logout endpoint, as Keycloak sends it."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def invalid_credentials() -> OAuthError:
    return OAuthError(401, "invalid_grant", "Invalid user credentials")


def invalid_client() -> OAuthError:
    return OAuthError(401, "invalid_client", "Invalid client or Invalid client credentials")


@dataclass(frozen=True)
class ActionsEmail:
    """An "execute actions" e-mail the admin API would have sent."""

    user_id: str
    email: str
    actions: tuple[str, ...]
    client_id: str | None
    redirect_uri: str | None
    lifespan: int | None
    sent_at: int
    """Unix time, seconds."""


class Idp:
    """Realm, keys, sessions and clock of one identity provider; `requests` counts endpoints."""

    def __init__(self, realm: Realm, issuer: str, clock: Callable[[], datetime]) -> None:
        self.realm = realm
        self.issuer = issuer
        self.clock = clock
        self.keys = SigningKeys()
        self.sessions = SessionStore()
        self.requests: Counter[str] = Counter()
        self.sent_emails: list[ActionsEmail] = []
        self.logins = BrowserLogins()
        self.minter = TokenMinter(realm, issuer, self.keys, self.sessions, self.now)

    def now(self) -> int:
        return int(self.clock().timestamp())

    def authenticate_client(self, client_id: str, secret: str | None) -> Client:
        client = self.realm.clients.get(client_id)
        if client is None or not client.enabled:
            raise invalid_client()
        if not client.public and not (
            secret and client.secret and hmac.compare_digest(secret, client.secret)
        ):
            raise invalid_client()
        return client

    def password_grant(
        self, client: Client, username: str, password: str, totp: str | None, scope: str, ip: str
    ) -> dict[str, Any]:
        if not client.direct_access_grants:
            raise OAuthError(
                400, "unauthorized_client", "Client not allowed for direct access grants"
            )
        user = self.user_by_password(username, password)
        amr: tuple[str, ...] = ("pwd",)
        acr = "1"
        if user.totp is not None and totp:
            if not totp_valid(user.totp, totp, self.clock()):
                raise invalid_credentials()
            amr, acr = ("pwd", "otp"), "2"
        if user.required_actions:
            raise OAuthError(400, "invalid_grant", "Account is not fully set up")
        session = self.sessions.start(
            user_id=user.id,
            client_id=client.client_id,
            now=self.now(),
            amr=amr,
            acr=acr,
            ip_address=ip,
        )
        return self.minter.token_response(
            user, client, session_authentication(session), scope, session
        )

    def user_by_password(self, username: str, password: str) -> User:
        """The enabled person `username` whose password is `password`."""
        user = self.realm.user_by_username(username)
        if user is None or user.is_service_account:
            raise invalid_credentials()
        if not user.enabled:
            raise OAuthError(400, "invalid_grant", "Account disabled")
        if user.password is None or not hmac.compare_digest(password, user.password):
            raise invalid_credentials()
        return user

    def authorization_code_grant(
        self, client: Client, code: str, redirect_uri: str, code_verifier: str | None
    ) -> dict[str, Any]:
        """Redeem a code of the browser sign-in (`sandbox.idp.login`) for the session's tokens."""
        issued = self.logins.redeem(code, self.now())
        if issued is None:
            raise OAuthError(400, "invalid_grant", "Code not valid")
        request = issued.request
        if request.client_id != client.client_id:
            raise OAuthError(400, "invalid_grant", "Auth error")
        if redirect_uri != request.redirect_uri:
            raise OAuthError(400, "invalid_grant", "Incorrect redirect_uri")
        if request.code_challenge is not None:
            if not code_verifier:
                raise OAuthError(400, "invalid_grant", "PKCE code verifier not specified")
            if not pkce_matches(request, code_verifier):
                raise OAuthError(400, "invalid_grant", "PKCE verification failed")
        session = self.sessions.get(issued.session_id)
        user = None if session is None else self.realm.users.get(session.user_id)
        if session is None or user is None or not user.enabled:
            raise OAuthError(400, "invalid_grant", "Session not active")
        return self.minter.token_response(
            user, client, session_authentication(session), request.scope, session, request.nonce
        )

    def client_credentials_grant(self, client: Client, scope: str) -> dict[str, Any]:
        if client.public:
            raise OAuthError(
                401, "unauthorized_client", "Public client not allowed to retrieve service account"
            )
        user = self.realm.service_account(client.client_id)
        if not client.service_accounts or user is None:
            raise OAuthError(
                400, "unauthorized_client", "Client not enabled to retrieve service account"
            )
        now = self.now()
        notes = {"AUTH_TIME": str(now), "client_id": client.client_id}
        auth = Authentication(session_id=None, auth_time=now, amr=(), acr="1", notes=notes)
        return self.minter.token_response(user, client, auth, scope, session=None)

    def refresh_grant(self, client: Client, refresh_token: str, scope: str) -> dict[str, Any]:
        session = self.live_session_of_refresh_token(refresh_token)
        if session.client_id != client.client_id:
            raise OAuthError(
                400,
                "invalid_grant",
                "Invalid refresh token. Token client and authorized client don't match",
            )
        user = self.realm.users.get(session.user_id)
        if user is None or not user.enabled:
            self.sessions.end(session.id)
            raise OAuthError(400, "invalid_grant", "Session not active")
        session.last_access = self.now()
        return self.minter.token_response(
            user, client, session_authentication(session), scope, session
        )

    def live_session_of_refresh_token(self, refresh_token: str) -> UserSession:
        session = self.sessions.by_refresh_token(refresh_token)
        if session is None:
            raise OAuthError(400, "invalid_grant", "Invalid refresh token")
        if self.now() > session.last_access + self.realm.sso_session_idle_timeout:
            self.sessions.end(session.id)
            raise OAuthError(400, "invalid_grant", "Session not active")
        return session

    def verify_access_token(self, token: str) -> tuple[Claims, User] | None:
        """Claims and user of a live access token of this realm: signed, unexpired, and its
        session (if any) and user still active."""
        claims = self.keys.verify(token)
        if claims is None or claims.get("typ") != "Bearer" or claims.get("iss") != self.issuer:
            return None
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= self.now():
            return None
        user = self.realm.users.get(str(claims.get("sub")))
        if user is None or not user.enabled:
            return None
        sid = claims.get("sid")
        if sid is not None and self.sessions.get(str(sid)) is None:
            return None
        return claims, user
