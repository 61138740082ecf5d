"""Serving the gateway: a uvicorn server that drains WebSockets before it shuts down, and
several ASGI apps served from one event loop, each on its own socket, stopped together."""

import asyncio
import contextlib
import signal
import socket
from collections.abc import Iterator, Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from portalgraph.draining import WebSocketDrain

MAX_WRAPPERS = 8
"""How deep middleware may wrap the app before `DrainingServer` gives up finding its drain."""


def drain_of(app: object) -> WebSocketDrain | None:
    """The drain of a gateway app (`app.state.drain`), through the server's own wrappers."""
    for _ in range(MAX_WRAPPERS):
        if isinstance(app, Starlette):
            drain = getattr(app.state, "drain", None)
            return drain if isinstance(drain, WebSocketDrain) else None
        app = getattr(app, "app", None)
    return None


class DrainingServer(uvicorn.Server):
    """On shutdown, first closes the app's WebSockets with 1001 (going away); then uvicorn
    stops accepting, lets in-flight requests finish within `timeout_graceful_shutdown`, and
    runs the lifespan's shutdown (which releases what the app holds)."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        drain = drain_of(getattr(self.config, "loaded_app", None))
        if drain is not None:
            await drain.close_all()
        await super().shutdown(sockets)


def serve(app: str, host: str, port: int, workers: int, grace_s: int) -> None:
    """`portalgraph serve`: one process draining as above, or uvicorn's worker processes
    (which close WebSockets with 1012, service restart)."""
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "workers": workers,
        "proxy_headers": True,
        "timeout_graceful_shutdown": grace_s,
        "log_config": None,  # portalgraph.asgi sets up JSON logs
        "access_log": False,  # portalgraph.access writes one line per request
        # subscription payloads are small: compressing each frame costs CPU on both ends and
        # a zlib context per connection (memory per subscriber)
        "ws_per_message_deflate": False,
    }
    if workers > 1:
        uvicorn.run(app, **options)
    else:
        DrainingServer(uvicorn.Config(app, **options)).run()


class _SharedSignalsServer(DrainingServer):
    """A uvicorn server that leaves signal handling to `serve_all`, so that one Ctrl-C stops
    every server of the process, not only the one that installed its handler last."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_all(apps: Sequence[tuple[ASGIApp, socket.socket]]) -> None:
    """Logging is the caller's (`portalgraph.logs`): uvicorn's own setup and access log are off."""
    servers = [
        _SharedSignalsServer(
            uvicorn.Config(
                app,
                log_config=None,
                access_log=False,
                timeout_graceful_shutdown=5,
                ws_per_message_deflate=False,  # as `portalgraph serve` does
            )
        )
        for app, _ in apps
    ]

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    try:
        await asyncio.gather(
            *(server.serve(sockets=[sock]) for server, (_, sock) in zip(servers, apps, strict=True))
        )
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
