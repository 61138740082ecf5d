"""`make chaos`: the dashboard load for a few minutes while faults are injected on a schedule:
the ERP slow, then down, the DMS down, the CRM flapping, garbage from the payment provider,
and Redis killed. Each fault lasts one phase, then is lifted for half a phase; the table
gives per phase the error rate, the stale-served rate, latency and the recovery time.

Knobs (environment): CHAOS_PHASE_S (default 20), CHAOS_CONCURRENCY (default 4),
CHAOS_LATENCY_MS (base upstream latency, default 20), CHAOS_PORT (default 18200).
Cache TTLs are 3 s, so that faults reach the upstreams within a phase; every query is
executed (`Cache-Control: no-store`), not answered from the response cache.
"""

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench.chaos.report import Phase, Sample, table
from bench.load import Answer, drive
from bench.processes import process, sandbox_env
from bench.redis_server import RedisServer, own_redis_server
from bench.scenarios import DASHBOARD, EXECUTED
from portalgraph.demo import demo_token
from resolvers.loaders import ENTITIES

SYSTEM_OFFSETS = {"erp": 2, "crm": 3, "dms": 4, "payments": 5}
TTL_S = 3


def faults(port: int, redis: RedisServer) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    """The schedule: each fault's name and how to inject it; lifting clears every fault."""

    def upstream(system: str, **spec: Any) -> Callable[[], Awaitable[None]]:
        async def inject() -> None:
            async with httpx.AsyncClient() as http:
                url = f"http://127.0.0.1:{port + SYSTEM_OFFSETS[system]}/_faults"
                (await http.post(url, json=spec)).raise_for_status()

        return inject

    async def kill_redis() -> None:
        await asyncio.to_thread(redis.kill)

    return [
        ("erp slow (p50 0.6 s)", upstream("erp", latency={"p50_ms": 600, "p99_ms": 3000})),
        ("erp down", upstream("erp", mode="down")),
        ("dms down", upstream("dms", mode="down")),
        ("crm flapping (2/4 s)", upstream("crm", mode="down", flap={"period_s": 4, "down_s": 2})),
        ("payments garbage", upstream("payments", mode="garbage", garbage="wrong_types")),
        ("redis killed", kill_redis),
    ]


async def lift(port: int, redis: RedisServer) -> None:
    async with httpx.AsyncClient() as http:
        for offset in SYSTEM_OFFSETS.values():
            await http.post(f"http://127.0.0.1:{port + offset}/_faults", json={"mode": "ok"})
    if not redis.running:
        await asyncio.to_thread(redis.start)


async def run(url: str, access_token: str, port: int, redis: RedisServer) -> str:
    phase_s = float(os.environ.get("CHAOS_PHASE_S", "20"))
    concurrency = int(os.environ.get("CHAOS_CONCURRENCY", "4"))
    schedule = faults(port, redis)
    samples: list[Sample] = []
    phases: list[Phase] = []

    def observe(sent: float, latency_ms: float, response: Answer) -> None:
        body = response.json() if response.status_code == 200 else {"errors": [{}]}
        sources = body.get("extensions", {}).get("sources", {}).values()
        stale = any(source["status"] == "stale" for source in sources)
        samples.append(Sample(sent, latency_ms, "errors" in body, stale))

    async def inject() -> None:
        start = time.monotonic()
        await asyncio.sleep(phase_s)
        phases.append(Phase("baseline", start, time.monotonic()))
        for name, fault in schedule:
            start = time.monotonic()
            await fault()
            await asyncio.sleep(phase_s)
            await lift(port, redis)
            phases.append(Phase(name, start, time.monotonic()))
            await asyncio.sleep(phase_s / 2)

    total_s = phase_s + len(schedule) * phase_s * 1.5 + 1
    await asyncio.gather(
        drive(url, access_token, DASHBOARD, concurrency, total_s, observe, EXECUTED), inject()
    )
    return table(samples, phases, time.monotonic())


def main() -> None:
    port = int(os.environ.get("CHAOS_PORT", "18200"))
    latency = os.environ.get("CHAOS_LATENCY_MS", "20")
    gateway_port = port + 50
    ttls = ",".join(f"{name}={TTL_S}" for name in ENTITIES)
    print(
        f"chaos: dashboard load against the sandbox ({latency} ms upstream latency), "
        f"cache TTL {TTL_S} s, faults injected one phase at a time\n"
    )
    sandbox_args = ["sandbox", "--port", str(port), "--latency-ms", latency]
    with (
        own_redis_server() as redis,
        process(sandbox_args, {}, f"http://127.0.0.1:{port + 3}/_stats"),
    ):
        env = {
            **sandbox_env(port),
            "PORTALGRAPH_REDIS_URL": redis.url,
            "PORTALGRAPH_CACHE_TTL_S": ttls,
            "PORTALGRAPH_UPSTREAM_TOTAL_TIMEOUT_S": "1.0",
            "PORTALGRAPH_REQUEST_DEADLINE_S": "3.0",
            "PORTALGRAPH_UPSTREAM_BREAKER_OPEN_S": "2.0",
        }
        serve = ["serve", "--host", "127.0.0.1", "--port", str(gateway_port)]
        with process(serve, env, f"http://127.0.0.1:{gateway_port}/readyz"):
            url = f"http://127.0.0.1:{gateway_port}"
            print(asyncio.run(run(url, demo_token(port), port, redis)), flush=True)


if __name__ == "__main__":
    main()
