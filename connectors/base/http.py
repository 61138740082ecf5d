"""HTTP clients for upstream systems and the one place that sorts their transport failures.

A body that is larger than the cap or cannot be decoded is a bad response; transport errors
become unavailable or timeout (statuses and JSON bodies: `connectors.base.answer`). The total
time of a call (a trickling body included) is bounded by `connectors.base.guard`, since the
read timeout restarts with every chunk.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from connectors.base.aiohttp_transport import AiohttpTransport
from connectors.base.answer import status_failure
from connectors.base.capped import CappedTransport, ResponseTooLarge
from connectors.base.direct import DirectRequests
from connectors.base.errors import (
    UpstreamBadResponse,
    UpstreamError,
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


class _KeptNone(httpx.Cookies):
    """A cookie jar that keeps nothing an upstream sets."""

    def extract_cookies(self, response: httpx.Response) -> None:
        pass


class UpstreamClient(httpx.AsyncClient):
    """httpx's client without a cookie jar. The upstream APIs authenticate every request by
    its own header, and a client is shared by every tenant's requests, so a cookie one answer
    set must not ride along on the next; not keeping them also spares the jar's parsing of
    every answer's headers (httpx builds an `email.message` per response for it, about 25 µs
    per upstream request, on the path from an answer to the requests that depend on it).

    `direct` sends its REST requests straight on aiohttp when its transport is aiohttp's
    (`create_client` sets it; `connectors.base.rest` uses it), and the SOAP requests written
    by the compiled writers (`connectors.base.soap`), also for a client without a base URL."""

    direct: DirectRequests | None = None

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
    request is observed (metrics, trace span, `traceparent`) by `ObservedTransport`, or by
    `DirectRequests` for the GETs it sends. It keeps no cookies (`UpstreamClient`)."""
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
    client = UpstreamClient(
        base_url=base_url,
        timeout=httpx.Timeout(
            limits.total_timeout_s, connect=limits.connect_timeout_s, read=limits.read_timeout_s
        ),
        transport=transport,
        **kwargs,
    )
    if (
        isinstance(sender, AiohttpTransport)
        and set(kwargs) <= {"headers"}  # other settings (auth, params, hooks) are httpx's
        and (DirectRequests.serves(client.base_url) or not str(client.base_url))
    ):
        client.direct = DirectRequests(client, sender, limits.max_body_bytes, system)
    return client


def raise_for_status(system: System, response: httpx.Response) -> None:
    """Raise the upstream error a non-2xx response stands for."""
    request = response.request
    failure = status_failure(
        system, response.status_code, response.headers, request.method, request.url.path
    )
    if failure is not None:
        raise failure


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
