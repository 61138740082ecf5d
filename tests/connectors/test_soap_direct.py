"""SOAP requests written by the compiled writers, sent straight on aiohttp
(`connectors.base.direct`, `DirectRequests.post_to`) against the same requests sent through
zeep's transport over httpx (`UpstreamClient.direct` unset): the same request on the wire
(headers in order, body), and the same answers and errors for what comes back (answers,
faults, error statuses, garbage, multipart, the sandbox's faults and timeouts). The clients are
made as the gateway makes the ERP's: without a base URL."""

from collections.abc import AsyncIterator

import httpx
import pytest

from connectors.base.errors import UpstreamError
from connectors.base.http import HttpLimits, UpstreamClient, create_client
from connectors.base.records import System
from connectors.base.soap import SoapService
from connectors.erp.client import BINDING, WSDL_PATH
from tests.connectors.test_soap_garbage import ANSWER, ENVELOPE, GARBAGE, MULTIPART, part
from tests.connectors.test_soap_writer import CASES, FAULTS, WRITERS, Params, page
from tests.erp_fixtures import ErpControl
from tests.soap_canned import Canned, outcome, sent

LIMITS = HttpLimits()
FAULT = (
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    b"<s:Fault><faultcode>s:{code}</faultcode><faultstring>no</faultstring></s:Fault>"
    b"</s:Body></s:Envelope>"
)


def services(url: str, limits: HttpLimits = LIMITS) -> dict[str, SoapService]:
    """Services with the compiled writers and readers bound to `url`: one sending straight,
    one through zeep's transport."""
    made = {}
    for way in ("direct", "httpx"):
        http = create_client("", limits, System.ERP)
        assert isinstance(http, UpstreamClient)
        assert http.direct is not None
        if way == "httpx":
            http.direct = None
        made[way] = SoapService.create(System.ERP, WSDL_PATH, BINDING, url, http)
    return made


@pytest.fixture
async def both(canned: tuple[Canned, str]) -> AsyncIterator[tuple[Canned, dict[str, SoapService]]]:
    answer, url = canned
    answer.reset()
    made = services(url)
    yield answer, made
    for service in made.values():
        await service.aclose()


def test_the_written_requests_go_straight(canned: tuple[Canned, str]) -> None:
    """The direct way is taken for a client without a base URL (the ERP's) and with one, and
    not for an address httpx would send otherwise (credentials in it)."""
    _, url = canned
    writer = WRITERS["ListOrders"]
    for base in ("", url):
        http = create_client(base, HttpLimits(), System.ERP)
        assert isinstance(http, UpstreamClient)
        direct = http.direct
        assert direct is not None
        assert direct.post_to(httpx.URL(url), writer.headers, b"<x/>") is not None
        assert direct.post_to(httpx.URL("http://u:p@erp.invalid/erp"), {}, b"") is None
    plain = create_client("", HttpLimits())
    assert isinstance(plain, UpstreamClient)
    assert plain.direct is not None
    assert plain.direct.prepare("GET", "/relative") is None  # no base URL to send it against


@pytest.mark.parametrize("status", [200, 500])
@pytest.mark.parametrize(("operation", "params"), CASES)
async def test_the_same_request_goes_out_and_is_answered_alike(
    both: tuple[Canned, dict[str, SoapService]], operation: str, params: Params, status: int
) -> None:
    """Headers (the client's, SOAPAction, Content-Type, Content-Length, Host) in the same
    order, the same body, and the same error for the fault answered."""
    answer, made = both
    answer.body, answer.status = FAULT.replace(b"{code}", b"Client"), status
    assert await sent(answer, made["direct"], operation, params) == await sent(
        answer, made["httpx"], operation, params
    )


ANSWERS: dict[str, tuple[int, bytes, str]] = {
    "an answer": (200, ENVELOPE.format(f"<s:Body>{ANSWER}</s:Body>").encode(), "text/xml"),
    "a server fault": (500, FAULT.replace(b"{code}", b"Server"), "text/xml"),
    "a client fault answered 200": (200, FAULT.replace(b"{code}", b"Client"), "text/xml"),
    "a 500 without a body": (500, b"", "text/xml"),
    "a 202 without a body": (202, b"", "text/xml"),
    "a 404 page": (404, b"<html>not here</html>", "text/html"),
    "a 429": (429, b"slow down", "text/plain"),
    "not XML": (200, b"{not: xml}", "application/json"),
    "a good multipart answer": (
        200,
        (part(ENVELOPE.format(f"<s:Body>{ANSWER}</s:Body>")) + "--b--").encode(),
        MULTIPART,
    ),
    "a multipart answer in latin-1": (
        200,
        (part(ENVELOPE.format(f"<s:Body>{ANSWER}</s:Body>")) + "--b--").encode(),
        MULTIPART + "; charset=latin-1",
    ),
    **{
        f"garbage: {name}": (200, body.encode(), content_type)
        for name, (body, content_type, _) in GARBAGE.items()
    },
}


@pytest.mark.parametrize(("status", "body", "content_type"), ANSWERS.values(), ids=ANSWERS.keys())
async def test_answers_are_read_alike(
    both: tuple[Canned, dict[str, SoapService]], status: int, body: bytes, content_type: str
) -> None:
    answer, made = both
    answer.status, answer.body, answer.content_type = status, body, content_type
    seen = {
        way: await outcome(service, "GetOrders", {"OrderId": ["1"]})
        for way, service in made.items()
    }
    assert seen["direct"] == seen["httpx"]


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
async def test_failures_are_the_same(
    erp_url: str, erp_control: ErpControl, fault: dict[str, object]
) -> None:
    """The sandbox's faults raise the same errors both ways (timeouts included), one request
    each."""
    limits = HttpLimits(connect_timeout_s=1.0, read_timeout_s=0.2, total_timeout_s=0.5)
    made = services(erp_url, limits)
    await erp_control.set_faults(**fault)
    try:
        expected = await outcome(made["httpx"], "ListOrders", page())
        assert isinstance(expected, tuple), expected
        assert issubclass(expected[0], UpstreamError)
        assert await outcome(made["direct"], "ListOrders", page()) == expected
    finally:
        for service in made.values():
            await service.aclose()
    assert await erp_control.requests() == {"ListOrders": 2}


async def test_an_answer_beyond_the_body_cap_is_refused_alike(
    both: tuple[Canned, dict[str, SoapService]], canned: tuple[Canned, str]
) -> None:
    answer, _ = both
    answer.body = ENVELOPE.format(f"<s:Body>{ANSWER}{' ' * 4096}</s:Body>").encode()
    made = services(canned[1], HttpLimits(max_body_bytes=1024))
    try:
        seen = {way: await outcome(s, "GetOrders", {"OrderId": ["1"]}) for way, s in made.items()}
    finally:
        for service in made.values():
            await service.aclose()
    assert seen["direct"] == seen["httpx"]
    assert "unreadable answer" in str(seen["direct"])
