"""Keycloak's OpenID Connect endpoints of one realm: discovery, keys, token, introspection,
userinfo and logout, with Keycloak's paths, status codes and error bodies."""

import base64
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.idp.authorization import PKCE_METHODS
from sandbox.idp.provider import Idp, OAuthError

Form = dict[str, str]
Handler = Callable[[Request], Awaitable[Response]]

CLAIMS_SUPPORTED = (
    "iss sub aud exp iat auth_time name given_name family_name preferred_username email"
    " email_verified locale acr amr customer_id customer_ids"
)


def oidc_routes(idp: Idp) -> list[Route]:
    base = f"/realms/{idp.realm.name}"
    oidc = f"{base}/protocol/openid-connect"

    async def discovery(_: Request) -> Response:
        idp.requests["discovery"] += 1
        return JSONResponse(_discovery_document(idp))

    async def certs(_: Request) -> Response:
        idp.requests["certs"] += 1
        return JSONResponse(idp.keys.jwks())

    async def token(request: Request) -> Response:
        idp.requests["token"] += 1
        form = await form_of(request)
        client = idp.authenticate_client(*_client_credentials(request, form))
        grant_type = form.get("grant_type")
        scope = form.get("scope", "")
        ip = request.client.host if request.client else ""
        if not grant_type:
            raise OAuthError(400, "invalid_request", "Missing form parameter: grant_type")
        if grant_type == "password":
            body = idp.password_grant(
                client,
                form.get("username", ""),
                form.get("password", ""),
                form.get("totp") or None,
                scope,
                ip,
            )
        elif grant_type == "authorization_code":
            body = idp.authorization_code_grant(
                client,
                _required(form, "code"),
                form.get("redirect_uri", ""),
                form.get("code_verifier") or None,
            )
        elif grant_type == "client_credentials":
            body = idp.client_credentials_grant(client, scope)
        elif grant_type == "refresh_token":
            body = idp.refresh_grant(client, _required(form, "refresh_token"), scope)
        else:
            raise OAuthError(400, "unsupported_grant_type", "Unsupported grant_type")
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def introspect(request: Request) -> Response:
        idp.requests["introspect"] += 1
        form = await form_of(request)
        client = idp.authenticate_client(*_client_credentials(request, form))
        if client.public:
            raise OAuthError(403, "invalid_request", "Client not allowed.")
        token = form.get("token")
        if not token:
            raise OAuthError(400, "invalid_request", "Token not provided.")
        verified = idp.verify_access_token(token)
        if verified is None:
            return JSONResponse({"active": False})
        claims, user = verified
        extra = {"client_id": claims.get("azp"), "username": user.username, "token_type": "Bearer"}
        return JSONResponse({**claims, **extra, "active": True})

    async def userinfo(request: Request) -> Response:
        idp.requests["userinfo"] += 1
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        verified = idp.verify_access_token(token) if scheme.lower() == "bearer" else None
        if verified is None:
            description = "Token verification failed"
            return JSONResponse(
                {"error": "invalid_token", "error_description": description},
                status_code=401,
                headers={
                    "WWW-Authenticate": f'Bearer realm="{idp.realm.name}", '
                    f'error="invalid_token", error_description="{description}"'
                },
            )
        return JSONResponse(idp.minter.userinfo(*verified))

    async def logout(request: Request) -> Response:
        idp.requests["logout"] += 1
        form = await form_of(request)
        client = idp.authenticate_client(*_client_credentials(request, form))
        session = idp.live_session_of_refresh_token(_required(form, "refresh_token"))
        if session.client_id != client.client_id:
            raise OAuthError(400, "invalid_grant", "Invalid refresh token")
        idp.sessions.end(session.id)
        return Response(status_code=204)

    return [
        Route(f"{base}/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route(f"{oidc}/certs", certs, methods=["GET"]),
        Route(f"{oidc}/token", _cors(idp, _oauth_errors(token)), methods=["POST"]),
        Route(f"{oidc}/token/introspect", _oauth_errors(introspect), methods=["POST"]),
        Route(f"{oidc}/userinfo", userinfo, methods=["GET", "POST"]),
        Route(f"{oidc}/logout", _cors(idp, _oauth_errors(logout)), methods=["POST"]),
    ]


def _discovery_document(idp: Idp) -> dict[str, object]:
    oidc = f"{idp.issuer}/protocol/openid-connect"
    return {
        "issuer": idp.issuer,
        "authorization_endpoint": f"{oidc}/auth",
        "token_endpoint": f"{oidc}/token",
        "introspection_endpoint": f"{oidc}/token/introspect",
        "userinfo_endpoint": f"{oidc}/userinfo",
        "end_session_endpoint": f"{oidc}/logout",
        "jwks_uri": f"{oidc}/certs",
        "grant_types_supported": [
            "authorization_code",
            "password",
            "client_credentials",
            "refresh_token",
        ],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": list(PKCE_METHODS),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "scopes_supported": ["openid", *idp.realm.client_scopes],
        "claims_supported": CLAIMS_SUPPORTED.split(),
    }


def _oauth_errors(handler: Handler) -> Handler:
    async def handle(request: Request) -> Response:
        try:
            return await handler(request)
        except OAuthError as error:
            body = {"error": error.error, "error_description": error.description}
            return JSONResponse(body, status_code=error.status)

    return handle


def _cors(idp: Idp, handler: Handler) -> Handler:
    """Let a browser script read the answer when its origin is one of the calling client's web
    origins (a public client names itself with `client_id` in the form), as Keycloak does."""

    async def handle(request: Request) -> Response:
        response = await handler(request)
        origin = request.headers.get("origin")
        client = idp.realm.clients.get((await form_of(request)).get("client_id", ""))
        if origin and client is not None and client.accepts_origin(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Vary"] = "Origin"
        return response

    return handle


async def form_of(request: Request) -> Form:
    """The urlencoded body; parsed here since Starlette's form parser needs python-multipart."""
    return dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))


def _required(form: Form, name: str) -> str:
    value = form.get(name)
    if not value:
        raise OAuthError(400, "invalid_request", f"Missing parameter: {name}")
    return value


def _client_credentials(request: Request, form: Form) -> tuple[str, str | None]:
    """client_secret_basic (RFC 6749 §2.3.1: form-urlencoded id and secret) or _post."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode("utf-8").partition(":")
        except ValueError as error:
            raise OAuthError(400, "invalid_request", "Malformed Basic credentials") from error
        return unquote_plus(client_id), unquote_plus(secret)
    return form.get("client_id", ""), form.get("client_secret")
