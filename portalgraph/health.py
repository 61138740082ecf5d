"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: Redis, the identity
provider and each upstream system, probed concurrently, with JSON detail per dependency).

A dependency is `ok`; `degraded` when it answered slower than `SLOW_AFTER_S`, or when the
gateway works around it (Redis, replaced by the in-memory cache: its probe raises
`Degraded`); or `down` (no answer within `PROBE_TIMEOUT_S`, or HTTP 5xx). Each upstream's
detail also carries its circuit and bulkhead. The gateway is `ready` when every dependency is
ok, `degraded` (still HTTP 200, so the load balancer keeps the replica) when some are slow or
worked around or when only dependencies outside `required` are down (it then serves partial
results), and `not ready` (HTTP 503) when a required one is down.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from infra.fallback import Degraded

PROBE_TIMEOUT_S = 2.0
SLOW_AFTER_S = 1.0

Probe = Callable[[], Awaitable[None]]
"""Returns when the dependency is up; raises `Degraded` when it is worked around."""
Details = Callable[[], Mapping[str, Mapping[str, object]]]


def http_probe(client: httpx.AsyncClient, url: str) -> Probe:
    """Up when the URL answers below HTTP 500 (any answer means the system is up)."""

    async def probe() -> None:
        response = await client.get(url, timeout=PROBE_TIMEOUT_S)
        if response.status_code >= 500:
            raise RuntimeError(f"HTTP {response.status_code}")

    return probe


async def check(probe: Probe) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe(), PROBE_TIMEOUT_S)
    except Degraded as degraded:
        return {"status": "degraded", "error": str(degraded)}
    except Exception as error:
        detail = type(error).__name__ if not str(error) else f"{type(error).__name__}: {error}"
        return {"status": "down", "error": detail}
    seconds = time.perf_counter() - started
    return {
        "status": "degraded" if seconds > SLOW_AFTER_S else "ok",
        "latency_ms": round(seconds * 1000, 1),
    }


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def overall(checks: Mapping[str, Mapping[str, Any]], required: Collection[str]) -> str:
    if any(c["status"] == "down" for name, c in checks.items() if name in required):
        return "not ready"
    return "ready" if all(c["status"] == "ok" for c in checks.values()) else "degraded"


def readyz(
    probes: Callable[[], Mapping[str, Probe]], required: Collection[str], details: Details
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(_: Request) -> Response:
        named = probes()
        results = await asyncio.gather(*(check(probe) for probe in named.values()))
        extra = details()
        checks = {
            name: {**result, **extra.get(name, {})}
            for name, result in zip(named, results, strict=True)
        }
        status = overall(checks, required)
        return JSONResponse(
            {"status": status, "checks": checks},
            status_code=503 if status == "not ready" else 200,
        )

    return endpoint
