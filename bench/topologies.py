"""Highly available Redis on one machine, for the scale-out tests and benchmark: a Redis Cluster
of three primaries with a replica each, and a Sentinel group (a primary, a replica, three
sentinels), from Debian's `redis-server` and `redis-sentinel` on free loopback ports, in a
temporary folder. Starting waits, boundedly, until the topology is usable; stopping ends every
process started; a test may kill a node (as a crash would) and start it again."""

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from bench.redis_server import RedisProcess
from sandbox.server import bind

START_DEADLINE_S = 30.0
SERVICE = "mymaster"
NODE_TIMEOUT_MS = 1000
"""How long a cluster node or a Sentinel's primary may be silent before it counts as down."""


class MissingBinary(RuntimeError):
    """A Debian package the test bed needs is not installed (`scripts/ensure-redis-server`)."""


def binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        raise MissingBinary(f"{name} is not installed; run scripts/ensure-redis-server")
    return found


def wait_for(
    condition: Callable[[], bool], what: str, deadline_s: float = START_DEADLINE_S
) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {deadline_s}s")
        time.sleep(0.05)


def free_port(bus: bool = False) -> int:
    """A free loopback port; with `bus`, port + 10000 is free too (a cluster node's bus)."""
    while True:
        with bind() as sock:
            port = int(sock.getsockname()[1])
        if not bus:
            return port
        if port < 55535:
            try:
                bind(port=port + 10000).close()
            except OSError:
                continue
            return port


def server(port: int, folder: Path, *extra: str) -> RedisProcess:
    """A redis-server without persistence, as the gateway's Redis needs none."""
    args = [binary("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
            "--dir", str(folder), "--save", "", "--appendonly", "no", *extra]  # fmt: skip
    return RedisProcess(port, args, START_DEADLINE_S)


def info(node: RedisProcess, section: str) -> dict[str, Any]:
    with node.client() as client:
        return dict(client.info(section))


class LocalCluster:
    """Six nodes: three primaries, each with one replica."""

    def __init__(self, folder: Path) -> None:
        cluster = ["--cluster-enabled", "yes", "--cluster-node-timeout", str(NODE_TIMEOUT_MS)]
        self.nodes = [
            server(port, folder, *cluster, "--cluster-config-file", f"nodes-{port}.conf")
            for port in (free_port(bus=True) for _ in range(6))
        ]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(node.address for node in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        subprocess.run(  # noqa: S603 - Debian's redis-cli, fixed arguments
            [binary("redis-cli"), "--cluster", "create",
             *(node.address for node in self.nodes), "--cluster-replicas", "1", "--cluster-yes"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=START_DEADLINE_S,
        )  # fmt: skip
        self.wait_healthy()

    def healthy(self) -> bool:
        """Every running node sees the cluster ok, with three primaries that answer."""
        try:
            running = [node for node in self.nodes if node.running]
            if any(info_cluster(node)["cluster_state"] != "ok" for node in running):
                return False
            return len(self.primaries()) == 3 and len(self.replicas()) == len(running) - 3
        except (redis.RedisError, OSError):
            return False

    def wait_healthy(self, deadline_s: float = START_DEADLINE_S) -> None:
        wait_for(self.healthy, "a healthy Redis Cluster", deadline_s)

    def _roles(self) -> dict[str, list[RedisProcess]]:
        roles: dict[str, list[RedisProcess]] = {"master": [], "slave": []}
        for node in self.nodes:
            if node.running:
                roles.setdefault(info(node, "replication")["role"], []).append(node)
        return roles

    def primaries(self) -> list[RedisProcess]:
        return self._roles()["master"]

    def replicas(self) -> list[RedisProcess]:
        return self._roles()["slave"]

    def wait_failover(self, old: RedisProcess, deadline_s: float) -> None:
        """Until the cluster is healthy again without the (dead) primary `old`."""
        wait_for(lambda: not old.running and self.healthy(), "a cluster failover", deadline_s)

    def primary_of(self, key: str) -> RedisProcess:
        """The primary serving the key's slot now."""
        with self.primaries()[0].client() as client:
            slot = int(client.execute_command("CLUSTER", "KEYSLOT", key))
            ranges = client.execute_command("CLUSTER", "SLOTS")
        port = next(int(primary[1]) for low, high, primary, *_ in ranges if low <= slot <= high)
        return next(node for node in self.nodes if node.port == port)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def info_cluster(node: RedisProcess) -> dict[str, Any]:
    with node.client() as client:
        return dict(client.cluster("INFO"))


class SentinelGroup:
    """A primary, a replica and three sentinels watching them (quorum two)."""

    def __init__(self, folder: Path) -> None:
        primary_port, replica_port = free_port(), free_port()
        self.servers = [
            server(primary_port, folder),
            server(replica_port, folder, "--replicaof", "127.0.0.1", str(primary_port)),
        ]
        self.sentinels = [self._sentinel(free_port(), folder, primary_port) for _ in range(3)]

    @staticmethod
    def _sentinel(port: int, folder: Path, primary_port: int) -> RedisProcess:
        config = folder / f"sentinel-{port}.conf"  # sentinels rewrite their own file
        config.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {folder}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {primary_port} 2\n"
            f"sentinel down-after-milliseconds {SERVICE} {NODE_TIMEOUT_MS}\n"
            f"sentinel failover-timeout {SERVICE} 3000\n"
        )
        return RedisProcess(port, [binary("redis-sentinel"), str(config)], START_DEADLINE_S)

    @property
    def url(self) -> str:
        addresses = ",".join(node.address for node in self.sentinels)
        return f"redis+sentinel://{addresses}/{SERVICE}"

    def start(self) -> None:
        for node in [*self.servers, *self.sentinels]:
            node.start()
        self.wait_healthy()

    def primary(self) -> RedisProcess:
        """The server the sentinels name as primary."""
        with self.sentinels[0].client() as client:
            _, port = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
        return next(node for node in self.servers if node.port == int(port))

    def wait_failover(self, old: RedisProcess, deadline_s: float) -> None:
        """Until the sentinels have promoted another server than `old`, and it answers."""

        def promoted() -> bool:
            try:
                primary = self.primary()
                return primary is not old and info(primary, "replication")["role"] == "master"
            except (redis.RedisError, OSError):
                return False

        wait_for(promoted, "a Sentinel failover", deadline_s)

    def healthy(self) -> bool:
        """Every sentinel knows the primary, the other two sentinels and a connected replica."""
        try:
            primary = self.primary()
            for sentinel in self.sentinels:
                with sentinel.client() as client:
                    state = client.sentinel_master(SERVICE)
                if (
                    int(state["port"]) != primary.port
                    or state["num-other-sentinels"] < 2
                    or state["num-slaves"] < 1
                    or state["is_sdown"]
                ):
                    return False
            return int(info(primary, "replication").get("connected_slaves", 0)) >= 1
        except (redis.RedisError, OSError, StopIteration):
            return False

    def wait_healthy(self, deadline_s: float = START_DEADLINE_S) -> None:
        wait_for(self.healthy, "a Sentinel group that knows its primary and replica", deadline_s)

    def stop(self) -> None:
        for node in [*self.sentinels, *self.servers]:
            node.stop()


@contextmanager
def local_cluster() -> Iterator[LocalCluster]:
    with tempfile.TemporaryDirectory(prefix="pg-cluster-") as folder:
        cluster = LocalCluster(Path(folder))
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.stop()


@contextmanager
def sentinel_group() -> Iterator[SentinelGroup]:
    with tempfile.TemporaryDirectory(prefix="pg-sentinel-") as folder:
        group = SentinelGroup(Path(folder))
        try:
            group.start()
            yield group
        finally:
            group.stop()
