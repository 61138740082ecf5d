"""Both upstream transports (aiohttp under httpx's API, and httpx's own) against the sandbox
CRM: the same answers, and every failure sorted into the same upstream error, so that the
choice of transport changes the CPU a request costs and nothing else."""

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Literal

import httpx
import pytest

from connectors.base.errors import UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable
from connectors.base.http import HttpLimits, classify_transport_error, create_client
from connectors.base.records import System
from sandbox.server import bind
from tests.rest_fixtures import CRM_TOKEN, HANG_LIMITS, TEST_LIMITS, SandboxControl

Transport = Literal["aiohttp", "httpx"]
TRANSPORTS: list[Transport] = ["aiohttp", "httpx"]
TICKETS = "/api/v1/tickets"
PARAMS: dict[str, str | int] = {"company_id": "0000100001", "per_page": 5, "page": 1}


def client(url: str, transport: Transport, limits: HttpLimits = TEST_LIMITS) -> httpx.AsyncClient:
    return create_client(
        url, replace(limits, transport=transport), headers={"Authorization": f"Bearer {CRM_TOKEN}"}
    )


async def failure(http: httpx.AsyncClient, path: str = TICKETS) -> Exception:
    """The upstream error a GET (its body read whole, as the adapters read it) fails with."""
    with pytest.raises(httpx.HTTPError) as raised:
        await http.get(path, params=PARAMS)
    await http.aclose()
    return classify_transport_error(System.CRM, raised.value)


@pytest.fixture
async def clients(crm_url: str) -> AsyncIterator[dict[Transport, httpx.AsyncClient]]:
    made = {transport: client(crm_url, transport) for transport in TRANSPORTS}
    yield made
    for http in made.values():
        await http.aclose()


async def test_both_transports_answer_alike(
    clients: dict[Transport, httpx.AsyncClient], crm_control: SandboxControl
) -> None:
    answers = {}
    for transport, http in clients.items():
        response = await http.get(TICKETS, params=PARAMS)
        missing = await http.get(f"{TICKETS}/TCK-NONE")
        answers[transport] = (response.status_code, response.json(), missing.status_code)
    assert answers["aiohttp"] == answers["httpx"]
    status, body, missing_status = answers["aiohttp"]
    assert status == 200
    assert body["items"]
    assert missing_status == 404
    assert await crm_control.requests() == {
        "GET /api/v1/tickets": 2,
        "GET /api/v1/tickets/{ticket_id}": 2,
    }


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_refused_connection_is_unavailable(transport: Transport) -> None:
    closed = bind()
    port = closed.getsockname()[1]
    closed.close()  # nobody listens there now
    error = await failure(client(f"http://127.0.0.1:{port}", transport))
    assert isinstance(error, UpstreamUnavailable)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_hanging_upstream_times_out(
    crm_url: str, crm_control: SandboxControl, transport: Transport
) -> None:
    await crm_control.set_faults(mode="hang")
    error = await failure(client(crm_url, transport, HANG_LIMITS))
    assert isinstance(error, UpstreamTimeout)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_answer_over_the_cap_is_a_bad_response(
    crm_url: str, crm_control: SandboxControl, transport: Transport
) -> None:
    await crm_control.set_faults(mode="garbage", garbage="huge", huge_mb=2)
    capped = replace(TEST_LIMITS, max_body_bytes=64 * 1024)
    error = await failure(client(crm_url, transport, capped))
    assert isinstance(error, UpstreamBadResponse)
