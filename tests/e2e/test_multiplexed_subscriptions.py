"""Multiplexed subscriptions end to end (graphql-transport-ws, one gateway): subscribers with
equal document, variables and authorization scope share one execution per event, each gets
every event once and in order under its own operation id; other users get their own
execution, other organizations nothing, and authorization is still checked per subscriber."""

from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from sandbox.seed import LUMIERE
from sandbox.server import Sandbox
from tests.live_stack import advance, live_gateway, open_ticket, post_message
from tests.stack import Tokens
from tests.waiting import wait_until
from tests.ws_client import WsClient, ws_client

MESSAGES = "subscription { messageAdded { body writtenByViewer } }"
EVENTS = 3


@pytest.fixture(scope="module")
def gateway(live_sandbox: Sandbox) -> Iterator[str]:
    with live_gateway(live_sandbox) as url:
        yield url


def gauge(count: str) -> float:
    return REGISTRY.get_sample_value("portalgraph_subscription_groups", {"count": count}) or 0.0


def executions() -> float:
    return REGISTRY.get_sample_value("portalgraph_subscription_executions_total") or 0.0


async def joined(subscribers: float, more: int) -> None:
    """Until `more` subscribers than `subscribers` are in shared executions."""

    async def grouped() -> bool:
        return gauge("subscribers") - subscribers == more

    await wait_until(grouped)


async def bodies(client: WsClient, op_id: str, count: int) -> list[str]:
    return [(await client.next(op_id))["data"]["messageAdded"]["body"] for _ in range(count)]


async def bodies_by_operation(client: WsClient, count: int) -> dict[str, list[str]]:
    """The next `count` messages of the connection, each a `next`, by operation."""
    found: dict[str, list[str]] = {}
    for _ in range(count):
        message = await client.receive()
        assert message["type"] == "next", message
        body = message["payload"]["data"]["messageAdded"]["body"]
        found.setdefault(message["id"], []).append(body)
    return found


async def test_equal_subscribers_share_one_execution_per_event(
    live_sandbox: Sandbox, live_tokens: Tokens, gateway: str
) -> None:
    beat, carla, luc = [await live_tokens(user) for user in ("beat", "carla", "luc")]
    groups, subscribers, executed = gauge("groups"), gauge("subscribers"), executions()
    async with (
        ws_client(gateway, beat) as beat_1,
        ws_client(gateway, beat) as beat_2,
        ws_client(gateway, carla) as carla_1,
        ws_client(gateway, luc) as luc_1,
    ):
        await beat_1.start("a", MESSAGES)
        await beat_1.start("b", MESSAGES)  # two operations on one connection
        await beat_2.start("1", MESSAGES)
        await carla_1.start("1", MESSAGES)
        await luc_1.start("1", MESSAGES)
        await beat_2.start("2", "subscription { invoiceStatusChanged { number } }")
        refused = await beat_2.receive()  # Beat may not see invoices: checked on its own

        async def grouped() -> bool:  # beat, carla, luc; five subscribers in all
            return (gauge("groups") - groups, gauge("subscribers") - subscribers) == (3, 5)

        await wait_until(grouped)
        sent = [f"shared-{index}" for index in range(EVENTS)]
        for body in sent:
            await post_message(live_sandbox, body)
        received = {
            **await bodies_by_operation(beat_1, 2 * EVENTS),
            "1": await bodies(beat_2, "1", EVENTS),
            "carla": await bodies(carla_1, "1", EVENTS),
        }
        muster_executions = executions() - executed
        lumiere_ticket = open_ticket(live_sandbox.seed, LUMIERE)
        await advance(live_sandbox, "crm", object="message", ticket_id=lumiere_ticket, body="l")
        luc_first = await bodies(luc_1, "1", 1)  # nothing of Muster's came before
    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "FORBIDDEN"
    assert received == dict.fromkeys(["a", "b", "1", "carla"], sent)
    assert muster_executions == EVENTS * 2  # Beat's group and Carla's, not one per subscriber
    assert luc_first == ["l"]

    async def released() -> bool:
        return (gauge("groups"), gauge("subscribers")) == (groups, subscribers)

    await wait_until(released)  # closed subscriptions leave nothing behind


async def test_a_completed_subscriber_leaves_its_group_and_the_others_continue(
    live_sandbox: Sandbox, live_tokens: Tokens, gateway: str
) -> None:
    token = await live_tokens("anna")
    subscribers = gauge("subscribers")
    async with ws_client(gateway, token) as first, ws_client(gateway, token) as second:
        await first.start("1", MESSAGES)
        await second.start("1", MESSAGES)

        await joined(subscribers, 2)
        await post_message(live_sandbox, "both")
        both = await bodies(first, "1", 1) + await bodies(second, "1", 1)
        await first.send({"id": "1", "type": "complete"})

        await joined(subscribers, 1)  # the first left
        await post_message(live_sandbox, "second only")
        rest = await bodies(second, "1", 1)
    await joined(subscribers, 0)  # released, so that the next test counts from here
    assert both == ["both", "both"]
    assert rest == ["second only"]


async def test_a_subscriber_that_falls_behind_continues_alone_and_misses_nothing(
    live_sandbox: Sandbox, live_tokens: Tokens
) -> None:
    """With no backlog allowed, each subscriber falls behind its group at the first payload:
    it resumes on an execution of its own after the last event it was sent."""
    token = await live_tokens("anna")
    subscribers = gauge("subscribers")
    with live_gateway(live_sandbox, ws_shared_backlog=0) as url:
        async with ws_client(url, token) as first, ws_client(url, token) as second:
            await first.start("1", MESSAGES)
            await second.start("1", MESSAGES)

            await joined(subscribers, 2)
            sent = [f"behind-{index}" for index in range(EVENTS)]
            for body in sent:
                await post_message(live_sandbox, body)
            received = [await bodies(first, "1", EVENTS), await bodies(second, "1", EVENTS)]
        await joined(subscribers, 0)
    assert received == [sent, sent]
