"""Graceful shutdown of WebSockets: before the server closes its connections, every open
WebSocket is closed with 1001 (going away), the code that tells a client to reconnect
elsewhere, and the app sees a disconnect so its handler ends cleanly.

The server calls `WebSocketDrain.close_all` first thing in its shutdown
(`portalgraph.servers.DrainingServer`); uvicorn alone would close them with 1012.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

GOING_AWAY = 1001


class WebSocketDrain:
    """The app's open WebSockets, each as its way to be closed."""

    def __init__(self) -> None:
        self._closers: set[Callable[[], Awaitable[None]]] = set()

    @property
    def open(self) -> int:
        return len(self._closers)

    async def close_all(self) -> None:
        await asyncio.gather(*(close() for close in list(self._closers)))

    def track(self, close: Callable[[], Awaitable[None]]) -> None:
        self._closers.add(close)

    def forget(self, close: Callable[[], Awaitable[None]]) -> None:
        self._closers.discard(close)


class GoingAway:
    """ASGI middleware that lets `drain` close each WebSocket of `app` with 1001.

    Example:
        Middleware(GoingAway, drain=WebSocketDrain())
    """

    def __init__(self, app: ASGIApp, drain: WebSocketDrain) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        gone = asyncio.Event()

        async def close() -> None:
            if gone.is_set():
                return
            gone.set()
            with contextlib.suppress(OSError):  # the client went away meanwhile: nothing to say
                await send({"type": "websocket.close", "code": GOING_AWAY,
                            "reason": "server shutting down"})  # fmt: skip

        async def receive_or_gone() -> Message:
            message = asyncio.ensure_future(receive())
            closed = asyncio.ensure_future(gone.wait())
            await asyncio.wait({message, closed}, return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            if message.done():
                return message.result()
            message.cancel()
            return {"type": "websocket.disconnect", "code": GOING_AWAY}

        self.drain.track(close)
        try:
            await self.app(scope, receive_or_gone, send)
        finally:
            self.drain.forget(close)
