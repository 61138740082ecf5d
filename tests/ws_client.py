"""A minimal graphql-transport-ws client for tests: connect, `connection_init` with a payload,
run one operation and collect its result; every wait is bounded."""

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

PROTOCOL = "graphql-transport-ws"
WAIT_S = 10.0


class GraphQLWebSocket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._ids = 0

    async def receive(self) -> dict[str, Any]:
        async with asyncio.timeout(WAIT_S):
            message: dict[str, Any] = json.loads(await self.connection.recv())
        return message

    async def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        """The `payload` of the operation's `next` message, or the `error` message's list."""
        self._ids += 1
        operation_id = str(self._ids)
        payload = {"query": query, "variables": dict(variables or {})}
        await self.connection.send(
            json.dumps({"id": operation_id, "type": "subscribe", "payload": payload})
        )
        result: Any = None
        for _ in range(10):
            message = await self.receive()
            if message.get("id") != operation_id:
                continue
            if message["type"] in {"next", "error"}:
                result = message["payload"]
            if message["type"] in {"complete", "error"}:
                return result
        raise AssertionError("the operation did not complete")


@asynccontextmanager
async def graphql_ws(
    http_url: str, init: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> AsyncIterator[GraphQLWebSocket]:
    """A connection acknowledged after `connection_init` with `init` as payload."""
    url = http_url.replace("http://", "ws://") + "/graphql"
    async with connect(
        url,
        subprotocols=[Subprotocol(PROTOCOL)],
        additional_headers=dict(headers or {}),
    ) as connection:
        socket = GraphQLWebSocket(connection)
        await connection.send(json.dumps({"type": "connection_init", "payload": dict(init)}))
        ack = await socket.receive()
        assert ack["type"] == "connection_ack", ack
        yield socket
