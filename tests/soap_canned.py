"""`canned`: a server answering what a test sets, over loopback, for SOAP clients (the body,
status and content type of every answer), and keeping the requests it got (headers and body),
so that a test sees what a client sent through its transport."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pytest
from starlette.requests import Request
from starlette.responses import Response

from connectors.base.soap import SoapService
from tests.servers import serve_in_thread


@dataclass
class Canned:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/xml; charset=utf-8"
    requests: list[tuple[list[tuple[str, str]], bytes]] = field(default_factory=list)
    """The requests got: their headers (in order) and bodies."""

    def reset(self) -> None:
        self.body, self.status = b"", 200
        self.content_type = Canned.content_type
        self.requests.clear()


@pytest.fixture(scope="module")
def canned() -> Iterator[tuple[Canned, str]]:
    """The answer to set, and the SOAP endpoint's URL."""
    answer = Canned()

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)  # type: ignore[arg-type]
        answer.requests.append((list(request.headers.items()), await request.body()))
        response = Response(answer.body, answer.status, media_type=answer.content_type)
        await response(scope, receive, send)  # type: ignore[arg-type]

    with serve_in_thread(app) as base_url:  # type: ignore[arg-type]
        yield answer, base_url + "/erp"


async def outcome(service: SoapService, operation: str, params: Mapping[str, object]) -> object:
    """The plain answer, or the error raised (its type and message)."""
    try:
        return await service.call(operation, **params)
    except Exception as error:
        return (type(error), str(error))


async def sent(
    answer: Canned, service: SoapService, operation: str, params: Mapping[str, object]
) -> tuple[object, list[tuple[str, str]], bytes]:
    """What `service` answers, and the one request it sent to `answer`'s server (headers
    without the trace's, which differs per request, and body)."""
    answer.requests.clear()
    result = await outcome(service, operation, params)
    [(headers, body)] = answer.requests
    return result, [header for header in headers if header[0] != "traceparent"], body
