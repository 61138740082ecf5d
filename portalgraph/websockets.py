"""The WebSocket side of subscriptions, beyond what strawberry's protocol handlers do:
messages as text frames (the protocols' JSON is text; a browser gets a binary frame as a Blob
that `JSON.parse` cannot read), keep-alive pings for graphql-transport-ws (graphql-ws sends
its `ka` itself), and closing a connection when its token expires, with 4403 ("Forbidden",
which graphql-ws clients treat as retryable: they reconnect with a fresh token and resume
from their last cursor).
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as LegacyConnectionInitMessage,
)

from resolvers.context import Context

TOKEN_EXPIRED = 4403
TOKEN_EXPIRED_REASON = "Forbidden: token expired"


class TextFrames(ASGIWebSocketAdapter):
    """Sends every message as a text frame, whatever the view's JSON encoder returns."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error


class ConnectionGuard:
    """Background work of one acknowledged connection, stopped with it."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    def start(self, work: Awaitable[None]) -> None:
        self._tasks.append(asyncio.ensure_future(_quietly(work)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _quietly(work: Awaitable[None]) -> None:
    with contextlib.suppress(WebSocketDisconnected, RuntimeError):
        await work  # the peer may be gone already


async def close_at_expiry(
    context: Context, view: object, close: Callable[[int, str], Awaitable[None]]
) -> None:
    """Close when the token expires, as the token verifier counts it (`token_leeway_s` of
    the view: the leeway the verifier allows past `exp`)."""
    principal = context.principal
    if principal is None:
        return
    leeway = float(getattr(view, "token_leeway_s", 0.0))
    await asyncio.sleep(max(0.0, principal.expires_at.timestamp() + leeway - time.time()))
    await close(TOKEN_EXPIRED, TOKEN_EXPIRED_REASON)


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with pings and the token's expiry."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = ConnectionGuard()

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and not self.guard.running:
            self.guard.start(close_at_expiry(self.context, self.view, self.websocket.close))
            self.guard.start(self._ping())

    async def _ping(self) -> None:
        interval = self.view.keep_alive_interval or 15.0
        while True:
            await asyncio.sleep(interval)
            await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        await self.guard.stop()
        await super().shutdown()


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """graphql-ws (subscriptions-transport-ws), with the token's expiry."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = ConnectionGuard()

    async def handle_connection_init(self, message: LegacyConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and not self.guard.running:
            self.guard.start(close_at_expiry(self.context, self.view, self.websocket.close))

    async def cleanup(self) -> None:
        await self.guard.stop()
        await super().cleanup()
