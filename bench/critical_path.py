"""The upstream critical path of a query, measured by a client that makes the same upstream
calls itself: the calls the sandbox journaled while the gateway answered the query once
(`GET /_stats/calls`), grouped into levels by their dependencies (a call that started only
after another ended depends on it), replayed level by level, each level's calls at once.

Its latency is the least any gateway could answer the query in: the sum, over the levels, of
the slowest call of each.
"""

import asyncio
import base64
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
import httpx

from bench.load import TIMEOUT_S


@dataclass(frozen=True)
class Call:
    system: str
    operation: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    started: float
    ended: float


Plan = list[list[Call]]
"""Levels of calls: each level's calls depend only on calls of earlier levels."""


def journaled(system_urls: dict[str, str]) -> list[Call]:
    """The calls each system journaled since its stats were last reset."""
    calls = []
    for system, base in system_urls.items():
        for raw in httpx.get(f"{base}/_stats/calls").json()["calls"]:
            query = f"?{raw['query']}" if raw["query"] else ""
            calls.append(
                Call(
                    system,
                    raw["operation"],
                    raw["method"],
                    f"{base}{raw['path']}{query}",
                    tuple((name, value) for name, value in raw["headers"]),
                    base64.b64decode(raw["body"]),
                    raw["started"],
                    raw["ended"],
                )
            )
    return calls


def levels(calls: Sequence[Call]) -> Plan:
    """A call's level is one more than the deepest call that ended before it started."""
    ordered = sorted(calls, key=lambda call: call.started)
    depth: list[int] = []
    for index, call in enumerate(ordered):
        before = [depth[i] for i in range(index) if ordered[i].ended <= call.started]
        depth.append(max(before) + 1 if before else 0)
    plan: Plan = [[] for _ in range(max(depth, default=-1) + 1)]
    for call, level in zip(ordered, depth, strict=True):
        plan[level].append(call)
    return plan


async def replay(session: aiohttp.ClientSession, plan: Plan) -> float:
    """One replay of `plan`; its latency in ms."""

    async def send(call: Call) -> None:
        async with session.request(
            call.method, call.url, headers=dict(call.headers), data=call.body or None
        ) as response:
            await response.read()

    began = time.perf_counter()
    for level in plan:
        await asyncio.gather(*(send(call) for call in level))
    return (time.perf_counter() - began) * 1000


async def replay_until(plan: Plan, stop_at: float) -> list[float]:
    """Replay `plan` again and again until `time.monotonic()` passes `stop_at`."""
    latencies: list[float] = []
    if not plan:
        return latencies
    widest = max(len(level) for level in plan)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=widest)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        while time.monotonic() < stop_at:
            latencies.append(await replay(session, plan))
    return latencies


def describe(plan: Plan) -> str:
    """`level: op, op | level: ...` for the report."""
    return " → ".join(
        ", ".join(sorted(f"{call.system}:{call.operation}" for call in level)) for level in plan
    )
