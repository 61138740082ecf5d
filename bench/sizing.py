"""`python -m bench.sizing`: Redis memory per cached entity and per stream event, measured with
`MEMORY USAGE` on a Redis of its own behind a real gateway: every demo user loads the
dashboard (the cache fills as in production), then the CRM sends webhooks for new ticket
messages (each an inbox entry, its dedupe key and a published graph entry).

Knobs (environment): SIZING_EVENTS (default 300), SIZING_PORT (default 18400).
"""

import os
from collections import defaultdict

import httpx
import redis

from bench.processes import process, sandbox_env
from bench.redis_server import own_redis_server
from bench.scenarios import DASHBOARD
from infra.events import stream_key
from portalgraph.demo import demo_token
from sandbox.seed import MUSTER, build_seed, parse_now

USERS = ("anna", "beat", "carla", "daniel", "luc", "chloe", "jonas", "mia", "marco", "sophie")
PREFIX = "sizing"


def memory(client: "redis.Redis", key: bytes | str) -> int:
    return int(client.memory_usage(key, samples=0) or 0)


def cache_table(client: "redis.Redis") -> str:
    sizes: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    for key in client.scan_iter(match=f"{PREFIX}:cache:*", count=1000):
        name = key.decode().removeprefix(f"{PREFIX}:cache:")
        if name.startswith("fill-lock:"):
            continue
        entity = ":".join(name.split(":")[:2])
        sizes[entity].append((memory(client, key), int(client.strlen(key))))
    rows = ["| cached entity | entries | bytes each (Redis) | of which value |",
            "|---------------|--------:|-------------------:|---------------:|"]  # fmt: skip
    every = [size for found in sizes.values() for size in found]
    for entity, found in sorted(sizes.items()):
        rows.append(
            f"| {entity} | {len(found)} | {sum(m for m, _ in found) / len(found):.0f} "
            f"| {sum(v for _, v in found) / len(found):.0f} |"
        )
    rows.append(
        f"| **all** | {len(every)} | {sum(m for m, _ in every) / len(every):.0f} "
        f"| {sum(v for _, v in every) / len(every):.0f} |"
    )
    tags = list(client.scan_iter(match=f"{PREFIX}:cache-tag:*", count=1000))
    tag_bytes = sum(memory(client, key) for key in tags) / max(1, len(tags))
    rows.append(f"\n{len(tags)} tags (sets of list variants), {tag_bytes:.0f} bytes each")
    return "\n".join(rows)


def event_bytes(client: "redis.Redis", events: int) -> str:
    inbox, graph = stream_key(PREFIX, "inbox"), stream_key(PREFIX, "graph")
    once = list(client.scan_iter(match=f"{PREFIX}:stream:*:once:*", count=1000))
    streams = memory(client, inbox) + memory(client, graph)
    dedupe = sum(memory(client, key) for key in once)
    return (
        f"{events} webhooks: inbox + graph streams {streams / events:.0f} bytes per event, "
        f"dedupe keys {dedupe / max(1, len(once)):.0f} bytes each ({len(once)} keys, kept "
        f"for PORTALGRAPH_EVENTS_DEDUPE_TTL_S); "
        f"{(streams + dedupe) / events:.0f} bytes per event in all"
    )


def main() -> None:
    events = int(os.environ.get("SIZING_EVENTS", "300"))
    port = int(os.environ.get("SIZING_PORT", "18400"))
    gateway_port = port + 50
    gateway = f"http://127.0.0.1:{gateway_port}"
    sandbox_args = ["sandbox", "--port", str(port), "--webhook-url", f"{gateway}/webhooks"]
    seed = build_seed(parse_now(None))
    ticket = next(t.id for t in seed.tickets if t.customer == MUSTER and t.stage == "in_progress")
    with (
        own_redis_server() as server,
        process(sandbox_args, {}, f"http://127.0.0.1:{port + 3}/_stats"),
    ):
        env = {**sandbox_env(port), "PORTALGRAPH_REDIS_URL": server.url,
               "PORTALGRAPH_CACHE_PREFIX": PREFIX, "PORTALGRAPH_POLLING": "false"}  # fmt: skip
        serve = ["serve", "--host", "127.0.0.1", "--port", str(gateway_port)]
        with process(serve, env, f"{gateway}/readyz"), redis.Redis.from_url(server.url) as client:
            for user in USERS:
                headers = {"Authorization": f"Bearer {demo_token(port, user)}"}
                httpx.post(f"{gateway}/graphql", json={"query": DASHBOARD}, headers=headers,
                           timeout=30).raise_for_status()  # fmt: skip
            print("Redis memory per cached entry, after each demo user's dashboard:\n")
            print(cache_table(client))
            advance = f"http://127.0.0.1:{port + 3}/_advance"
            for index in range(events):
                body = {"object": "message", "ticket_id": ticket, "body": f"sizing {index}"}
                httpx.post(advance, json=body, timeout=30).raise_for_status()
            print("\nRedis memory per stream event (CRM message webhooks):\n")
            print(event_bytes(client, events))


if __name__ == "__main__":
    main()
