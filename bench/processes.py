"""The benchmark's stack as separate processes (sandbox, gateway), so that the load driver,
the gateway and the simulated upstreams do not share one interpreter."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

READY_DEADLINE_S = 30.0
STOP_DEADLINE_S = 15.0


def wait_until_ready(url: str, deadline_s: float = READY_DEADLINE_S) -> None:
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} not ready after {deadline_s}s")
        time.sleep(0.1)


def stop(child: subprocess.Popen[Any], deadline_s: float = STOP_DEADLINE_S) -> None:
    """Terminate a child and wait for it; kill it if it has not ended within `deadline_s`."""
    child.terminate()
    try:
        child.wait(timeout=deadline_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=deadline_s)


def children(pid: int) -> list[int]:
    """The process's child processes (Linux `/proc`)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process and its children (uvicorn's workers) have used so far
    (Linux `/proc`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(child) for child in children(pid))


@contextmanager
def process(
    args: list[str], env: Mapping[str, str], ready_url: str, source: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`portalgraph <args>` until the block ends; from the checkout at `source` if given (its
    packages come first on the path), to compare with another revision."""
    child = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "portalgraph", *args],
        env={**os.environ, **env},
        cwd=source,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ready(ready_url)
        yield child
    finally:
        stop(child)


def sandbox_env(base_port: int) -> dict[str, str]:
    """The gateway's settings for a sandbox on base port P (systems on P+1..P+5)."""
    return {
        "PORTALGRAPH_OIDC_SERVER_URL": f"http://127.0.0.1:{base_port + 1}/",
        "PORTALGRAPH_ERP_URL": f"http://127.0.0.1:{base_port + 2}/erp",
        "PORTALGRAPH_CRM_URL": f"http://127.0.0.1:{base_port + 3}",
        "PORTALGRAPH_DMS_URL": f"http://127.0.0.1:{base_port + 4}",
        "PORTALGRAPH_PAYMENTS_URL": f"http://127.0.0.1:{base_port + 5}",
    }
