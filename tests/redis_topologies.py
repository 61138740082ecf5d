"""The scale-out test bed: one Redis Cluster and one Sentinel group per test session
(`bench.topologies`), and gateway replicas behind nginx (`bench.nginx`, the example
deployment) on either. What the bed needs from Debian and is missing fails the tests under
CI=true (`scripts/ensure-redis-server` installs it) and skips them elsewhere."""

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis

from bench.nginx import load_balancer
from bench.topologies import (
    LocalCluster,
    MissingBinary,
    SentinelGroup,
    binary,
    local_cluster,
    sentinel_group,
)
from infra.topology import RedisClient, open_redis
from sandbox.server import Sandbox
from tests.redis_server import new_prefix
from tests.replicas import Replica, replica

Topology = LocalCluster | SentinelGroup
REPLICAS = ("replica-a", "replica-b", "replica-c")
SUBSCRIBERS = 'portalgraph_subscription_groups{count="subscribers"}'
"""The subscribers a replica's shared executions serve."""


def require(*names: str) -> None:
    for name in names:
        try:
            binary(name)
        except MissingBinary as missing:
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(str(missing))
            pytest.skip(str(missing))


@contextmanager
def topology(kind: str) -> Iterator[Topology]:
    """A Redis Cluster (`cluster`) or a Sentinel group (`sentinel`) of its own."""
    require("redis-server", "redis-cli", *(["redis-sentinel"] if kind == "sentinel" else []))
    with local_cluster() if kind == "cluster" else sentinel_group() as started:
        yield started


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[LocalCluster]:
    with local_cluster() as started:
        yield started


@pytest.fixture(scope="session")
def redis_sentinel() -> Iterator[SentinelGroup]:
    with sentinel_group() as started:
        yield started


def shared(request: pytest.FixtureRequest, kind: str) -> Topology:
    """The session's topology of this kind (started on first use)."""
    require("redis-server", "redis-cli", *(["redis-sentinel"] if kind == "sentinel" else []))
    found: Topology = request.getfixturevalue(f"redis_{kind}")
    return found


@dataclass
class Bed:
    """Replicas sharing one Redis topology, behind nginx."""

    topology: Topology
    prefix: str
    replicas: list[Replica]
    balancer: str
    """The load balancer's URL."""

    def redis(self) -> RedisClient:
        """A client of the topology as the gateway opens it; close it when done."""
        return open_redis(self.topology.url)

    async def subscribed(self, count: int) -> bool:
        """Whether the replicas took `count` subscribers in all. A client's `start` only sends
        a subscription, and one without `after` starts from the stream's position when its
        replica takes it: a test posts the events it expects only once this holds."""
        async with httpx.AsyncClient() as http:
            pages = [(await http.get(f"{replica.url}/metrics")).text for replica in self.replicas]
        taken = 0.0
        for page in pages:
            for line in page.splitlines():
                series, _, value = line.rpartition(" ")
                if series == SUBSCRIBERS:
                    taken += float(value)
        return taken >= count


@contextmanager
def replicas_behind_nginx(
    sandbox: Sandbox, redis_topology: Topology, **settings: Any
) -> Iterator[Bed]:
    """Three replicas (`REPLICAS`) behind nginx, receiving the sandbox's webhooks through it;
    their keys are deleted afterwards."""
    require("nginx")
    prefix = new_prefix()
    config = {"redis_url": redis_topology.url, "cache_prefix": prefix, **settings}
    try:
        with ExitStack() as stack:
            started = [stack.enter_context(replica(sandbox, name, **config)) for name in REPLICAS]
            addresses = [r.url.removeprefix("http://") for r in started]
            balancer = stack.enter_context(load_balancer(addresses))
            previous, sandbox.webhooks.url = sandbox.webhooks.url, f"{balancer}/webhooks"
            stack.callback(setattr, sandbox.webhooks, "url", previous)
            yield Bed(redis_topology, prefix, started, balancer)
    finally:
        forget(redis_topology, prefix)


def forget(redis_topology: Topology, prefix: str) -> None:
    """Delete the keys under `prefix` on every primary that answers (and only those)."""
    primaries = (
        redis_topology.primaries()
        if isinstance(redis_topology, LocalCluster)
        else [redis_topology.primary()]
    )
    for node in primaries:
        with node.client() as client:
            try:
                for key in client.scan_iter(match=f"{prefix}:*", count=500):
                    client.unlink(key)
            except redis.RedisError:
                continue
