"""Graceful shutdown: the server stops accepting, in-flight requests finish within the grace
period, and open WebSockets are closed with 1001 (going away) before anything else."""

import asyncio
import json
from contextlib import ExitStack

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from portalgraph.draining import GOING_AWAY
from sandbox.server import Sandbox
from tests.stack import GraphQLClient, Tokens, Upstream, running_gateway
from tests.waiting import wait_until

SLOW_QUERY = "{ orders(first: 1) { edges { node { number } } } }"


async def test_shutdown_finishes_requests_in_flight_and_closes_websockets_going_away(
    sandbox: Sandbox, upstream: Upstream, tokens: Tokens
) -> None:
    token = await tokens("anna")
    upstream.fault("erp", latency_ms=800)
    with ExitStack() as stack:
        url = stack.enter_context(running_gateway(sandbox))
        client = GraphQLClient(url, token)
        socket_url = url.replace("http://", "ws://") + "/graphql"
        async with connect(
            socket_url,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            additional_headers={"Authorization": f"Bearer {token}"},
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            in_flight = asyncio.create_task(client.post(SLOW_QUERY))

            async def erp_asked() -> bool:
                return bool(upstream.counts("erp"))

            await wait_until(erp_asked)
            await asyncio.to_thread(stack.close)  # as on SIGTERM; returns once stopped
            response = await in_flight
            with pytest.raises(ConnectionClosed) as closed:
                await socket.recv()
        await client.aclose()

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == GOING_AWAY
    assert response.status_code == 200
    assert response.json()["data"]["orders"]["edges"]
