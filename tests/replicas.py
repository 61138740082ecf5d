"""Gateway replicas as separate processes sharing one Redis, so that a test can kill one
(SIGKILL: no shutdown, its lease and unacknowledged events stay behind) as a crash would."""

import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.processes import stop, wait_until_ready
from sandbox.server import Sandbox
from tests.live_stack import LIVE_SETTINGS
from tests.stack import SANDBOX_NOW, sandbox_urls

ROOT = Path(__file__).resolve().parent.parent
START_DEADLINE_S = 30.0
STOP_DEADLINE_S = 15.0


@dataclass
class Replica:
    name: str
    url: str
    process: subprocess.Popen[str]

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=STOP_DEADLINE_S)


def environment(sandbox: Sandbox, **settings: Any) -> dict[str, str]:
    values: dict[str, Any] = {
        **sandbox_urls(sandbox),
        "sandbox_now": SANDBOX_NOW,
        **LIVE_SETTINGS,
        **settings,
    }

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return ",".join(value) if isinstance(value, tuple) else str(value)

    return {f"PORTALGRAPH_{name.upper()}": text(value) for name, value in values.items()}


def read_port(process: subprocess.Popen[str]) -> int:
    assert process.stdout is not None
    deadline = time.monotonic() + START_DEADLINE_S
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=0.5):
                line = process.stdout.readline()
                if line.startswith("PORT "):
                    return int(line.split()[1])
            if process.poll() is not None:
                break
    raise RuntimeError(f"replica did not start within {START_DEADLINE_S}s")


@contextmanager
def replica(sandbox: Sandbox, name: str, **settings: Any) -> Iterator[Replica]:
    """A replica named `name` (its consumer and lease holder name) until the block ends."""
    env = {**os.environ, **environment(sandbox, replica_id=name, **settings)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.replica_main"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{read_port(process)}"
        wait_until_ready(f"{url}/healthz", START_DEADLINE_S)
        yield Replica(name, url, process)
    finally:
        if process.poll() is None:
            stop(process, STOP_DEADLINE_S)
        if process.stdout is not None:
            process.stdout.close()
