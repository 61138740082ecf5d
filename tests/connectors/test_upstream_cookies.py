"""Upstream clients keep no cookies: a client serves every tenant's requests, so a cookie one
answer sets must not be sent with the next request (whoever it is for)."""

from collections.abc import AsyncIterator
from typing import Literal

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestServer

from connectors.base.guard import Guard
from connectors.base.http import HttpLimits, create_client
from connectors.base.records import System
from connectors.base.rest import RestClient

Transport = Literal["aiohttp", "httpx"]


async def sets_cookie(_: web.Request) -> web.Response:
    response = web.json_response({})
    response.set_cookie("session", "tenant-a")
    return response


async def echoes_cookie(request: web.Request) -> web.Response:
    return web.json_response({"cookie": request.headers.get("Cookie")})


@pytest.fixture
async def server() -> AsyncIterator[BaseTestServer]:
    app = web.Application()
    app.router.add_get("/set", sets_cookie)
    app.router.add_get("/echo", echoes_cookie)
    async with TestServer(app, host="127.0.0.1") as running:
        yield running


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])  # aiohttp's jar kept a name's
async def test_a_cookie_set_by_an_answer_is_not_sent_again(
    server: BaseTestServer, transport: Transport, host: str
) -> None:
    http = create_client(f"http://{host}:{server.port}", HttpLimits(transport=transport))
    try:
        first = await http.get("/set")
        assert first.headers["Set-Cookie"].startswith("session=tenant-a")
        echoed = await http.get("/echo")
    finally:
        await http.aclose()
    assert echoed.json() == {"cookie": None}
    assert not http.cookies


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_nor_by_the_gets_sent_straight_on_aiohttp(server: BaseTestServer, host: str) -> None:
    rest = RestClient(
        create_client(f"http://{host}:{server.port}", HttpLimits()), Guard(System.CRM)
    )
    try:
        assert await rest.get("/set") == {}
        assert await rest.get("/echo") == {"cookie": None}
    finally:
        await rest.aclose()


def test_cookies_cannot_be_given_to_an_upstream_client() -> None:
    http = create_client("http://127.0.0.1:9", HttpLimits())
    with pytest.raises(TypeError):
        http.cookies = {"session": "x"}


async def test_a_plain_httpx_client_would_send_it_back(server: BaseTestServer) -> None:
    """For contrast: the server's cookie does reach an ordinary client's next request."""
    url = str(server.make_url(""))
    async with httpx.AsyncClient(base_url=url) as plain:
        await plain.get("/set")
        assert (await plain.get("/echo")).json() == {"cookie": "session=tenant-a"}
