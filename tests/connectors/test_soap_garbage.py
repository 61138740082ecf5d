"""Garbage answers to a SOAP call, served over loopback: each one becomes UpstreamBadResponse
with a message that says what was wrong, whether the compiled reader or zeep reads it (zeep
lets IndexError, TypeError, AttributeError or requests_toolbelt's errors escape for some)."""

from collections.abc import AsyncIterator

import pytest

from connectors.base.errors import UpstreamBadResponse
from connectors.base.http import HttpLimits, create_client
from connectors.base.records import System
from connectors.base.soap import SoapService
from connectors.erp.client import BINDING, WSDL_PATH
from tests.soap_canned import Canned

ENVELOPE = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">{}</s:Envelope>'
ANSWER = '<e:GetOrdersResponse xmlns:e="urn:portalgraph:sandbox:erp:v1"/>'
MULTIPART = 'multipart/related; type="text/xml"; boundary="b"'


def part(content: str, headers: str = "Content-Type: text/xml\r\n") -> str:
    return f"--b\r\n{headers}\r\n{content}\r\n"


NOT_IN_THE_BODY = "no answer in the SOAP Body"
MALFORMED = "a malformed multipart (MTOM/XOP) answer"
GARBAGE = {
    "an empty SOAP Body": (ENVELOPE.format("<s:Body/>"), "text/xml", NOT_IN_THE_BODY),
    "a SOAP Body of whitespace": (
        ENVELOPE.format("<s:Body> </s:Body>"),
        "text/xml",
        NOT_IN_THE_BODY,
    ),
    "no SOAP Body": (ENVELOPE.format(""), "text/xml", NOT_IN_THE_BODY),
    "a SOAP Header only": (ENVELOPE.format("<s:Header/>"), "text/xml", NOT_IN_THE_BODY),
    "multipart without a boundary": (ENVELOPE.format("<s:Body/>"), "multipart/related", MALFORMED),
    "multipart without parts": ("", MULTIPART, MALFORMED),
    "multipart that is not": ("garbage", MULTIPART, MALFORMED),
    "a multipart part without headers": ("--b\r\nnothing\r\n--b--", MULTIPART, MALFORMED),
    "multipart with an empty SOAP Body": (
        part(ENVELOPE.format("<s:Body/>")) + "--b--",
        MULTIPART,
        MALFORMED,
    ),
}


@pytest.fixture
async def pair(canned: tuple[Canned, str]) -> AsyncIterator[tuple[Canned, list[SoapService]]]:
    """The canned answer, and services with the compiled readers and writers, and with zeep
    only."""
    answer, url = canned
    answer.reset()
    services = [
        SoapService.create(
            System.ERP, WSDL_PATH, BINDING, url, create_client(url, HttpLimits()), on, on
        )
        for on in (True, False)
    ]
    yield answer, services
    for service in services:
        await service.aclose()


@pytest.mark.parametrize(("body", "content_type", "what"), GARBAGE.values(), ids=GARBAGE.keys())
async def test_garbage_is_a_bad_response(
    pair: tuple[Canned, list[SoapService]], body: str, content_type: str, what: str
) -> None:
    answer, services = pair
    answer.body, answer.content_type = body.encode(), content_type
    for service in services:
        with pytest.raises(UpstreamBadResponse, match="unreadable answer to GetOrders") as raised:
            await service.call("GetOrders", OrderId=["1"])
        assert what in str(raised.value)


async def test_a_good_multipart_answer_is_still_read(
    pair: tuple[Canned, list[SoapService]],
) -> None:
    answer, services = pair
    answer.body = (part(ENVELOPE.format(f"<s:Body>{ANSWER}</s:Body>")) + "--b--").encode()
    answer.content_type = MULTIPART
    for service in services:
        assert await service.call("GetOrders", OrderId=["1"]) == []
