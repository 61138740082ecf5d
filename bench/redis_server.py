"""A `redis-server` of our own on a free port, for the tests and the chaos benchmark: it can
be killed and started again on the same port (a Redis outage and its end)."""

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from sandbox.server import bind

START_DEADLINE_S = 10.0


def answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


class RedisServer:
    """A `redis-server` of the tests' own on a free port; a test may kill it and start it
    again on the same port (a Redis outage and its end)."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; `make test` installs it")
        self._binary = binary
        sock = bind()
        self.port = sock.getsockname()[1]
        sock.close()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(  # noqa: S603 - a fixed binary with fixed arguments
            [self._binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + START_DEADLINE_S
        while not answers(self.url):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self._process is not None

    def kill(self) -> None:
        """Stop it at once (SIGKILL), as a crash would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


@contextmanager
def own_redis_server() -> Iterator[RedisServer]:
    """A started server, stopped when the block ends."""
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()
