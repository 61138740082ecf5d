"""`make soak` (`python -m bench.soak`): the gateway's memory over a long mixed run, and what
one subscription costs.

One gateway (Redis when `redis-server` is installed), the sandbox at 5 ms upstream latency, and
rounds of: the dashboard (warm; half of its clients answered from the response cache, half
executed every time) and the order detail (its entries expiring as they do in
production, TTLs of a few seconds), payment sessions, and a churn of `messageAdded`
subscriptions that each receive events and close. The gateway's resident memory is sampled
after every round; after the first fifth of the run (caches, pools and the collector's
generations filled) it must stay within 5 % of its level then.

Then the subscription bound: N idle subscriptions opened at once, the memory they add per
subscription, and the memory after they close.

Knobs (environment): SOAK_SECONDS (default 600), SOAK_ROUND_S (default 20), SOAK_SUBSCRIBERS
(default 50 per round), SOAK_IDLE_SUBSCRIBERS (default 1000), SOAK_PORT (default 18500).
"""

import asyncio
import contextlib
import json
import os
import shutil
import time
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection

from bench.fanout import Subscriber, Tally, resident_kib, send_events
from bench.load import Body, drive, post, session_for
from bench.processes import process, sandbox_env
from bench.redis_server import own_redis_server
from bench.scenarios import DASHBOARD, EXECUTED, SCENARIOS, Variables
from portalgraph.demo import demo_token
from resolvers.loaders import ENTITIES
from sandbox.seed import MUSTER, build_seed, parse_now

SHORT_TTLS = ",".join(f"{name}=3" for name in ENTITIES)
"""Entries expire and refill all the time, as they do over a production day."""
FLAT_WITHIN = 0.05
PAYMENTS_PER_S = 0.1
"""Each payment session adds to the customer's payments, which every dashboard reads: a
steady trickle, not a growing data set that would look like growing memory."""
CLOSED_TICKETS = 30
SETTLE_S = 2.0


async def variables_for(name: str, gateway: str, token: str) -> Variables:
    scenario = SCENARIOS[name]
    async with session_for(gateway, token, 1) as session:

        async def ask(query: str, variables: Mapping[str, object] | None) -> Mapping[str, object]:
            answer = await post(session, {"query": query, "variables": variables or {}})
            data = answer.body.get("data")
            if answer.failed or not isinstance(data, dict):
                raise RuntimeError(f"{name}: preparing failed: {answer.body}")
            return data

        return await scenario.prepare(ask)


def body_of(name: str, variables: Variables) -> Body:
    query = SCENARIOS[name].query
    return lambda n: {"query": query, "variables": variables(n)}


async def payments(gateway: str, token: str, variables: Variables, seconds: float) -> int:
    """Payment sessions at a steady `PAYMENTS_PER_S`: each adds an intent to the customer's
    payments, which the dashboard reads, so their number grows slowly, as in production."""
    body = body_of("mutation", variables)
    count = int(seconds * PAYMENTS_PER_S)
    async with session_for(gateway, token, 1) as session:
        for n in range(count):
            await asyncio.sleep(1 / PAYMENTS_PER_S)
            answer = await post(session, body(n))
            if answer.failed:
                raise RuntimeError(f"a payment session failed during the soak: {answer.body}")
    return count


async def queries(gateway: str, port: int, seconds: float) -> int:
    """The round's HTTP load: answered queries."""
    anna, daniel = demo_token(port), demo_token(port, "daniel")
    detail = await variables_for("order-detail", gateway, anna)
    paying = await variables_for("mutation", gateway, daniel)
    answered, executed, details, paid = await asyncio.gather(
        drive(gateway, anna, DASHBOARD, 2, seconds),
        drive(gateway, anna, DASHBOARD, 2, seconds, None, EXECUTED),
        drive(gateway, anna, body_of("order-detail", detail), 2, seconds),
        payments(gateway, daniel, paying, seconds),
    )
    failed = answered.errors + executed.errors + details.errors
    if failed:
        raise RuntimeError(f"{failed} queries failed during the soak")
    return answered.requests + executed.requests + details.requests + paid


def closed_tickets() -> list[str]:
    """Closed tickets of Muster's: no dashboard shows them, and spreading the messages over
    them keeps every thread short, as in production (a round adds one message to each)."""
    seed = build_seed(parse_now(None))
    closed = [t.id for t in seed.tickets if t.customer == MUSTER and t.stage == "closed"]
    return closed[:CLOSED_TICKETS]


async def subscriptions(gateway: str, port: int, count: int, tickets: list[str]) -> int:
    """`count` subscribers of all of Muster's messages receive one on each of `tickets` and
    close; answers the deliveries."""
    token = demo_token(port)
    crm = f"http://127.0.0.1:{port + 3}"
    tally = Tally()
    clients = [Subscriber(tally) for _ in range(count)]
    ws_url = gateway.replace("http://", "ws://") + "/graphql"
    sockets: list[ClientConnection] = await asyncio.gather(
        *(client.open(ws_url, token, None) for client in clients)
    )
    listeners = [asyncio.create_task(c.listen(s)) for c, s in zip(clients, sockets, strict=True)]
    await asyncio.sleep(0.5)  # the gateway settles the subscriptions
    tally.expected = len(tickets) * count
    for ticket in tickets:
        await send_events(crm, ticket, rate=10, seconds=0.1)
    with contextlib.suppress(TimeoutError):  # the round reports what was delivered
        await asyncio.wait_for(tally.done.wait(), 30)
    for socket in sockets:
        await socket.close()
    for listener in listeners:
        listener.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    return tally.count


async def idle_subscriptions(gateway: str, port: int, count: int, pid: int) -> tuple[float, int]:
    """KiB per idle subscription, and the resident KiB once they closed again."""
    token = demo_token(port)
    ws_url = gateway.replace("http://", "ws://") + "/graphql"
    before = resident_kib(pid)
    clients = [Subscriber(Tally()) for _ in range(count)]
    sockets: list[ClientConnection] = []
    for start in range(0, count, 50):
        batch = clients[start : start + 50]
        sockets += await asyncio.gather(*(c.open(ws_url, token, None) for c in batch))
    await asyncio.sleep(SETTLE_S)
    per_subscription = (resident_kib(pid) - before) / count
    for socket in sockets:
        await socket.close()
    await asyncio.sleep(SETTLE_S)
    return per_subscription, resident_kib(pid)


def main() -> None:
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    round_s = float(os.environ.get("SOAK_ROUND_S", "20"))
    churn = int(os.environ.get("SOAK_SUBSCRIBERS", "50"))
    idle = int(os.environ.get("SOAK_IDLE_SUBSCRIBERS", "1000"))
    port = int(os.environ.get("SOAK_PORT", "18500"))
    out = Path(os.environ.get("SOAK_OUT", ".bench"))
    gateway = f"http://127.0.0.1:{port + 50}"
    samples: list[tuple[float, int, int]] = []
    with ExitStack() as stack:
        env = {
            **sandbox_env(port),
            "PORTALGRAPH_POLLING": "false",
            "PORTALGRAPH_CACHE_TTL_S": SHORT_TTLS,
            "PORTALGRAPH_RATE_LIMIT_PER_PRINCIPAL": str(10**9),
            "PORTALGRAPH_RATE_LIMIT_PER_ORGANIZATION": str(10**9),
        }
        if shutil.which("redis-server"):
            env["PORTALGRAPH_REDIS_URL"] = stack.enter_context(own_redis_server()).url
        sandbox = ["sandbox", "--port", str(port), "--webhook-url", f"{gateway}/webhooks"]
        stack.enter_context(process(sandbox, {}, f"http://127.0.0.1:{port + 3}/_stats"))
        for system in range(2, 6):
            httpx.post(f"http://127.0.0.1:{port + system}/_faults", json={"latency_ms": 5})
        serve = ["serve", "--host", "127.0.0.1", "--port", str(port + 50)]
        pid = stack.enter_context(process(serve, env, f"{gateway}/readyz")).pid
        print(f"soak: {seconds:.0f} s in rounds of {round_s:.0f} s, {churn} subscriptions each\n")
        print("| elapsed s | queries | deliveries | RSS MiB |\n|--:|--:|--:|--:|")
        began = time.monotonic()
        while time.monotonic() - began < seconds:
            answered, delivered = asyncio.run(one_round(gateway, port, round_s, churn))
            elapsed = time.monotonic() - began
            samples.append((elapsed, answered, resident_kib(pid)))
            print(f"| {elapsed:.0f} | {answered} | {delivered} | {samples[-1][2] / 1024:.1f} |",
                  flush=True)  # fmt: skip
        per_subscription, after_close = asyncio.run(idle_subscriptions(gateway, port, idle, pid))
    verdict = flatness(samples, seconds)
    print(f"\n{verdict}")
    print(
        f"{idle} idle subscriptions: {per_subscription:.1f} KiB each; "
        f"{after_close / 1024:.1f} MiB resident once they closed"
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "soak.json").write_text(
        json.dumps(
            {
                "samples": [{"elapsed_s": e, "queries": q, "rss_kib": r} for e, q, r in samples],
                "verdict": verdict,
                "kib_per_idle_subscription": per_subscription,
                "rss_kib_after_subscriptions_closed": after_close,
            },
            indent=2,
        )
    )


async def one_round(gateway: str, port: int, round_s: float, churn: int) -> tuple[int, int]:
    answered, delivered = await asyncio.gather(
        queries(gateway, port, round_s), subscriptions(gateway, port, churn, closed_tickets())
    )
    return answered, delivered


def flatness(samples: list[tuple[float, int, int]], seconds: float) -> str:
    settled = [rss for elapsed, _, rss in samples if elapsed >= seconds / 5]
    if len(settled) < 2:
        return "too short to judge (fewer than two samples after the first fifth)"
    base, peak, last = settled[0], max(settled), settled[-1]
    growth = (peak - base) / base
    met = growth <= FLAT_WITHIN
    return (
        f"memory {'flat' if met else 'NOT flat'}: {base / 1024:.1f} MiB after the first fifth, "
        f"peak {peak / 1024:.1f} MiB (+{growth:.1%}), last {last / 1024:.1f} MiB "
        f"(target: within {FLAT_WITHIN:.0%})"
    )


if __name__ == "__main__":
    main()
