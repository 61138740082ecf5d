"""The WebSocket side of subscriptions, beyond what strawberry's protocol handlers do:
messages as text frames (the protocols' JSON is text; a browser gets a binary frame as a Blob
that `JSON.parse` cannot read), keep-alive pings for graphql-transport-ws (graphql-ws sends
its `ka` itself), closing a connection when its token expires, with 4403 ("Forbidden",
which graphql-ws clients treat as retryable: they reconnect with a fresh token and resume
from their last cursor), and graphql-transport-ws subscribers sharing one execution per
event with their equals (`portalgraph.multiplex`).
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.schema import StreamResult
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as LegacyConnectionInitMessage,
)
from strawberry.utils.aio import aclosing

from portalgraph.multiplex import Ended, Failed, Member, Multiplexer, Request, Seat
from resolvers.context import Context
from resolvers.subscriptions import SHARED_START, StreamContext

TOKEN_EXPIRED = 4403
TOKEN_EXPIRED_REASON = "Forbidden: token expired"


class TextFrames(ASGIWebSocketAdapter):
    """Sends every message as a text frame, whatever the view's JSON encoder returns."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        await self.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)

    async def send_text(self, text: str) -> None:
        """A message encoded already (a shared subscription payload)."""
        try:
            await self.ws.send_text(text)
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


_SEAT: ContextVar[Seat | None] = ContextVar("seat", default=None)
"""The seat offered to the operation of the current task (see `TransportWSHandler`)."""


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with pings, the token's expiry and multiplexing: an operation runs
    as strawberry runs it, and a subscription that `open_changes` hands to a shared execution
    ends there without events; this handler then relays the shared payloads until that
    execution ends or the operation is completed, and `complete` follows as usual."""

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

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        multiplexer: Multiplexer | None = getattr(self.view, "multiplexer", None)
        seat = None
        if multiplexer is not None:
            request = Request(operation.query, operation.variables, operation.operation_name)
            seat = multiplexer.seat(self.context, operation.id, request)
        _SEAT.set(seat)  # the operation's own task: its context is its own
        SHARED_START.set(seat.take if seat is not None else None)
        try:
            await super().run_operation(operation)
        finally:  # completed, failed or cancelled (the connection closed) at any point
            if seat is not None and seat.member is not None:
                seat.member.group.leave(seat.member)

    async def _send_result_stream(
        self, operation: Operation[Context, None], result_source: StreamResult
    ) -> None:
        await super()._send_result_stream(operation, result_source)
        seat = _SEAT.get()
        if seat is not None and seat.member is not None:
            await self._relay(operation, seat.member)

    async def _relay(self, operation: Operation[Context, None], member: Member) -> None:
        """The shared payloads, each sent as this operation's `next`, until the execution
        ends; a subscriber that lagged behind continues on its own from its last event."""
        websocket = self.websocket
        assert isinstance(websocket, TextFrames)  # the view's adapter
        while not operation.completed:
            outcome = await member.next()
            if outcome is None:
                await self._resume(operation, member.cursor)
                return
            if isinstance(outcome, Failed):
                await operation.send_initial_errors(outcome.errors)
                return
            if isinstance(outcome, Ended):
                return
            await websocket.send_text(member.message(outcome))

    async def _resume(self, operation: Operation[Context, None], cursor: str) -> None:
        SHARED_START.set(None)
        context = self.context
        if isinstance(context, StreamContext):
            context = replace(context, last_event_id=cursor)
        source = await self.schema.stream(
            operation.query,
            variable_values=operation.variables,
            context_value=context,
            root_value=self.root_value,
            operation_name=operation.operation_name,
        )
        async with aclosing(source):
            await super()._send_result_stream(operation, source)


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
