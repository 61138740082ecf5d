"""Several ASGI apps served from one event loop, each on its own socket, stopped together."""

import asyncio
import contextlib
import signal
import socket
from collections.abc import Iterator, Sequence

import uvicorn
from starlette.types import ASGIApp


class _SharedSignalsServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to `serve_all`, so that one Ctrl-C stops
    every server of the process, not only the one that installed its handler last."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_all(apps: Sequence[tuple[ASGIApp, socket.socket]], log_level: str = "info") -> None:
    servers = [
        _SharedSignalsServer(
            uvicorn.Config(
                app,
                log_level=log_level,
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
