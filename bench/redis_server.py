"""A `redis-server` of our own on a free port, for the tests and the chaos benchmark: it can
be killed and started again on the same port (a Redis outage and its end)."""

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from bench.processes import stop
from sandbox.server import bind

START_DEADLINE_S = 10.0
STOP_DEADLINE_S = 10.0


def answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


class RedisProcess:
    """One `redis-server` (or `redis-sentinel`) process on a fixed port with fixed arguments;
    it may be killed, as a crash would, and started again on the same port."""

    def __init__(
        self, port: int, args: list[str], start_deadline_s: float = START_DEADLINE_S
    ) -> None:
        self.port = port
        self._args = args
        self._start_deadline_s = start_deadline_s
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=1)

    def start(self) -> None:
        """Start it and wait, boundedly, until it answers."""
        self._process = subprocess.Popen(  # noqa: S603 - a fixed binary with fixed arguments
            self._args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + self._start_deadline_s
        while not answers(f"redis://{self.address}"):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self._args[0]} on port {self.port} did not start")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self._process is not None

    def kill(self) -> None:
        """Stop it at once (SIGKILL), as a crash would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=STOP_DEADLINE_S)
            self._process = None

    def stop(self) -> None:
        if self._process is not None:
            stop(self._process, STOP_DEADLINE_S)
            self._process = None


class RedisServer(RedisProcess):
    """A `redis-server` of the tests' own on a free port, without persistence; a test may kill
    it and start it again on the same port (a Redis outage and its end)."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; `make test` installs it")
        sock = bind()
        port = sock.getsockname()[1]
        sock.close()
        super().__init__(
            port,
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
        )  # fmt: skip
        self.url = f"redis://127.0.0.1:{port}/0"


@contextmanager
def own_redis_server() -> Iterator[RedisServer]:
    """A started server, stopped when the block ends."""
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()
