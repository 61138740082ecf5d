"""Fan-out: N subscribers of `messageAdded` on one gateway replica (graphql-transport-ws),
events at a fixed rate (the sandbox CRM records a message and sends its signed webhook), and
per delivered event the latency from the gateway's receipt of the webhook (`receivedAt` in
the payload's extensions) to the client; the gateway's CPU time per event while the events are
sent and delivered (`/proc`); plus the gateway's resident memory per subscriber.

Every subscriber is the same user: the gateway's per-principal and per-organization rate
limits (600 and 3,000 operations a minute) would refuse most of 1,000 subscriptions, so they are
raised for this benchmark (`refused` counts the subscriptions answered with an error anyway).

Knobs (environment): BENCH_FANOUT_SUBSCRIBERS (default "10,100,1000"), BENCH_FANOUT_RATE
(events per second, default 10), BENCH_FANOUT_SECONDS (default 10), BENCH_REDIS_URL (default:
the local Redis if it answers, else the gateway's in-memory stream), BENCH_PORT.
"""

import asyncio
import contextlib
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from redis import Redis
from redis.exceptions import RedisError
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.load import LoadResult
from bench.processes import cpu_seconds, process, sandbox_env
from portalgraph.demo import demo_token
from sandbox.seed import MUSTER, build_seed, parse_now
from schema.common import global_id

QUERY = "subscription($subject: ID) { messageAdded(subjectId: $subject) { body } }"
DRAIN_S = 30.0
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
UNLIMITED = {
    "PORTALGRAPH_RATE_LIMIT_PER_PRINCIPAL": "1000000",
    "PORTALGRAPH_RATE_LIMIT_PER_ORGANIZATION": "1000000",
}


def resident_kib(pid: int) -> int:
    """The process's resident set (Linux `/proc`)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def redis_url() -> str | None:
    configured = os.environ.get("BENCH_REDIS_URL")
    if configured:
        return configured
    client = Redis.from_url(LOCAL_REDIS, socket_connect_timeout=0.5)
    try:
        return LOCAL_REDIS if client.ping() else None
    except RedisError:
        return None
    finally:
        client.close()


class Tally:
    """Deliveries across all subscribers; `done` is set once `expected` arrived."""

    def __init__(self) -> None:
        self.count = 0
        self.refused = 0
        self.expected = -1
        self.done = asyncio.Event()

    def add(self) -> None:
        self.count += 1
        if self.count == self.expected:
            self.done.set()


class Subscriber:
    def __init__(self, tally: Tally) -> None:
        self.latencies_ms: list[float] = []
        self.tally = tally

    async def open(self, ws_url: str, token: str, subject: str | None) -> ClientConnection:
        """Subscribed to the messages on `subject` (None: on every case the user sees)."""
        socket = await connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")])
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await socket.send(json.dumps(init))
        await socket.recv()
        payload = {"query": QUERY, "variables": {"subject": subject}}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        return socket

    async def listen(self, socket: ClientConnection) -> None:
        async for raw in socket:
            message = json.loads(raw)
            if message.get("type") == "next":
                received = datetime.fromisoformat(message["payload"]["extensions"]["receivedAt"])
                self.latencies_ms.append((time.time() - received.timestamp()) * 1000)
                self.tally.add()
            elif message.get("type") == "error":
                self.tally.refused += 1


async def send_events(crm_url: str, ticket: str, rate: float, seconds: float) -> int:
    """Messages at a fixed rate (each call returns once the gateway acknowledged its
    webhook); answers how many were sent."""
    count = int(rate * seconds)
    start = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as http:
        for index in range(count):
            await asyncio.sleep(max(0.0, start + index / rate - time.monotonic()))
            body = {"object": "message", "ticket_id": ticket, "body": f"event {index}"}
            (await http.post(f"{crm_url}/_advance", json=body)).raise_for_status()
    return count


async def round_of(
    subscribers: int,
    gateway: str,
    crm_url: str,
    token: str,
    ticket: str,
    pid: int,
    rate: float,
    seconds: float,
) -> "Round":
    """One measurement."""
    baseline = resident_kib(pid)
    ws_url = gateway.replace("http://", "ws://") + "/graphql"
    subject = global_id("Ticket", "crm", ticket)
    tally = Tally()
    clients = [Subscriber(tally) for _ in range(subscribers)]
    sockets: list[ClientConnection] = []
    for start in range(0, subscribers, 50):
        batch = clients[start : start + 50]
        sockets += await asyncio.gather(*(c.open(ws_url, token, subject) for c in batch))
    listeners = [asyncio.create_task(c.listen(s)) for c, s in zip(clients, sockets, strict=True)]
    await asyncio.sleep(1.0)  # let the gateway settle the subscriptions before measuring
    per_subscriber = (resident_kib(pid) - baseline) / subscribers
    tally.expected = int(rate * seconds) * subscribers
    cpu_before = cpu_seconds(pid)
    sent = await send_events(crm_url, ticket, rate, seconds)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(tally.done.wait(), DRAIN_S)
    cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / max(1, sent)
    for socket in sockets:
        await socket.close()
    for listener in listeners:
        listener.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    latencies = [ms for c in clients for ms in c.latencies_ms]
    return Round(
        LoadResult(len(latencies), tally.refused, seconds, latencies),
        sent * subscribers,
        per_subscriber,
        cpu_ms,
    )


@dataclass(frozen=True)
class Round:
    result: LoadResult
    """Deliveries and their latencies; `errors` are the subscriptions refused."""
    expected: int
    kib_per_subscriber: float
    cpu_ms_per_event: float


def run(port: int) -> None:
    sizes = [int(n) for n in os.environ.get("BENCH_FANOUT_SUBSCRIBERS", "10,100,1000").split(",")]
    rate = float(os.environ.get("BENCH_FANOUT_RATE", "10"))
    seconds = float(os.environ.get("BENCH_FANOUT_SECONDS", "10"))
    redis = redis_url()
    prefix = f"bench-fanout-{os.getpid()}"
    gateway_port = port + 50
    gateway = f"http://127.0.0.1:{gateway_port}"
    seed = build_seed(parse_now(None))
    ticket = next(t.id for t in seed.tickets if t.customer == MUSTER and t.stage == "in_progress")
    print(
        f"\nfan-out: messageAdded over graphql-transport-ws, {rate:.0f} events/s for "
        f"{seconds:.0f} s, event stream in {'Redis' if redis else 'memory'}; latency from "
        "webhook receipt to client\n"
    )
    print(
        "| subscribers | delivered | refused | p50 ms | p99 ms | max ms | gateway CPU ms/event "
        "| RSS per subscriber |"
    )
    print("|--:|--:|--:|--:|--:|--:|--:|--:|")
    sandbox_args = ["sandbox", "--port", str(port), "--webhook-url", f"{gateway}/webhooks"]
    env: dict[str, Any] = {**sandbox_env(port), **UNLIMITED, "PORTALGRAPH_POLLING": "false"}
    if redis:
        env |= {"PORTALGRAPH_REDIS_URL": redis, "PORTALGRAPH_CACHE_PREFIX": prefix}
    try:
        with process(sandbox_args, {}, f"http://127.0.0.1:{port + 3}/_stats"):
            access_token = demo_token(port)
            for subscribers in sizes:
                serve = ["serve", "--host", "127.0.0.1", "--port", str(gateway_port)]
                with process(serve, env, f"{gateway}/readyz") as child:
                    crm = f"http://127.0.0.1:{port + 3}"
                    measured = asyncio.run(
                        round_of(
                            subscribers,
                            gateway,
                            crm,
                            access_token,
                            ticket,
                            child.pid,
                            rate,
                            seconds,
                        )
                    )
                result = measured.result
                print(
                    f"| {subscribers} | {result.requests}/{measured.expected} | "
                    f"{result.errors} | {result.percentile(0.5):.1f} | "
                    f"{result.percentile(0.99):.1f} | {max(result.latencies_ms, default=0):.1f} | "
                    f"{measured.cpu_ms_per_event:.1f} | {measured.kib_per_subscriber:.1f} KiB |",
                    flush=True,
                )
    finally:
        if redis:
            client = Redis.from_url(redis)
            keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
            if keys:
                client.delete(*keys)
            client.close()
