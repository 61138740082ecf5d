"""Token responses: access, ID and refresh tokens, their claims built by the realm's mappers."""

import uuid
from collections.abc import Callable
from typing import Any

from sandbox.idp.keys import SigningKeys
from sandbox.idp.mappers import Authentication, Claims, MapperContext, apply_mappers
from sandbox.idp.realm import Client, Realm, User
from sandbox.idp.sessions import SessionStore, UserSession


def session_authentication(session: UserSession) -> Authentication:
    notes = {"AUTH_TIME": str(session.started)}
    return Authentication(session.id, session.started, session.amr, session.acr, notes)


class TokenMinter:
    def __init__(
        self,
        realm: Realm,
        issuer: str,
        keys: SigningKeys,
        sessions: SessionStore,
        now: Callable[[], int],
    ) -> None:
        self._realm = realm
        self._issuer = issuer
        self._keys = keys
        self._sessions = sessions
        self._now = now

    def token_response(
        self,
        user: User,
        client: Client,
        auth: Authentication,
        scope: str,
        session: UserSession | None,
        nonce: str | None = None,
    ) -> dict[str, Any]:
        """Keycloak's token endpoint answer; a refresh token only for a user session; the ID
        token carries the `nonce` of the authorization request."""
        ctx = MapperContext(self._realm, user, client, auth)
        granted = ["openid"] if "openid" in scope.split() else []
        granted += [s.name for s in self._realm.scopes_of(client) if s.include_in_token_scope]
        now, lifespan = self._now(), self._realm.access_token_lifespan
        base: Claims = {"exp": now + lifespan, "iat": now, "jti": str(uuid.uuid4())}
        base |= {"iss": self._issuer, "azp": client.client_id}
        if auth.session_id:
            base["sid"] = auth.session_id
        access = {**base, "typ": "Bearer", "scope": " ".join(granted)}
        response: dict[str, Any] = {
            "access_token": self._keys.sign(_single_audience(apply_mappers(access, ctx, "access"))),
            "expires_in": lifespan,
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": " ".join(granted),
        }
        if "openid" in granted:
            id_token = {**base, "typ": "ID", "aud": client.client_id, "sub": user.id}
            id_token["auth_time"] = auth.auth_time
            if nonce is not None:
                id_token["nonce"] = nonce
            response["id_token"] = self._keys.sign(apply_mappers(id_token, ctx, "id"))
        if session is not None:
            response["refresh_token"] = self._sessions.issue_refresh_token(session)
            response["refresh_expires_in"] = self._realm.sso_session_idle_timeout
            response["session_state"] = session.id
        return response

    def userinfo(self, claims: Claims, user: User) -> Claims:
        """The userinfo answer for the subject of a live access token with `claims`."""
        client = self._realm.clients[str(claims["azp"])]
        session = self._sessions.get(str(claims.get("sid")))
        auth = (
            session_authentication(session)
            if session is not None
            else Authentication(None, int(claims["iat"]), (), "1", {})
        )
        ctx = MapperContext(self._realm, user, client, auth)
        return apply_mappers({"sub": user.id}, ctx, "userinfo")


def _single_audience(claims: Claims) -> Claims:
    """Keycloak writes `aud` as a plain string when there is exactly one audience."""
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) == 1:
        claims["aud"] = audience[0]
    return claims
