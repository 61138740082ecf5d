"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: every upstream system,
the identity provider and Redis answer), with per-dependency detail."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

PROBE_TIMEOUT_S = 2.0

Probe = Callable[[], Awaitable[None]]


def http_probe(client: httpx.AsyncClient, url: str) -> Probe:
    """Ready when the URL answers below HTTP 500 (any answer means the system is up)."""

    async def probe() -> None:
        response = await client.get(url, timeout=PROBE_TIMEOUT_S)
        if response.status_code >= 500:
            raise RuntimeError(f"HTTP {response.status_code}")

    return probe


async def _check(probe: Probe) -> str | None:
    try:
        await asyncio.wait_for(probe(), PROBE_TIMEOUT_S)
    except Exception as error:
        return type(error).__name__ if not str(error) else f"{type(error).__name__}: {error}"
    return None


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def readyz(probes: Callable[[], Mapping[str, Probe]]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(_: Request) -> Response:
        named = probes()
        results = await asyncio.gather(*(_check(probe) for probe in named.values()))
        checks = {
            name: {"status": "ok"} if error is None else {"status": "down", "error": error}
            for name, error in zip(named, results, strict=True)
        }
        ready = all(error is None for error in results)
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    return endpoint
