"""A closed-loop load driver: C concurrent clients send one query each, again and again, for a
fixed time; reports throughput and latency percentiles."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

DASHBOARD = (Path(__file__).parent / "queries" / "dashboard.graphql").read_text()


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


Observer = Callable[[float, float, httpx.Response], None]
"""Told of every response: when it was sent (`time.monotonic()`), its latency in ms, itself."""


async def drive(
    url: str,
    token: str,
    query: str,
    concurrency: int,
    seconds: float,
    observe: Observer | None = None,
) -> LoadResult:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"query": query}
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as http:
        stop_at = time.monotonic() + seconds

        async def client() -> None:
            nonlocal errors
            while time.monotonic() < stop_at:
                sent, began = time.monotonic(), time.perf_counter()
                response = await http.post("/graphql", json=body)
                elapsed_ms = (time.perf_counter() - began) * 1000
                if response.status_code != 200 or "errors" in response.json():
                    errors += 1
                latencies.append(elapsed_ms)
                if observe is not None:
                    observe(sent, elapsed_ms, response)

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return LoadResult(len(latencies), errors, seconds, latencies)
