"""HTTP clients for upstream systems and the one place that sorts their failures.

Like Singer SDK's `validate_response`: 429 and 5xx are retriable, other 4xx fatal, a body that
does not parse or is larger than the cap is a bad response; transport errors become
unavailable or timeout. The total time of a call (a trickling body included) is bounded by
`connectors.base.guard`, since httpx's read timeout restarts with every chunk.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import orjson

from connectors.base.aiohttp_transport import AiohttpTransport
from connectors.base.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.base.observed import ObservedTransport
from connectors.base.records import System


@dataclass(frozen=True)
class HttpLimits:
    connect_timeout_s: float = 2.0
    read_timeout_s: float = 5.0
    total_timeout_s: float = 8.0
    max_connections: int = 100
    max_body_bytes: int = 16 * 1024 * 1024
    transport: Literal["aiohttp", "httpx"] = "aiohttp"
    """What sends the requests: aiohttp (a third of the CPU) or httpx's own httpcore."""


class ResponseTooLarge(httpx.HTTPError):
    """The upstream's answer is larger than the client accepts."""


class _CappedStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream, max_bytes: int) -> None:
        self._stream = stream
        self._max_bytes = max_bytes

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._stream:
            seen += len(chunk)
            if seen > self._max_bytes:
                raise ResponseTooLarge(f"body exceeds {self._max_bytes} bytes")
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


class CappedTransport(httpx.AsyncBaseTransport):
    """Cuts off an answer whose body is larger than `max_bytes`, declared or streamed, so that
    a huge upstream body costs at most that much memory."""

    def __init__(self, inner: httpx.AsyncBaseTransport, max_bytes: int) -> None:
        self._inner = inner
        self._max_bytes = max_bytes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            await response.aclose()
            raise ResponseTooLarge(f"declared body of {declared} bytes exceeds {self._max_bytes}")
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CappedStream(response.stream, self._max_bytes),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class _KeptNone(httpx.Cookies):
    """A cookie jar that keeps nothing an upstream sets."""

    def extract_cookies(self, response: httpx.Response) -> None:
        pass


class UpstreamClient(httpx.AsyncClient):
    """httpx's client without a cookie jar. The upstream APIs authenticate every request by
    its own header, and a client is shared by every tenant's requests, so a cookie one answer
    set must not ride along on the next; not keeping them also spares the jar's parsing of
    every answer's headers (httpx builds an `email.message` per response for it, about 25 µs
    per upstream request, on the path from an answer to the requests that depend on it)."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _KeptNone()

    @cookies.setter
    def cookies(self, cookies: httpx._types.CookieTypes) -> None:
        raise TypeError("upstream clients keep no cookies")


def create_client(
    base_url: str, limits: HttpLimits, system: System | None = None, **kwargs: Any
) -> httpx.AsyncClient:
    """One pooled client per upstream system, built in the app's lifespan; with `system`, every
    request is observed (metrics, trace span, `traceparent`) by `ObservedTransport`. It keeps
    no cookies (`UpstreamClient`)."""
    pool = httpx.Limits(
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_connections,
    )
    sender: httpx.AsyncBaseTransport = (
        AiohttpTransport(pool)
        if limits.transport == "aiohttp"
        else httpx.AsyncHTTPTransport(limits=pool)
    )
    transport: httpx.AsyncBaseTransport = CappedTransport(sender, limits.max_body_bytes)
    if system is not None:
        transport = ObservedTransport(transport, system)
    return UpstreamClient(
        base_url=base_url,
        timeout=httpx.Timeout(
            limits.total_timeout_s, connect=limits.connect_timeout_s, read=limits.read_timeout_s
        ),
        transport=transport,
        **kwargs,
    )


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def raise_for_status(system: System, response: httpx.Response) -> None:
    """Raise the upstream error a non-2xx response stands for."""
    status = response.status_code
    if status < 400:
        return
    detail = f"HTTP {status} from {response.request.method} {response.request.url.path}"
    if status == 429 or status >= 500:
        raise UpstreamUnavailable(system, detail, retry_after(response))
    raise UpstreamRejected(system, detail)


def classify_transport_error(system: System, error: httpx.HTTPError) -> UpstreamError:
    if isinstance(error, ResponseTooLarge | httpx.DecodingError):
        return UpstreamBadResponse(system, f"unreadable answer: {error}")
    if isinstance(error, httpx.TimeoutException):
        return UpstreamTimeout(system, f"timed out: {type(error).__name__}")
    return UpstreamUnavailable(system, f"transport error: {type(error).__name__}")


@asynccontextmanager
async def upstream_errors(system: System) -> AsyncIterator[None]:
    """Turn httpx transport errors inside the block into upstream errors."""
    try:
        yield
    except httpx.HTTPError as error:
        raise classify_transport_error(system, error) from error


def parse_json(system: System, response: httpx.Response) -> Any:
    """The response's JSON body, or UpstreamBadResponse."""
    try:
        return orjson.loads(response.content)
    except (ValueError, UnicodeDecodeError) as error:  # orjson's errors are ValueErrors
        raise UpstreamBadResponse(
            system, f"invalid JSON from {response.request.url.path}"
        ) from error
