"""HTTP clients for upstream systems and the one place that sorts their failures.

Like Singer SDK's `validate_response`: 429 and 5xx are retriable, other 4xx fatal, a body that
does not parse is a bad response; transport errors become unavailable or timeout.
"""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

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


def create_client(
    base_url: str, limits: HttpLimits, system: System | None = None, **kwargs: Any
) -> httpx.AsyncClient:
    """One pooled client per upstream system, built in the app's lifespan; with `system`, every
    request is observed (metrics, trace span, `traceparent`) by `ObservedTransport`."""
    pool = httpx.Limits(
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_connections,
    )
    transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(limits=pool)
    if system is not None:
        transport = ObservedTransport(transport, system)
    return httpx.AsyncClient(
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
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as error:
        raise UpstreamBadResponse(
            system, f"invalid JSON from {response.request.url.path}"
        ) from error
