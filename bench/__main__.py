"""`make bench`: every scenario of `bench.scenarios` against the sandbox, the gateway as it
ships ("optimized") and, with `--compare`, a naive configuration (no batching, no cache,
httpx's default transport) right after it, scenario by scenario; then the fan-out of
subscription events (`bench.fanout`). Prints one Markdown table and writes it with the JSON
of every row to `--out`.

Per row: requests/s, latency p50/p90/p99, errors, the gateway process's own CPU time per
query (`/proc`), upstream requests per query (the sandbox's counters, less the critical path
client's own), the cache hit ratio (the gateway's `/metrics`), and the upstream critical path
measured in the same run (`bench.critical_path`, a client replaying the query's upstream
calls alongside the load).

The processes: the sandbox (one process, all systems), one gateway process per configuration
and cache mode, a Redis of the benchmark's own when `redis-server` is installed (else the
gateways' in-memory cache), and this process as the load driver (`bench.load`). All are
stopped at the end, whatever happens. With `--profile`, py-spy records the stacks of each
gateway per scenario and configuration (`<out>/<scenario>-<configuration>.folded`, summed up
by `python -m bench.stacks`). `--baseline DIR` runs the gateway of another checkout (the
revision before, say) as a third configuration; `--workers N` serves each gateway with N
worker processes (their CPU summed).

Knobs (environment, or the options): BENCH_SCENARIOS (default: all, then "fanout"),
BENCH_SECONDS (default 10 per row), BENCH_PORT (default 18100); the fan-out's own are in
`bench.fanout`.
"""

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import fanout
from bench.critical_path import Plan, describe, journaled, levels, replay_until
from bench.load import Answer, Body, LoadResult, drive, post, session_for
from bench.processes import cpu_seconds, process, sandbox_env
from bench.redis_server import own_redis_server
from bench.report import Row, markdown, targets, write
from bench.scenarios import SCENARIOS, Scenario, Variables
from portalgraph.demo import demo_token
from resolvers.loaders import ENTITIES

NO_CACHE = ",".join(f"{name}=0" for name in ENTITIES)
UNLIMITED = {
    "PORTALGRAPH_POLLING": "false",  # the ERP poller's requests would count as the queries'
    "PORTALGRAPH_RATE_LIMIT_PER_PRINCIPAL": str(10**9),
    "PORTALGRAPH_RATE_LIMIT_PER_ORGANIZATION": str(10**9),
    "PORTALGRAPH_UPSTREAM_BUDGET": ",".join(
        f"{system}={10**9}" for system in ("erp", "crm", "dms", "payments")
    ),
}
"""The benchmark measures throughput, not the rate limits that protect a real deployment."""


@dataclass(frozen=True)
class Configuration:
    name: str
    env: Mapping[str, str]
    source: Path | None = None
    """Another checkout to run the gateway from (`--baseline`: the revision before)."""

    @property
    def has_cache(self) -> bool:
        return "PORTALGRAPH_CACHE_TTL_S" not in self.env


OPTIMIZED = Configuration("optimized", {})
NAIVE = Configuration(
    "naive",
    {
        "PORTALGRAPH_CACHE_TTL_S": NO_CACHE,
        "PORTALGRAPH_LOADER_BATCHING": "false",
        "PORTALGRAPH_UPSTREAM_TRANSPORT": "httpx",
    },
)
UPSTREAMS = ("erp", "crm", "dms", "payments")
WARMUP_S = 2.0
PROFILE_RATE = 200


def system_urls(port: int) -> dict[str, str]:
    return {system: f"http://127.0.0.1:{port + n}" for n, system in enumerate(UPSTREAMS, 2)}


def upstream_requests(port: int) -> int:
    return sum(httpx.get(f"{url}/_stats").json()["requests"] for url in system_urls(port).values())


def set_latency(port: int, latency_ms: int) -> None:
    for url in system_urls(port).values():
        httpx.post(f"{url}/_faults", json={"mode": "ok", "latency_ms": latency_ms})


def cache_lookups(gateway: str) -> tuple[float, float]:
    """Hits and misses so far, over every entity type (the gateway's `/metrics`)."""
    hits = misses = 0.0
    for line in httpx.get(f"{gateway}/metrics").text.splitlines():
        if line.startswith("portalgraph_cache_lookups_total{"):
            value = float(line.rsplit(" ", 1)[1])
            if 'result="hit"' in line:
                hits += value
            elif 'result="miss"' in line:
                misses += value
    return hits, misses


class Gateway:
    """A running gateway process and its URL."""

    def __init__(self, url: str, pid: int) -> None:
        self.url = url
        self.pid = pid


@contextlib.contextmanager
def gateways(
    port: int, configurations: list[Configuration], redis_url: str | None, workers: int
) -> Iterator[dict[tuple[str, bool], Gateway]]:
    """One gateway per configuration and cache mode (a configuration without a cache serves
    both modes)."""
    with ExitStack() as stack:
        running: dict[tuple[str, bool], Gateway] = {}
        next_port = port + 50
        for configuration in configurations:
            name = configuration.name
            for cached in (True, False) if configuration.has_cache else (False,):
                env = {**sandbox_env(port), **UNLIMITED, **configuration.env}
                if not cached:
                    env["PORTALGRAPH_CACHE_TTL_S"] = NO_CACHE
                if redis_url is not None:
                    env |= {"PORTALGRAPH_REDIS_URL": redis_url,
                            "PORTALGRAPH_CACHE_PREFIX": f"bench-{name}-{cached}"}  # fmt: skip
                url = f"http://127.0.0.1:{next_port}"
                serve = ["serve", "--host", "127.0.0.1", "--port", str(next_port),
                         "--workers", str(workers)]  # fmt: skip
                ready = f"{url}/readyz"
                child = stack.enter_context(process(serve, env, ready, configuration.source))
                running[(name, cached)] = Gateway(url, child.pid)
                next_port += 1
            if not configuration.has_cache:
                running[(name, True)] = running[(name, False)]
        yield running


async def prepare(scenario: Scenario, gateway: str, token: str) -> Variables:
    async with session_for(gateway, token, 1) as session:

        async def ask(query: str, variables: Mapping[str, object] | None) -> Mapping[str, Any]:
            answer = await post(session, {"query": query, "variables": variables or {}})
            if answer.failed:
                raise RuntimeError(f"{scenario.name}: preparing failed: {answer.body}")
            data: Mapping[str, Any] = answer.body["data"]
            return data

        return await scenario.prepare(ask)


def reset_stats(port: int) -> None:
    for url in system_urls(port).values():
        httpx.post(f"{url}/_stats/reset").raise_for_status()


def plan_of(scenario: Scenario, gateway: str, token: str, body: Body, port: int) -> Plan:
    """The upstream calls of one query, from a quiet sandbox's journal, in levels."""
    reset_stats(port)

    async def once() -> Answer:
        async with session_for(gateway, token, 1, scenario.headers) as session:
            return await post(session, body(0))

    answer = asyncio.run(once())
    if answer.failed:
        raise RuntimeError(f"{scenario.name}: the query failed: {answer.body}")
    return levels(journaled(system_urls(port)))


def measure(
    scenario: Scenario,
    configuration: str,
    gateway: Gateway,
    token: str,
    port: int,
    seconds: float,
    profile: Path | None,
) -> Row:
    set_latency(port, scenario.latency_ms)
    variables = asyncio.run(prepare(scenario, gateway.url, token))

    def body(n: int) -> Mapping[str, object]:
        return {"query": scenario.query, "variables": variables(n)}

    headers = scenario.headers
    asyncio.run(drive(gateway.url, token, body, scenario.concurrency, WARMUP_S, None, headers))
    plan = plan_of(scenario, gateway.url, token, body, port)
    reset_stats(port)
    hits_before, misses_before = cache_lookups(gateway.url)
    cpu_before = cpu_seconds(gateway.pid)
    with profiling(gateway.pid, seconds, profile):
        result, critical = asyncio.run(run(gateway.url, token, body, scenario, seconds, plan))
    cpu_ms = (cpu_seconds(gateway.pid) - cpu_before) * 1000 / max(1, result.requests)
    hits_after, misses_after = cache_lookups(gateway.url)
    replayed = len(critical) * sum(len(level) for level in plan)
    hits, misses = hits_after - hits_before, misses_after - misses_before
    return Row(
        scenario=scenario.name,
        configuration=configuration,
        concurrency=scenario.concurrency,
        latency_ms=scenario.latency_ms,
        requests=result.requests,
        errors=result.errors,
        rps=result.rps,
        p50_ms=result.percentile(0.5),
        p90_ms=result.percentile(0.9),
        p99_ms=result.percentile(0.99),
        cpu_ms=cpu_ms,
        upstream_per_query=(upstream_requests(port) - replayed) / max(1, result.requests),
        minimum_upstream=scenario.upstream_per_query,
        cache_hit_ratio=hits / (hits + misses) if hits + misses else None,
        critical_path_ms=sorted(critical)[len(critical) // 2] if critical else 0.0,
        critical_path=describe(plan),
    )


async def run(
    url: str, token: str, body: Body, scenario: Scenario, seconds: float, plan: Plan
) -> tuple[LoadResult, list[float]]:
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + seconds
    load, critical = await asyncio.gather(
        drive(url, token, body, scenario.concurrency, seconds, None, scenario.headers),
        replay_until(plan, stop_at),
    )
    return load, critical


@contextlib.contextmanager
def profiling(pid: int, seconds: float, out: Path | None) -> Iterator[None]:
    """py-spy's flame graph of `pid` over the next `seconds`, written to `out` (if given)."""
    if out is None:
        yield
        return
    spy = shutil.which(
        "py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    )
    if spy is None:
        raise RuntimeError("--profile needs py-spy (pip install py-spy)")
    recorder = subprocess.Popen(  # noqa: S603 - a fixed binary with fixed arguments
        [spy, "record", "--pid", str(pid), "--rate", str(PROFILE_RATE), "--nonblocking",
         "--duration", str(int(seconds)), "--output", str(out), "--format", "raw"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield
    finally:
        recorder.wait(timeout=seconds + 30)


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--compare", action="store_true", help="the naive configuration too")
    parser.add_argument(
        "--scenarios",
        default=os.environ.get("BENCH_SCENARIOS", ",".join([*SCENARIOS, "fanout"])),
        help="comma separated: " + ", ".join([*SCENARIOS, "fanout"]),
    )
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 10)))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 18100)))
    parser.add_argument("--out", type=Path, default=Path(".bench"))
    parser.add_argument(
        "--workers", type=int, default=1, help="`portalgraph serve --workers N` (CPU summed)"
    )
    parser.add_argument("--profile", action="store_true", help="py-spy stacks per scenario")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of another revision: its gateway runs as the 'baseline' configuration",
    )
    return parser.parse_args()


def main() -> None:
    args = options()
    chosen = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(chosen) - {*SCENARIOS, "fanout"}
    if unknown:
        raise SystemExit(f"unknown scenarios {sorted(unknown)}; known: {[*SCENARIOS, 'fanout']}")
    configurations = [OPTIMIZED, NAIVE] if args.compare else [OPTIMIZED]
    if args.baseline is not None:
        configurations.insert(0, Configuration("baseline", {}, args.baseline.resolve()))
    args.out.mkdir(parents=True, exist_ok=True)
    scenarios = [SCENARIOS[name] for name in chosen if name in SCENARIOS]
    rows: list[Row] = []
    if scenarios:
        names = [configuration.name for configuration in configurations]
        print(f"{len(scenarios)} scenarios × {names}, {args.seconds:.0f} s each\n")
        rows = http_scenarios(scenarios, configurations, args)
        table = markdown(rows)
        print(table, "\n", targets(rows), sep="\n", flush=True)
        write(args.out, rows)
    if "fanout" in chosen:
        fanout.run(args.port)


def http_scenarios(
    scenarios: list[Scenario], configurations: list[Configuration], args: argparse.Namespace
) -> list[Row]:
    port: int = args.port
    rows: list[Row] = []
    with ExitStack() as stack:
        redis_url = None
        if shutil.which("redis-server"):
            redis_url = stack.enter_context(own_redis_server()).url
        sandbox = ["sandbox", "--port", str(port)]
        stack.enter_context(process(sandbox, {}, f"http://127.0.0.1:{port + 3}/_stats"))
        running = stack.enter_context(gateways(port, configurations, redis_url, args.workers))
        for scenario in scenarios:
            for configuration in configurations:
                gateway = running[(configuration.name, scenario.cached)]
                profile = None
                if args.profile:
                    profile = args.out / f"{scenario.name}-{configuration.name}.folded"
                row = measure(
                    scenario,
                    configuration.name,
                    gateway,
                    demo_token(port, scenario.user),  # tokens live 5 minutes
                    port,
                    args.seconds,
                    profile,
                )
                print(markdown([row], header=not rows), flush=True)
                rows.append(row)
    return rows


if __name__ == "__main__":
    main()
