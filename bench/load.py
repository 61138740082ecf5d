"""A closed-loop load driver: C concurrent clients send one query each, again and again, for a
fixed time; reports throughput and latency percentiles.

The driver runs in the benchmark's own process, apart from the gateway and the sandbox, on
aiohttp's client (a fraction of httpx's CPU per request), so that on a small machine it
takes as little CPU from the gateway as a client can.
"""

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

TIMEOUT_S = 30.0


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


@dataclass(frozen=True)
class Answer:
    """A response as the driver read it: its status and its JSON body (`{}` if none)."""

    status_code: int
    body: Mapping[str, Any]

    def json(self) -> Mapping[str, Any]:
        return self.body

    @property
    def failed(self) -> bool:
        """Not 200, with `errors`, without `data`, or a mutation answered with `userErrors`."""
        data = self.body.get("data")
        if self.status_code != 200 or "errors" in self.body or not isinstance(data, dict):
            return True
        return any(isinstance(v, dict) and v.get("userErrors") for v in data.values())


Body = Callable[[int], Mapping[str, object]]
"""The JSON body of a client's n-th request (a mutation's fresh idempotency key, say)."""
Observer = Callable[[float, float, Answer], None]
"""Told of every response: when it was sent (`time.monotonic()`), its latency in ms, itself."""


def body_of(query: str | Body) -> Body:
    if callable(query):
        return query
    fixed = {"query": query}
    return lambda _: fixed


async def post(session: aiohttp.ClientSession, body: Mapping[str, object]) -> Answer:
    async with session.post(
        "/graphql", data=orjson.dumps(body), headers={"Content-Type": "application/json"}
    ) as response:
        raw = await response.read()
    try:
        parsed = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        parsed = {}
    return Answer(response.status, parsed if isinstance(parsed, dict) else {})


def session_for(
    url: str, token: str, concurrency: int, headers: Mapping[str, str] | None = None
) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        base_url=url,
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
        connector=aiohttp.TCPConnector(limit=concurrency),
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
    )


async def drive(
    url: str,
    token: str,
    query: str | Body,
    concurrency: int,
    seconds: float,
    observe: Observer | None = None,
    headers: Mapping[str, str] | None = None,
) -> LoadResult:
    """Run `concurrency` clients for `seconds`, each request with `headers` besides the token;
    an answer with `errors`, without `data` or not 200 counts as an error (and its latency as
    any other's)."""
    body = body_of(query)
    latencies: list[float] = []
    errors = 0
    sequence = 0
    async with session_for(url, token, concurrency, headers) as session:
        stop_at = time.monotonic() + seconds

        async def client() -> None:
            nonlocal errors, sequence
            while time.monotonic() < stop_at:
                sequence += 1
                sent, began = time.monotonic(), time.perf_counter()
                try:
                    answer = await post(session, body(sequence))
                except (aiohttp.ClientError, TimeoutError):
                    answer = Answer(0, {})
                elapsed_ms = (time.perf_counter() - began) * 1000
                errors += answer.failed
                latencies.append(elapsed_ms)
                if observe is not None:
                    observe(sent, elapsed_ms, answer)

        began = time.monotonic()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.monotonic() - began
    return LoadResult(len(latencies), errors, max(seconds, elapsed), latencies)
