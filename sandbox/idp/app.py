"""The sandbox identity provider as an ASGI app: Keycloak's paths for one realm."""

from collections.abc import Callable
from datetime import UTC, datetime

from starlette.applications import Starlette

from sandbox.idp.admin import admin_routes
from sandbox.idp.login import login_routes
from sandbox.idp.mappers import check_mapper_types
from sandbox.idp.oidc import oidc_routes
from sandbox.idp.outbox import outbox_route
from sandbox.idp.provider import Idp
from sandbox.idp.realm import Realm


def create_idp_app(
    realm: Realm, issuer_base_url: str, clock: Callable[[], datetime] | None = None
) -> Starlette:
    """Serve `realm` with issuer `{issuer_base_url}/realms/{realm}`.

    The base URL is the one clients reach this app at, known once the port is bound. The
    provider's state (keys to rotate, request counts, sent e-mails) is `idp_of(app)`; the
    sent e-mails are also served at `GET /_outbox`.
    """
    check_mapper_types(realm)
    idp = Idp(realm, f"{issuer_base_url.rstrip('/')}/realms/{realm.name}", clock or _utc_now)
    app = Starlette(
        routes=[*oidc_routes(idp), *login_routes(idp), *admin_routes(idp), outbox_route(idp)]
    )
    app.state.idp = idp
    return app


def idp_of(app: Starlette) -> Idp:
    idp = app.state.idp
    if not isinstance(idp, Idp):
        raise TypeError("not an app made by create_idp_app")
    return idp


def _utc_now() -> datetime:
    return datetime.now(UTC)
