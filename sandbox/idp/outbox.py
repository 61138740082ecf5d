"""`GET /_outbox`: the e-mails the identity provider would have sent (Keycloak's "execute
actions" e-mails, such as an invitation), oldest first, for tests and the demo. `?to=` keeps
those to one address. Not a Keycloak endpoint: the sandbox's window on its mail server."""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.idp.provider import ActionsEmail, Idp

SUBJECT = "Update Your Account"
"""The subject of Keycloak's executeActions e-mail template (English)."""


def email_representation(email: ActionsEmail) -> dict[str, object]:
    return {
        "to": email.email,
        "subject": SUBJECT,
        "userId": email.user_id,
        "actions": list(email.actions),
        "clientId": email.client_id,
        "redirectUri": email.redirect_uri,
        "lifespan": email.lifespan,
        "sentAt": email.sent_at,
    }


def outbox_route(idp: Idp) -> Route:
    async def outbox(request: Request) -> Response:
        to = request.query_params.get("to")
        sent = [e for e in idp.sent_emails if to is None or e.email == to]
        return JSONResponse([email_representation(e) for e in sent])

    return Route("/_outbox", outbox, methods=["GET"])
