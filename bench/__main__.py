"""`make bench`: the dashboard query against the sandbox with 20 ms upstream latency, at a
fixed concurrency, with the gateway's cache on and off; then the fan-out of subscription
events (`bench.fanout`). Prints one table per scenario.

Knobs (environment): BENCH_SCENARIOS (default "dashboard,fanout"), BENCH_CONCURRENCY
(default 32), BENCH_SECONDS (default 15), BENCH_LATENCY_MS (default 20), BENCH_PORT (default
18100); the fan-out's own are in `bench.fanout`.
"""

import asyncio
import os
from pathlib import Path

import httpx

from bench import fanout
from bench.load import LoadResult, drive
from bench.processes import demo_token, process, sandbox_env
from resolvers.loaders import ENTITIES

DASHBOARD = (Path(__file__).parent / "queries" / "dashboard.graphql").read_text()
NO_CACHE = ",".join(f"{name}=0.001" for name in ENTITIES)
UPSTREAMS = ("erp", "crm", "dms", "payments")
WARMUP_S = 2.0


def upstream_requests(base_port: int, reset: bool = False) -> int:
    total = 0
    for offset, _ in enumerate(UPSTREAMS, start=2):
        base = f"http://127.0.0.1:{base_port + offset}"
        total += httpx.get(f"{base}/_stats").json()["requests"]
        if reset:
            httpx.post(f"{base}/_stats/reset")
    return total


def row(name: str, result: LoadResult, upstream_per_request: float) -> str:
    return (
        f"| {name:<24} | {result.rps:>8.1f} | {result.percentile(0.5):>8.1f} | "
        f"{result.percentile(0.99):>8.1f} | {result.errors:>6} | {upstream_per_request:>9.2f} |"
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
    print("| scenario                 |    req/s |  p50 ms |  p99 ms | errors | upstream/q |")
    print("|--------------------------|---------:|--------:|--------:|-------:|-----------:|")
    with process(sandbox_args, {}, f"http://127.0.0.1:{port + 3}/_stats"):
        access_token = demo_token(port)
        for name, extra in (
            ("cache on (in-memory)", {}),
            ("cache off (every upstream)", {"PORTALGRAPH_CACHE_TTL_S": NO_CACHE}),
        ):
            env = {**sandbox_env(port), **extra}
            serve = ["serve", "--host", "127.0.0.1", "--port", str(gateway_port)]
            with process(serve, env, f"http://127.0.0.1:{gateway_port}/readyz"):
                url = f"http://127.0.0.1:{gateway_port}"
                asyncio.run(drive(url, access_token, DASHBOARD, concurrency, WARMUP_S))
                upstream_requests(port, reset=True)
                result = asyncio.run(drive(url, access_token, DASHBOARD, concurrency, seconds))
                per_request = upstream_requests(port) / max(1, result.requests)
                print(row(name, result, per_request), flush=True)


if __name__ == "__main__":
    main()
