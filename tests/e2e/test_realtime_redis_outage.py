"""Live updates around Redis: a subscriber connected before Redis went away gets the next
change after it is back, through a Redis the test starts and kills itself; a stopping replica
gives up the ERP poller's lease in it."""

import asyncio

import redis

from bench.redis_server import own_redis_server
from sandbox.server import Sandbox
from tests.live_stack import live_gateway, post_message
from tests.stack import Tokens
from tests.waiting import wait_until
from tests.ws_client import ws_client

MESSAGES = "subscription { messageAdded { body } }"


async def test_subscriptions_deliver_again_after_redis_restarts(
    live_sandbox: Sandbox, live_tokens: Tokens
) -> None:
    token = await live_tokens("anna")
    with (
        own_redis_server() as server,
        live_gateway(live_sandbox, redis_url=server.url) as url,
    ):
        async with ws_client(url, token) as anna:
            await anna.start("1", MESSAGES)
            await post_message(live_sandbox, "vor dem Ausfall")
            before = await anna.next("1")

            server.kill()
            server.start()  # the same port, empty: no stream, no consumer group; it answers
            await post_message(live_sandbox, "nach dem Neustart")
            after = await anna.next("1")
    assert before["data"]["messageAdded"]["body"] == "vor dem Ausfall"
    assert after["data"]["messageAdded"]["body"] == "nach dem Neustart"


async def test_a_replica_that_stops_gives_its_poller_lease_up_at_once(
    live_sandbox: Sandbox,
) -> None:
    """A gateway shutting down releases the ERP poller's lease, so that another replica can
    take over at once instead of after the lease's TTL."""
    with own_redis_server() as server:
        client = redis.Redis.from_url(server.url)
        try:
            with live_gateway(
                live_sandbox, redis_url=server.url, cache_prefix="pgrel", poll_lease_ttl_s=600.0
            ):

                def held() -> bool:
                    return client.get("pgrel:lease:poll:erp") is not None

                await wait_until(lambda: asyncio.to_thread(held))
            assert client.get("pgrel:lease:poll:erp") is None  # well before the 600 s TTL
        finally:
            client.close()
