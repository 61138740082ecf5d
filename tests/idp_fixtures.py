"""The sandbox identity provider for tests, and helpers to get tokens from it.

Load as a plugin (`pytest_plugins = ["tests.idp_fixtures"]` in the root conftest, or
`-p tests.idp_fixtures`). Tokens come through python-keycloak, as a real client gets them.
"""

import base64
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
import pytest
from keycloak import KeycloakOpenID

from auth.tokens import TokenVerifier
from sandbox.idp import Idp, create_idp_app, idp_of, load_realm
from sandbox.server import bind
from tests.servers import serve_in_thread

REALM = "portal"
DEMO_PASSWORD = "demo"
GATEWAY_CLIENT, GATEWAY_SECRET = "portal-gateway", "portal-gateway-secret"
MUSTER_CLIENT, MUSTER_SECRET = "muster-integration", "muster-integration-secret"
DEMO_TOTP_SECRETS = {"anna": "JBSWY3DPEHPK3PXP", "daniel": "KRSXG5CTMVRXEZLU"}


@dataclass(frozen=True)
class IdpServer:
    url: str
    """Base URL, also python-keycloak's `server_url`."""
    issuer: str
    idp: Idp
    """The provider's state: keys (rotate), request counts, sent e-mails, the realm."""


@contextmanager
def running_idp(clock: Callable[[], datetime] | None = None) -> Iterator[IdpServer]:
    """A fresh identity provider with its own copy of the demo realm, on a free port."""
    sock = bind()
    host, port = sock.getsockname()[:2]
    app = create_idp_app(load_realm(), f"http://{host}:{port}", clock)
    with serve_in_thread(app, sock) as url:
        yield IdpServer(url=url, issuer=idp_of(app).issuer, idp=idp_of(app))


@pytest.fixture(scope="session")
def idp_server() -> Iterator[IdpServer]:
    with running_idp() as server:
        yield server


@pytest.fixture(scope="session")
def idp_url(idp_server: IdpServer) -> str:
    return idp_server.url


@pytest.fixture
async def frontend(idp_url: str) -> AsyncIterator[KeycloakOpenID]:
    """python-keycloak as the portal's browser app (public client `portal-frontend`)."""
    openid = KeycloakOpenID(server_url=idp_url, realm_name=REALM, client_id="portal-frontend")
    yield openid
    await openid.connection.aclose()


@pytest.fixture
async def token_verifier(idp_server: IdpServer) -> AsyncIterator[TokenVerifier]:
    """The gateway's verifier for the session's identity provider (issuer by discovery)."""
    verifier = TokenVerifier(server_url=idp_server.url, client_secret=GATEWAY_SECRET)
    yield verifier
    await verifier.aclose()


class _DemoTotp(pyotp.TOTP):
    """pyotp refuses secrets under 112 bits; the design's demo secrets have 80."""

    def byte_secret(self) -> bytes:
        return base64.b32decode(self.secret + "=" * (-len(self.secret) % 8), casefold=True)


def totp_code(username: str, at: datetime | None = None) -> str:
    """The current (or `at`) TOTP code of a demo user with a second factor."""
    otp = _DemoTotp(DEMO_TOTP_SECRETS[username])
    return str(otp.now() if at is None else otp.at(at))


async def fetch_token_response(
    idp_url: str,
    username: str,
    password: str = DEMO_PASSWORD,
    totp: str | None = None,
    client_id: str = "portal-frontend",
) -> dict[str, Any]:
    """The token endpoint's whole answer for a direct grant (raises KeycloakError)."""
    openid = KeycloakOpenID(server_url=idp_url, realm_name=REALM, client_id=client_id)
    try:
        response: dict[str, Any] = await openid.a_token(
            username, password, totp=int(totp) if totp else None
        )
    finally:
        await openid.connection.aclose()
    return response


async def fetch_token(
    idp_url: str, username: str, password: str = DEMO_PASSWORD, totp: str | None = None
) -> str:
    """An access token of `username` from the portal frontend client."""
    return str((await fetch_token_response(idp_url, username, password, totp))["access_token"])


async def fetch_service_token(
    idp_url: str, client_id: str = MUSTER_CLIENT, secret: str = MUSTER_SECRET
) -> str:
    """An access token of a confidential client's service account (client credentials)."""
    openid = KeycloakOpenID(
        server_url=idp_url, realm_name=REALM, client_id=client_id, client_secret_key=secret
    )
    try:
        response = await openid.a_token(grant_type="client_credentials")
    finally:
        await openid.connection.aclose()
    return str(response["access_token"])
