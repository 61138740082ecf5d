"""Which Redis the gateway's shared state lives in, from one URL (`PORTALGRAPH_REDIS_URL`):

    redis://[user:password@]host[:port][/db]                  one server
    redis+sentinel://[user:password@]host:port[,host:port…]/service[/db]
                                                              a Sentinel group's current primary
    redis+cluster://[user:password@]host:port[,host:port…]    a Redis Cluster, from seed nodes

and the same over TLS as `rediss://`, `rediss+sentinel://`, `rediss+cluster://`. Credentials
are those of the Redis servers (sentinels are asked without).

A client is a `redis.asyncio.Redis` (one server; a Sentinel group's primary, found anew on
every connection, so a failover costs the connections to the old primary and nothing else)
or a `RedisCluster` (its slot map refreshed on MOVED or a failed node). On a Cluster, the keys
of one command, pipeline-free script or consumer group must share a hash slot: the stores in
`infra` put a hash tag (`{…}`) in the keys that travel together, and read batches of
unrelated keys per slot (`get_values`).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from redis.asyncio import Redis, RedisCluster
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialWithJitterBackoff
from redis.crc import key_slot
from redis.exceptions import RedisClusterException, RedisError

RedisClient = Redis | RedisCluster
REDIS_ERRORS = (RedisError, RedisClusterException, OSError)
"""What a Redis that is down, failing over or resharding raises."""

Kind = Literal["single", "sentinel", "cluster"]
SCHEMES: dict[str, tuple[Kind, bool]] = {
    "redis": ("single", False),
    "rediss": ("single", True),
    "redis+sentinel": ("sentinel", False),
    "rediss+sentinel": ("sentinel", True),
    "redis+cluster": ("cluster", False),
    "rediss+cluster": ("cluster", True),
}
CLUSTER_MAX_CONNECTIONS = 1000
"""Per node; redis-py's cluster client fails a command beyond it (its default is 100)."""
FAIL_FAST_TIMEOUT_S = 0.5
"""Clients that must not hold requests up (the cache, see infra.fallback) give up this soon."""


@dataclass(frozen=True)
class Topology:
    kind: Kind
    nodes: tuple[tuple[str, int], ...]
    """The server, the sentinels or the cluster's seed nodes."""
    service: str = ""
    """The Sentinel group's service (master) name."""
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False

    def describe(self) -> str:
        nodes = ", ".join(f"{host}:{port}" for host, port in self.nodes)
        if self.kind == "sentinel":
            return f"Sentinel group {self.service!r} (sentinels {nodes})"
        if self.kind == "cluster":
            return f"Redis Cluster (seed nodes {nodes})"
        return f"Redis at {nodes}"


def parse_redis_url(url: str) -> Topology:
    """The topology a URL names; raises ValueError saying what is wrong with it."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        raise ValueError(f"the scheme must be one of {', '.join(s + '://' for s in SCHEMES)}")
    kind, tls = SCHEMES[scheme.lower()]
    parts = urlsplit(f"redis://{rest}")
    userinfo, _, hosts = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    nodes = tuple(_node(item, kind) for item in hosts.split(","))
    path = [unquote(p) for p in parts.path.split("/") if p]
    service = ""
    if kind == "sentinel":
        if not path:
            raise ValueError("name the Sentinel service after the sentinels: …/mymaster[/db]")
        service, path = path[0], path[1:]
    if len(path) > 1 or (path and not path[0].isdigit()):
        raise ValueError(f"{parts.path!r} is not a database number")
    db = int(path[0]) if path else 0
    if kind == "cluster" and db != 0:
        raise ValueError("a Redis Cluster has database 0 only")
    if kind == "single" and len(nodes) > 1:
        raise ValueError("one host for redis://; several are redis+cluster:// or redis+sentinel://")
    return Topology(
        kind, nodes, service, db, unquote(username) or None, unquote(password) or None, tls
    )


def _node(item: str, kind: Kind) -> tuple[str, int]:
    host, _, port = item.strip().rpartition(":") if ":" in item else (item.strip(), "", "")
    if not host:
        raise ValueError(f"{item!r} names no host")
    if port and not port.isdigit():
        raise ValueError(f"{item!r}: the port must be a number")
    default = 26379 if kind == "sentinel" else 6379
    return host.strip("[]"), int(port) if port else default


def open_redis(url: str, *, fail_fast: bool = False) -> RedisClient:
    """A client of the Redis the URL names; it connects on first use. `fail_fast`: short
    timeouts and one quick retry, so that an outage costs a request at most a second (without
    it, commands may block, as stream reads do)."""
    topology = parse_redis_url(url)
    options: dict[str, Any] = {}
    if fail_fast:
        options = {
            "socket_connect_timeout": FAIL_FAST_TIMEOUT_S,
            "socket_timeout": FAIL_FAST_TIMEOUT_S,
            # one quick retry on a fresh connection (a pooled one dies when Redis restarts)
            "retry": Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.05), retries=1),
        }
    if topology.kind == "single":
        return Redis.from_url(url, **options)  # redis-py reads the rest from the URL
    options |= {"username": topology.username, "password": topology.password}
    if topology.kind == "cluster":
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in topology.nodes],
            ssl=topology.tls,
            max_connections=CLUSTER_MAX_CONNECTIONS,
            **options,
        )
    timeouts = {k: v for k, v in options.items() if k.startswith("socket_")}
    # redis-py leaves Sentinel's constructor untyped
    sentinel = Sentinel(list(topology.nodes), sentinel_kwargs=timeouts)  # type: ignore[no-untyped-call]
    client: SentinelRedis = sentinel.master_for(
        topology.service, redis_class=SentinelRedis, db=topology.db, ssl=topology.tls, **options
    )
    client.sentinels = sentinel
    return client


class SentinelRedis(Redis):
    """The client of a Sentinel group's primary; closes the group's sentinel clients with its
    own connections."""

    sentinels: Sentinel | None = None

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        if self.sentinels is not None:
            await self.sentinels.aclose()


async def get_values(redis: RedisClient, keys: Sequence[str]) -> list[Any]:
    """GET of many keys in one round trip: MGET on one server, one MGET per slot (pipelined
    to every node at once) on a Cluster."""
    if isinstance(redis, RedisCluster):
        return await redis.mget_nonatomic(list(keys))
    return list(await redis.mget(list(keys)))


def by_slot(keys: Sequence[str]) -> list[list[str]]:
    """The keys grouped by hash slot, for a script that takes keys of one slot only."""
    groups: defaultdict[int, list[str]] = defaultdict(list)
    for key in keys:
        groups[key_slot(key.encode())].append(key)
    return list(groups.values())


def in_slots(redis: RedisClient, keys: Sequence[str]) -> list[list[str]]:
    """The keys in groups a script may take at once: all of them on one server, the keys of
    each hash slot on a Cluster."""
    return by_slot(keys) if isinstance(redis, RedisCluster) else [list(keys)]


def hash_tag(value: str) -> str:
    """`{value}`: the part of a key that decides its slot on a Redis Cluster."""
    return f"{{{value}}}"
