"""Keycloak's browser sign-in for one realm: the authorization endpoint shows a login form,
then an OTP form to users who have a second factor (the realm's `portal browser` flow), and
redirects back to the client with a one-time code (`sandbox.idp.authorization`).

A sign-in with the second factor gets `amr` ["pwd", "otp"] and `acr` "2", as the direct grant
does. There is no SSO cookie: each authorization request shows the form.
"""

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sandbox.idp.authorization import (
    AuthorizationRequest,
    LoginPageError,
    PendingLogin,
    RedirectError,
    check_request,
)
from sandbox.idp.login_page import error_page, login_form, otp_form
from sandbox.idp.oidc import form_of
from sandbox.idp.otp import totp_valid
from sandbox.idp.provider import Idp, OAuthError
from sandbox.idp.realm import User

INVALID_LOGIN = "Invalid username or password."
INVALID_OTP = "Invalid authenticator code."
NOT_SET_UP = "Your account is not set up yet: follow the link in your invitation e-mail first."
TIMED_OUT = "Your login attempt timed out. Login will start from the beginning."


def login_routes(idp: Idp) -> list[Route]:
    base = f"/realms/{idp.realm.name}"
    title = idp.realm.display_name

    def action(tab_id: str, request: AuthorizationRequest) -> str:
        query = urlencode({"client_id": request.client_id, "tab_id": tab_id})
        return f"{base}/login-actions/authenticate?{query}"

    async def authorize(request: Request) -> Response:
        idp.requests["auth"] += 1
        try:
            wanted = check_request(idp.realm, request.query_params)
        except LoginPageError as error:
            return error_page(title, str(error), status_code=400)
        except RedirectError as error:
            return _back_to_client(error.request, error=error.error, description=error.description)
        return login_form(title, action(idp.logins.begin(wanted, idp.now()), wanted))

    async def authenticate(request: Request) -> Response:
        idp.requests["login-actions"] += 1
        tab_id = request.query_params.get("tab_id", "")
        pending = idp.logins.pending(tab_id, idp.now())
        if pending is None:
            return error_page(title, TIMED_OUT, status_code=400)
        form, url = await form_of(request), action(tab_id, pending.request)
        if pending.user_id is None:
            username = form.get("username", "").strip()
            try:
                user = idp.user_by_password(username, form.get("password", ""))
            except OAuthError:
                return login_form(title, url, username=username, error=INVALID_LOGIN)
            if user.required_actions:
                return error_page(title, NOT_SET_UP, status_code=400)
            if user.totp is not None:
                pending.user_id = user.id
                return otp_form(title, url)
            return _signed_in(idp, tab_id, pending, user, ("pwd",), "1", request)
        owed = idp.realm.users.get(pending.user_id)
        if owed is None or not owed.enabled:  # removed or disabled since the password step
            return error_page(title, TIMED_OUT, status_code=400)
        if owed.totp is None or not totp_valid(owed.totp, form.get("otp", ""), idp.clock()):
            return otp_form(title, url, error=INVALID_OTP)
        return _signed_in(idp, tab_id, pending, owed, ("pwd", "otp"), "2", request)

    return [
        Route(f"{base}/protocol/openid-connect/auth", authorize, methods=["GET"]),
        Route(f"{base}/login-actions/authenticate", authenticate, methods=["POST"]),
    ]


def _signed_in(
    idp: Idp,
    tab_id: str,
    pending: PendingLogin,
    user: User,
    amr: tuple[str, ...],
    acr: str,
    request: Request,
) -> Response:
    """Start the user's session and send the browser back to the client with a code."""
    session = idp.sessions.start(
        user_id=user.id,
        client_id=pending.request.client_id,
        now=idp.now(),
        amr=amr,
        acr=acr,
        ip_address=request.client.host if request.client else "",
    )
    code, issued = idp.logins.issue_code(tab_id, session.id, idp.now())
    return _back_to_client(issued.request, session_state=session.id, iss=idp.issuer, code=code)


def _back_to_client(request: AuthorizationRequest, **params: str) -> Response:
    """A redirect to the client's redirect URI with `state` and `params` (Keycloak's names:
    `error_description` for `description`)."""
    query = {"state": request.state} if request.state is not None else {}
    query |= {("error_description" if k == "description" else k): v for k, v in params.items()}
    separator = "&" if "?" in request.redirect_uri else "?"
    return RedirectResponse(f"{request.redirect_uri}{separator}{urlencode(query)}", 302)
