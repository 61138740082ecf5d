"""`python -m bench.inprocess SCENARIO [--queries N]`: one scenario's query N times against the
gateway app in this process (`httpx.ASGITransport`, no HTTP server; the collector tuned as in
production), the sandbox and a Redis in processes of their own; prints this thread's CPU time
per query.

For measuring a change on a shared machine, where the end-to-end CPU time of `python -m bench`
moves by ±30 % with the load: under callgrind,

    valgrind --tool=callgrind --instr-atstart=no python -m bench.inprocess two-level-rest

switches instrumentation on for the measured queries only (after the warm-up), and
callgrind's instruction count (`callgrind_annotate`, or the "Collected" line) divided by N is
the cost of a query, the client's own work included, independent of the machine's load.
"""

import argparse
import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

import httpx

from bench.__main__ import NO_CACHE, UNLIMITED, set_latency
from bench.processes import process, sandbox_env
from bench.redis_server import own_redis_server
from bench.scenarios import SCENARIOS, Scenario
from portalgraph import collector
from portalgraph.app import create_app
from portalgraph.demo import demo_token
from portalgraph.settings import Settings

WARM_UP = 30


def callgrind(on: bool) -> None:
    """Switch callgrind's instrumentation of this process (nothing when not under it)."""
    control = shutil.which("callgrind_control")
    if control is not None and "valgrind" in os.environ.get("LD_PRELOAD", ""):
        subprocess.run(  # noqa: S603 - a fixed binary with fixed arguments
            [control, "-i", "on" if on else "off", str(os.getpid())],
            check=True,
            stdout=subprocess.DEVNULL,
        )


async def measure(scenario: Scenario, token: str, queries: int) -> float:
    """CPU ms of this thread per query, over `queries` after the warm-up."""
    app = create_app(Settings.from_environment())
    collector.tune()  # as `portalgraph.asgi` does
    headers = {"Authorization": f"Bearer {token}", **scenario.headers}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway", headers=headers
        ) as client,
    ):

        async def ask(query: str, variables: Mapping[str, object] | None) -> Mapping[str, Any]:
            answer = await client.post("/graphql", json={"query": query, "variables": variables})
            body: Mapping[str, Any] = answer.json()
            if answer.status_code != 200 or "errors" in body:
                raise RuntimeError(f"{scenario.name}: {answer.status_code} {body}")
            data: Mapping[str, Any] = body["data"]
            return data

        variables = await scenario.prepare(ask)
        for n in range(WARM_UP):
            await ask(scenario.query, variables(n))
        callgrind(True)
        began = time.thread_time()
        for n in range(queries):
            await ask(scenario.query, variables(WARM_UP + n))
        spent = time.thread_time() - began
        callgrind(False)
    return spent * 1000 / queries


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 18700)))
    args = parser.parse_args()
    scenario = SCENARIOS[args.scenario]
    with ExitStack() as stack:
        env = {**sandbox_env(args.port), **UNLIMITED, "PORTALGRAPH_AUDIT_SINK": os.devnull}
        if shutil.which("redis-server"):
            redis = stack.enter_context(own_redis_server())
            env |= {"PORTALGRAPH_REDIS_URL": redis.url, "PORTALGRAPH_CACHE_PREFIX": "inprocess"}
        if not scenario.cached:
            env["PORTALGRAPH_CACHE_TTL_S"] = NO_CACHE
        sandbox = ["sandbox", "--port", str(args.port)]
        stack.enter_context(process(sandbox, {}, f"http://127.0.0.1:{args.port + 3}/_stats"))
        os.environ.update(env)
        set_latency(args.port, 0)
        token = demo_token(args.port, scenario.user)
        cpu_ms = asyncio.run(measure(scenario, token, args.queries))
    print(f"{scenario.name}: {cpu_ms:.2f} ms CPU per query (this thread, {args.queries} queries)")


if __name__ == "__main__":
    main()
