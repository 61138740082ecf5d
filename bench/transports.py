"""`python -m bench.transports`: the CPU one upstream GET costs the gateway with each upstream
transport (`connectors.base.http.create_client`: aiohttp under httpx's API, or httpx's own
httpcore) and sent straight on aiohttp (`connectors.base.direct`, as the REST adapters send
it), on asyncio's event loop and on uvloop, against the sandbox CRM (no latency), ten
requests at a time. What `PORTALGRAPH_UPSTREAM_TRANSPORT` was chosen by.

Knobs (environment): TRANSPORTS_REQUESTS (default 2000), TRANSPORTS_PORT (default 18600).
"""

import asyncio
import os
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, Literal

import uvloop

from bench.processes import process
from connectors.base.http import HttpLimits, UpstreamClient, create_client
from sandbox.seed import MUSTER
from sandbox.server import CRM_TOKEN

BATCH = 10
WARM_UP = 100


Way = Literal["httpx", "aiohttp", "direct"]


async def cpu_per_get(url: str, way: Way, requests: int) -> float:
    """Process CPU ms per GET of a page of tickets."""
    limits = replace(HttpLimits(), transport="httpx" if way == "httpx" else "aiohttp")
    client = create_client(url, limits, headers={"Authorization": f"Bearer {CRM_TOKEN}"})
    assert isinstance(client, UpstreamClient)
    direct = client.direct
    params: dict[str, str | int] = {"company_id": MUSTER, "per_page": 5, "page": 1}

    async def get() -> None:
        if way == "direct" and direct is not None:
            prepared = direct.prepare("GET", "/api/v1/tickets", params)
            assert prepared is not None
            assert (await direct.send(prepared, None)).status == 200
        else:
            (await client.get("/api/v1/tickets", params=params)).raise_for_status()

    try:
        for _ in range(WARM_UP):
            await get()
        began = time.process_time()
        for _ in range(requests // BATCH):
            await asyncio.gather(*(get() for _ in range(BATCH)))
        return (time.process_time() - began) * 1000 / requests
    finally:
        await client.aclose()


def main() -> None:
    requests = int(os.environ.get("TRANSPORTS_REQUESTS", "2000"))
    port = int(os.environ.get("TRANSPORTS_PORT", "18600"))
    url = f"http://127.0.0.1:{port + 3}"
    loops: dict[str, Callable[[Coroutine[Any, Any, float]], float]] = {
        "asyncio": asyncio.run,
        "uvloop": uvloop.run,
    }
    ways: list[Way] = ["httpx", "aiohttp", "direct"]
    print("| event loop | transport | CPU ms per GET |\n|---|---|--:|")
    with process(["sandbox", "--port", str(port)], {}, f"{url}/_stats"):
        for loop_name, run in loops.items():
            for way in ways + ways:  # twice, interleaved
                ms = run(cpu_per_get(url, way, requests))
                print(f"| {loop_name} | {way} | {ms:.3f} |", flush=True)


if __name__ == "__main__":
    main()
