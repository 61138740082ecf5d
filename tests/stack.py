"""The whole stack for end-to-end tests: the sandbox systems and gateways, each a real
server on loopback, and a small GraphQL client that speaks with real tokens."""

import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from portalgraph.app import Clock, advancing_clock, create_app
from portalgraph.settings import Settings
from sandbox.seed import parse_now
from sandbox.server import SYSTEMS, Sandbox, bind, build_sandbox
from tests.idp_fixtures import fetch_token, totp_code
from tests.servers import serve_in_thread

SANDBOX_NOW = "2026-03-10T09:00:00+01:00"
"""The pinned clock of the sandbox and the gateways under test."""
UPSTREAMS = ("erp", "crm", "dms", "payments")


@contextmanager
def running_sandbox() -> Iterator[Sandbox]:
    sockets = {system: bind() for system in SYSTEMS}
    ports = {system: sock.getsockname()[1] for system, sock in sockets.items()}
    sandbox = build_sandbox(parse_now(SANDBOX_NOW), "127.0.0.1", ports)
    with ExitStack() as stack:
        for system, sock in sockets.items():
            stack.enter_context(serve_in_thread(sandbox.apps[system], sock))
        yield sandbox


def sandbox_urls(sandbox: Sandbox) -> dict[str, Any]:
    """The gateway's settings that point it at `sandbox`."""
    return {
        "erp_url": sandbox.erp_url,
        "crm_url": sandbox.url("crm"),
        "dms_url": sandbox.url("dms"),
        "payments_url": sandbox.url("payments"),
        "oidc_server_url": sandbox.url("idp") + "/",
    }


def gateway_settings(sandbox: Sandbox, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        **sandbox_urls(sandbox),
        "redis_url": None,
        "polling": False,  # a poller's requests would disturb tests that count requests
    }
    return Settings(**{**values, **overrides})


@contextmanager
def running_gateway(
    sandbox: Sandbox, clock: Clock | None = None, **overrides: Any
) -> Iterator[str]:
    """A gateway on the sandbox; its clock advances from the seed's `now` unless given."""
    app = create_app(
        gateway_settings(sandbox, **overrides), clock or advancing_clock(sandbox.seed.now)
    )
    with serve_in_thread(app) as url:
        yield url


@dataclass
class Upstream:
    """Request counters of the sandbox systems, read over their `/_stats` endpoints."""

    sandbox: Sandbox

    def reset(self) -> None:
        for system in UPSTREAMS:
            httpx.post(f"{self.sandbox.url(system)}/_stats/reset").raise_for_status()

    def counts(self, system: str) -> dict[str, int]:
        stats = httpx.get(f"{self.sandbox.url(system)}/_stats").json()
        counts: dict[str, int] = stats["by_operation"]
        return counts

    def traceparents(self, system: str) -> list[dict[str, str]]:
        """The latest requests' W3C `traceparent` headers, with their operations."""
        found: list[dict[str, str]] = httpx.get(
            f"{self.sandbox.url(system)}/_stats/traceparents"
        ).json()["traceparents"]
        return found

    def total(self) -> int:
        return sum(sum(self.counts(system).values()) for system in UPSTREAMS)

    def fault(self, system: str, **spec: Any) -> None:
        httpx.post(f"{self.sandbox.url(system)}/_faults", json=spec).raise_for_status()


class GraphQLClient:
    def __init__(self, url: str, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(base_url=url, headers=headers, timeout=30)

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def post_files(
        self,
        query: str,
        variables: dict[str, Any],
        files: dict[str, tuple[str, bytes, str]],
        **headers: str,
    ) -> httpx.Response:
        """A GraphQL multipart request (file uploads): `files` maps a variable path such as
        `input.upload` to (file name, content, media type)."""
        paths = dict(enumerate(files))
        return await self.http.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": query, "variables": variables}),
                "map": json.dumps({str(n): [f"variables.{path}"] for n, path in paths.items()}),
            },
            files={str(n): files[path] for n, path in paths.items()},
            headers=headers,
        )

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a query that must succeed without errors."""
        response = await self.post(query, variables)
        body: dict[str, Any] = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def aclose(self) -> None:
        await self.http.aclose()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as running:
        yield running


@pytest.fixture
def upstream(sandbox: Sandbox) -> Iterator[Upstream]:
    """The sandbox's counters, reset; faults are cleared again after the test."""
    counters = Upstream(sandbox)
    counters.reset()
    yield counters
    for system in UPSTREAMS:
        counters.fault(system, mode="ok")


@pytest.fixture(scope="session")
def gateway_url(sandbox: Sandbox) -> Iterator[str]:
    """A gateway shared by tests that do not count upstream requests (in-memory cache)."""
    with running_gateway(sandbox) as url:
        yield url


@pytest.fixture
def fresh_gateway_url(sandbox: Sandbox) -> Iterator[str]:
    """A gateway of this test's own, with a cold in-memory cache."""
    with running_gateway(sandbox) as url:
        yield url


TOKEN_REUSE_S = 120.0
"""A session's token is fetched again once this old: the realm's tokens live 300 s, and a
suite on a loaded machine runs longer than that."""


class Tokens:
    """Access tokens of the demo users from the sandbox identity provider, one per user (a
    fresh one once the last is `TOKEN_REUSE_S` old)."""

    def __init__(self, idp_url: str) -> None:
        self.idp_url = idp_url
        self._tokens: dict[str, tuple[str, float]] = {}

    async def __call__(self, username: str, mfa: bool = False) -> str:
        key = f"{username}+otp" if mfa else username
        found = self._tokens.get(key)
        if found is None or time.monotonic() - found[1] > TOKEN_REUSE_S:
            code = totp_code(username) if mfa else None
            token = await fetch_token(self.idp_url, username, totp=code)
            found = self._tokens[key] = (token, time.monotonic())
        return found[0]


@pytest.fixture(scope="session")
def tokens(sandbox: Sandbox) -> Tokens:
    return Tokens(sandbox.url("idp"))


@pytest.fixture(scope="module")
def own_sandbox() -> Iterator[Sandbox]:
    """A sandbox of the test module's own, for tests that write: their changes never reach
    the shared one."""
    with running_sandbox() as running:
        yield running


@pytest.fixture(scope="module")
def own_tokens(own_sandbox: Sandbox) -> Tokens:
    return Tokens(own_sandbox.url("idp"))


@pytest.fixture(scope="module")
def own_gateway(own_sandbox: Sandbox) -> Iterator[str]:
    with running_gateway(own_sandbox) as url:
        yield url


@pytest.fixture
async def client_for(gateway_url: str, tokens: Tokens) -> AsyncIterator[Any]:
    """`await client_for("anna")`: a GraphQL client of the shared gateway for a demo user."""
    clients: list[GraphQLClient] = []

    async def make(
        username: str | None, url: str = gateway_url, mfa: bool = False
    ) -> GraphQLClient:
        client = GraphQLClient(url, await tokens(username, mfa=mfa) if username else None)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def nodes(connection: dict[str, Any]) -> list[Any]:
    """The nodes of a Relay connection's page, in order."""
    return [edge["node"] for edge in connection["edges"]]


def without_sources(body: dict[str, Any]) -> dict[str, Any]:
    """An answer without its `extensions.sources`: the upstream calls and latencies there tell a
    cache hit from a miss (as the response time does anyway); the rest must be identical."""
    return {key: value for key, value in body.items() if key != "extensions"}


def answer_bytes(response: httpx.Response) -> bytes:
    """The answer's bytes as served, but for `extensions.sources` (key order is kept)."""
    return json.dumps(without_sources(response.json())).encode()
