"""Minimal subscription clients for tests: graphql-transport-ws, graphql-ws (legacy) and
graphql-sse, over real sockets. Every wait has a deadline."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

WAIT_S = 15.0
TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


class Closed(Exception):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


class WsClient:
    """One WebSocket speaking `subprotocol`; `messages()` skips keep-alives unless asked."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.keep_alives = 0
        self._operations = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, timeout_s: float = WAIT_S, keep_alives: bool = False) -> dict[str, Any]:
        """The next message (keep-alives counted and skipped); raises Closed when the server
        closes the connection."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                raw = await asyncio.wait_for(self.socket.recv(), deadline - time.monotonic())
            except ConnectionClosed as closed:
                rcvd = closed.rcvd
                raise Closed(rcvd.code if rcvd else None, rcvd.reason if rcvd else "") from None
            message: dict[str, Any] = json.loads(raw)
            if message.get("type") in {"ping", "ka"} and not keep_alives:
                self.keep_alives += 1
                if message["type"] == "ping":
                    await self.send({"type": "pong"})
                continue
            return message

    async def closed(self, timeout_s: float = WAIT_S) -> Closed:
        """Wait for the server to close; every message before is an error."""
        try:
            message = await self.receive(timeout_s)
        except Closed as closed:
            return closed
        raise AssertionError(f"expected the connection to close, got {message}")

    async def start(self, op_id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        payload = {"query": query, "variables": variables or {}}
        kind = "subscribe" if self.socket.subprotocol == TRANSPORT_WS else "start"
        await self.send({"id": op_id, "type": kind, "payload": payload})

    async def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        """A query's or mutation's result: the payload of its `next`, or an `error`'s list."""
        self._operations += 1
        op_id = f"op{self._operations}"
        await self.start(op_id, query, dict(variables or {}))
        result: Any = None
        for _ in range(10):
            message = await self.receive()
            if message.get("id") != op_id:
                continue
            if message["type"] in {"next", "data", "error"}:
                result = message["payload"]
            if message["type"] in {"complete", "error"}:
                return result
        raise AssertionError("the operation did not complete")

    async def next(self, op_id: str, timeout_s: float = WAIT_S) -> dict[str, Any]:
        """The payload of the next result of operation `op_id`; results of other operations
        in between are an error, as is an error or completion."""
        message = await self.receive(timeout_s)
        assert message.get("id") == op_id, message
        assert message["type"] in {"next", "data"}, message
        payload: dict[str, Any] = message["payload"]
        return payload


@asynccontextmanager
async def ws_client(
    http_url: str,
    token: str | None = None,
    init_payload: dict[str, Any] | None = None,
    subprotocol: str = TRANSPORT_WS,
    header_token: str | None = None,
    acknowledge: bool = True,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[WsClient]:
    """A connection to `{http_url}/graphql`, initialised with the token in the
    `connection_init` payload (or `header_token` in the handshake's Authorization header)."""
    handshake = {**(headers or {})}
    if header_token:
        handshake["Authorization"] = f"Bearer {header_token}"
    url = http_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[subprotocol], additional_headers=handshake) as socket:  # type: ignore[list-item]
        client = WsClient(socket)
        payload = dict(init_payload or {})
        if token is not None:
            payload["Authorization"] = f"Bearer {token}"
        await client.send({"type": "connection_init", "payload": payload})
        if acknowledge:
            ack = await client.receive()
            assert ack["type"] == "connection_ack", ack
        yield client


@asynccontextmanager
async def graphql_ws(
    http_url: str, init: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> AsyncIterator[WsClient]:
    """A graphql-transport-ws connection acknowledged after `connection_init` with `init`."""
    async with ws_client(http_url, init_payload=dict(init), headers=headers) as client:
        yield client


class SseStream:
    """An open graphql-sse request: read events one by one."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()
        self.comments = 0

    async def event(self, timeout_s: float = WAIT_S) -> dict[str, str]:
        fields: dict[str, str] = {}
        while True:
            line = await asyncio.wait_for(anext(self._lines), timeout_s)
            if not line:
                if fields:
                    return fields
                continue
            if line.startswith(":"):
                self.comments += 1
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


@asynccontextmanager
async def sse_stream(
    http_url: str,
    token: str,
    query: str,
    variables: dict[str, Any] | None = None,
    last_event_id: str | None = None,
) -> AsyncIterator[SseStream]:
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    body = {"query": query, "variables": variables or {}}
    async with (
        httpx.AsyncClient(base_url=http_url, timeout=WAIT_S) as http,
        http.stream("POST", "/graphql", json=body, headers=headers) as response,
    ):
        yield SseStream(response)
