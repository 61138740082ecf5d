"""`python -m bench.scale`: the dashboard query through nginx (the example deployment) over 1,
2 and 3 gateway replicas sharing a highly available Redis: answered from each replica's
response cache, executed from the warm entity cache (`Cache-Control: no-store`), and executed
with the cache off; then
three replicas under the same load while the Redis primary is killed (and restarted as a
replica once another was promoted): error rate and recovery time.

Knobs (environment): SCALE_TOPOLOGY (`sentinel` or `cluster`, default sentinel),
SCALE_CONCURRENCY (default 16), SCALE_SECONDS (default 10), SCALE_LATENCY_MS (default 20),
SCALE_PORT (default 18300).
"""

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from bench.__main__ import NO_CACHE, UNLIMITED
from bench.chaos.report import Sample, percentile, recovery_s
from bench.load import Answer, LoadResult, drive
from bench.nginx import load_balancer
from bench.processes import process, sandbox_env
from bench.scenarios import DASHBOARD, EXECUTED
from bench.topologies import LocalCluster, SentinelGroup, free_port, local_cluster, sentinel_group
from infra.events import stream_key
from portalgraph.demo import demo_token

WARMUP_S = 2.0
FAILOVER_DEADLINE_S = 30.0
HEADER = """\
| replicas | answered from   |   req/s |  p50 ms |  p99 ms | errors |
|---------:|-----------------|--------:|--------:|--------:|-------:|"""
MODES: tuple[tuple[str, dict[str, str], dict[str, str] | None], ...] = (
    ("response cache", {}, None),
    ("entity cache", {}, EXECUTED),
    ("upstreams", {"PORTALGRAPH_CACHE_TTL_S": NO_CACHE}, EXECUTED),
)
"""How the rows' queries are answered: the mode's name, gateway settings, request headers."""


@contextmanager
def replicas(count: int, env: dict[str, str]) -> Iterator[str]:
    """`count` gateways (`portalgraph serve`) behind nginx; yields nginx's URL."""
    with ExitStack() as stack:
        addresses = []
        for _ in range(count):
            port = free_port()
            serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
            stack.enter_context(process(serve, env, f"http://127.0.0.1:{port}/readyz"))
            addresses.append(f"127.0.0.1:{port}")
        yield stack.enter_context(load_balancer(addresses))


def row(count: int, cache: str, result: LoadResult) -> str:
    return (
        f"| {count:>8} | {cache:<15} | {result.rps:>7.1f} | {result.percentile(0.5):>7.1f} | "
        f"{result.percentile(0.99):>7.1f} | {result.errors:>6} |"
    )


def scaling(env: dict[str, str], token: str, concurrency: int, seconds: float) -> None:
    print(HEADER)
    for cache, extra, headers in MODES:
        for count in (1, 2, 3):
            with replicas(count, {**env, **extra}) as url:
                asyncio.run(drive(url, token, DASHBOARD, concurrency, WARMUP_S, None, headers))
                result = asyncio.run(
                    drive(url, token, DASHBOARD, concurrency, seconds, None, headers)
                )
                print(row(count, cache, result), flush=True)


def failover(
    topology: LocalCluster | SentinelGroup,
    env: dict[str, str],
    token: str,
    concurrency: int,
    seconds: float,
) -> None:
    """Three replicas, warm cache, every query executed (the response cache would answer
    without Redis); the primary (of the event inbox, on a cluster) is killed a third into the
    run and restarted once another is promoted."""
    samples: list[Sample] = []

    def observe(sent: float, latency_ms: float, response: Answer) -> None:
        failed = response.failed
        samples.append(Sample(sent, latency_ms, failed, False))

    async def kill_and_restore() -> tuple[float, float, float]:
        await asyncio.sleep(seconds / 3)
        if isinstance(topology, LocalCluster):
            killed = topology.primary_of(stream_key(env["PORTALGRAPH_CACHE_PREFIX"], "inbox"))
        else:
            killed = topology.primary()
        await asyncio.to_thread(killed.kill)
        killed_at = time.monotonic()
        await asyncio.to_thread(topology.wait_failover, killed, FAILOVER_DEADLINE_S)
        promoted_at = time.monotonic()
        await asyncio.to_thread(killed.start)
        await asyncio.to_thread(topology.wait_healthy, FAILOVER_DEADLINE_S)
        return killed_at, promoted_at, time.monotonic()

    async def run(url: str) -> tuple[LoadResult, tuple[float, float, float]]:
        await drive(url, token, DASHBOARD, concurrency, WARMUP_S, None, EXECUTED)
        result, times = await asyncio.gather(
            drive(url, token, DASHBOARD, concurrency, seconds, observe, EXECUTED),
            kill_and_restore(),
        )
        return result, times

    with replicas(3, env) as url:
        result, (killed_at, promoted_at, healthy_at) = asyncio.run(run(url))
    end = max(s.sent for s in samples)
    before = [s for s in samples if s.sent < killed_at]
    outage = [s for s in samples if killed_at <= s.sent < promoted_at]
    after = [s for s in samples if s.sent >= promoted_at]
    recovered = recovery_s(samples, killed_at, end + 1)
    print(
        f"\nfailover, 3 replicas, warm cache: primary killed after {seconds / 3:.0f} s; "
        f"promoted after {promoted_at - killed_at:.1f} s, healthy (old primary back as a "
        f"replica) after {healthy_at - killed_at:.1f} s\n"
    )
    print("| phase            | answers | errors | p99 ms |   req/s |")
    print("|------------------|--------:|-------:|-------:|--------:|")
    for name, part, span in (
        ("before the kill", before, killed_at - (samples[0].sent if samples else killed_at)),
        ("until promotion", outage, promoted_at - killed_at),
        ("after promotion", after, end - promoted_at),
    ):
        errors = sum(s.error for s in part) / len(part) if part else 0.0
        p99 = percentile([s.latency_ms for s in part], 0.99)
        print(
            f"| {name:<16} | {len(part):>7} | {errors:>6.1%} | {p99:>6.0f} "
            f"| {len(part) / max(span, 1e-9):>7.1f} |"
        )
    shown = "-" if recovered is None else f"{recovered:.1f} s"
    print(f"\nerrors overall: {result.errors} of {result.requests}; recovery (clean for 2 s "
          f"from the kill on): {shown}")  # fmt: skip


def main() -> None:
    kind = os.environ.get("SCALE_TOPOLOGY", "sentinel")
    concurrency = int(os.environ.get("SCALE_CONCURRENCY", "16"))
    seconds = float(os.environ.get("SCALE_SECONDS", "10"))
    latency = os.environ.get("SCALE_LATENCY_MS", "20")
    port = int(os.environ.get("SCALE_PORT", "18300"))
    print(
        f"dashboard through nginx on a Redis {kind}, concurrency {concurrency}, {seconds:.0f} s "
        f"per row, upstream latency {latency} ms, {os.cpu_count()} cores for everything\n"
    )
    sandbox_args = ["sandbox", "--port", str(port), "--latency-ms", latency]
    with (
        local_cluster() if kind == "cluster" else sentinel_group() as topology,
        process(sandbox_args, {}, f"http://127.0.0.1:{port + 3}/_stats"),
    ):
        env = {
            **sandbox_env(port),
            **UNLIMITED,
            "PORTALGRAPH_REDIS_URL": topology.url,
            "PORTALGRAPH_CACHE_PREFIX": f"scale-{os.getpid()}",
            "PORTALGRAPH_POLLING": "false",
        }
        token = demo_token(port)
        scaling(env, token, concurrency, seconds)
        failover(topology, env, token, concurrency, seconds * 2)


if __name__ == "__main__":
    main()
