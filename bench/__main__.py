"""`make bench`: the dashboard query against the sandbox with 20 ms upstream latency, at a
fixed concurrency, with the gateway's cache on and off; then the fan-out of subscription
events (`bench.fanout`). Prints one table per scenario.

Knobs (environment): BENCH_SCENARIOS (default "dashboard,fanout"), BENCH_CONCURRENCY
(default 32), BENCH_SECONDS (default 15), BENCH_LATENCY_MS (default 20), BENCH_PORT (default
18100); the fan-out's own are in `bench.fanout`.
"""

import asyncio
import os

import httpx

from bench import fanout
from bench.load import DASHBOARD, LoadResult, drive
from bench.processes import cpu_seconds, process, sandbox_env
from portalgraph.demo import demo_token
from resolvers.loaders import ENTITIES

NO_CACHE = ",".join(f"{name}=0" for name in ENTITIES)
UNLIMITED = {
    "PORTALGRAPH_RATE_LIMIT_PER_PRINCIPAL": str(10**9),
    "PORTALGRAPH_RATE_LIMIT_PER_ORGANIZATION": str(10**9),
    "PORTALGRAPH_UPSTREAM_BUDGET": ",".join(
        f"{system}={10**9}" for system in ("erp", "crm", "dms", "payments")
    ),
}
"""The benchmark measures throughput, not the rate limits that protect a real deployment."""
UPSTREAMS = ("erp", "crm", "dms", "payments")
WARMUP_S = 2.0
HEADER = """\
| scenario                   |   req/s |  p50 ms |  p99 ms | errors | CPU ms/q | upstream/q |
|----------------------------|--------:|--------:|--------:|-------:|---------:|-----------:|"""
"""CPU ms/q: the gateway process's own CPU time per query; upstream/q: sandbox requests."""


def upstream_requests(base_port: int, reset: bool = False) -> int:
    total = 0
    for offset, _ in enumerate(UPSTREAMS, start=2):
        base = f"http://127.0.0.1:{base_port + offset}"
        total += httpx.get(f"{base}/_stats").json()["requests"]
        if reset:
            httpx.post(f"{base}/_stats/reset")
    return total


def row(name: str, result: LoadResult, cpu_ms: float, upstream_per_request: float) -> str:
    return (
        f"| {name:<26} | {result.rps:>7.1f} | {result.percentile(0.5):>7.1f} | "
        f"{result.percentile(0.99):>7.1f} | {result.errors:>6} | {cpu_ms:>8.1f} | "
        f"{upstream_per_request:>10.2f} |"
    )


def main() -> None:
    scenarios = os.environ.get("BENCH_SCENARIOS", "dashboard,fanout").split(",")
    port = int(os.environ.get("BENCH_PORT", "18100"))
    if "dashboard" in scenarios:
        dashboard(port)
    if "fanout" in scenarios:
        fanout.run(port)


def dashboard(port: int) -> None:
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "32"))
    seconds = float(os.environ.get("BENCH_SECONDS", "15"))
    latency = int(os.environ.get("BENCH_LATENCY_MS", "20"))
    gateway_port = port + 50
    sandbox_args = ["sandbox", "--port", str(port), "--latency-ms", str(latency)]
    print(
        f"dashboard query, concurrency {concurrency}, {seconds:.0f} s per scenario, "
        f"upstream latency {latency} ms per request\n"
    )
    print(HEADER)
    with process(sandbox_args, {}, f"http://127.0.0.1:{port + 3}/_stats"):
        access_token = demo_token(port)
        for name, extra in (
            ("cache on (in-memory)", {}),
            ("cache off (every upstream)", {"PORTALGRAPH_CACHE_TTL_S": NO_CACHE}),
        ):
            env = {**sandbox_env(port), **UNLIMITED, **extra}
            serve = ["serve", "--host", "127.0.0.1", "--port", str(gateway_port)]
            with process(serve, env, f"http://127.0.0.1:{gateway_port}/readyz") as gateway:
                url = f"http://127.0.0.1:{gateway_port}"
                asyncio.run(drive(url, access_token, DASHBOARD, concurrency, WARMUP_S))
                upstream_requests(port, reset=True)
                cpu_before = cpu_seconds(gateway.pid)
                result = asyncio.run(drive(url, access_token, DASHBOARD, concurrency, seconds))
                cpu_ms = (cpu_seconds(gateway.pid) - cpu_before) * 1000 / max(1, result.requests)
                per_request = upstream_requests(port) / max(1, result.requests)
                print(row(name, result, cpu_ms, per_request), flush=True)


if __name__ == "__main__":
    main()
