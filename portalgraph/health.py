"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`), with detail per
dependency.

Readiness is 503 while a dependency is down (an upstream system or the identity provider
does not answer). A dependency the gateway works
around (Redis, replaced by the in-memory cache) is `degraded`: readiness stays 200, so the
load balancer keeps the replica. Each upstream's detail carries its circuit and bulkhead.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from infra.fallback import Degraded

PROBE_TIMEOUT_S = 2.0

Probe = Callable[[], Awaitable[None]]
"""Returns when the dependency is up; raises `Degraded` when it is worked around."""
Details = Callable[[], Mapping[str, Mapping[str, object]]]


def http_probe(client: httpx.AsyncClient, url: str) -> Probe:
    """Ready when the URL answers below HTTP 500 (any answer means the system is up)."""

    async def probe() -> None:
        response = await client.get(url, timeout=PROBE_TIMEOUT_S)
        if response.status_code >= 500:
            raise RuntimeError(f"HTTP {response.status_code}")

    return probe


async def _check(probe: Probe) -> dict[str, object]:
    try:
        await asyncio.wait_for(probe(), PROBE_TIMEOUT_S)
    except Degraded as degraded:
        return {"status": "degraded", "error": str(degraded)}
    except Exception as error:
        message = type(error).__name__ if not str(error) else f"{type(error).__name__}: {error}"
        return {"status": "down", "error": message}
    return {"status": "ok"}


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def readyz(
    probes: Callable[[], Mapping[str, Probe]], details: Details
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(_: Request) -> Response:
        named = probes()
        results = await asyncio.gather(*(_check(probe) for probe in named.values()))
        extra = details()
        checks = {
            name: {**result, **extra.get(name, {})}
            for name, result in zip(named, results, strict=True)
        }
        statuses = {check["status"] for check in checks.values()}
        if "down" in statuses:
            status = "not ready"
        else:
            status = "degraded" if "degraded" in statuses else "ready"
        return JSONResponse(
            {"status": status, "checks": checks},
            status_code=200 if status in {"ready", "degraded"} else 503,
        )

    return endpoint
