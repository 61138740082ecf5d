"""The webhook suite on one gateway with a real Redis: each malformed, forged, stale,
repeated or late delivery gets its documented answer, and the streams show exactly what was
appended (`inbox`) and published (`graph`).

A "nothing was published" check is never a sleep: a valid marker event is sent after the
bad one, and once the marker is published the bad one demonstrably was not (one consumer
processes the inbox in order).
"""

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from infra.events import stream_key
from sandbox.crm.changes import crm_event
from sandbox.model import PaymentIntent
from sandbox.payments.advance import stripe_event
from sandbox.seed import MUSTER
from sandbox.server import Sandbox
from sandbox.webhooks import (
    CRM_WEBHOOK_SECRET,
    PAYMENTS_WEBHOOK_SECRET,
    shared_secret_headers,
    stripe_headers,
)
from schema.common import global_id
from tests.live_stack import advance, invoice_after, live_gateway, processing_payment
from tests.redis_server import delete_prefix, new_prefix
from tests.stack import Tokens, Upstream
from tests.waiting import wait_until

WAIT_S = 15.0


@pytest.fixture(scope="module")
def gateway(live_sandbox: Sandbox, redis_url: str) -> Iterator[tuple[str, str]]:
    prefix = new_prefix()
    overrides = {"redis_url": redis_url, "cache_prefix": prefix, "polling": False}
    secrets = ("whsec_rolled_new", PAYMENTS_WEBHOOK_SECRET)  # mid-rotation: both accepted
    with live_gateway(live_sandbox, payments_webhook_secrets=secrets, **overrides) as url:
        yield url, prefix
    delete_prefix(redis_url, prefix)


class Streams:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis, self.prefix = redis, prefix

    async def entries(self, topic: str) -> list[dict[str, Any]]:
        found = await self.redis.xrange(stream_key(self.prefix, topic))
        return [json.loads(fields[b"d"]) for _, fields in found or [] if fields]

    async def published(self, event_id: str) -> dict[str, Any]:
        """The graph event of this source event id, once the consumer published it."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            for entry in await self.entries("graph"):
                if entry["event_id"] == event_id:
                    return entry
            await self.redis.xread({stream_key(self.prefix, "graph"): "$"}, block=200)
        raise AssertionError(f"{event_id} was not published within {WAIT_S}s")


@pytest.fixture
def streams(redis_client: Redis, gateway: tuple[str, str]) -> Streams:
    return Streams(redis_client, gateway[1])


def intent_in(sandbox: Sandbox, status: str) -> PaymentIntent:
    return next(
        i for i in sandbox.seed.payment_intents if i.customer == MUSTER and i.status == status
    )


async def post(
    url: str, system: str, event: dict[str, Any] | bytes, headers: dict[str, str]
) -> httpx.Response:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    async with httpx.AsyncClient(timeout=WAIT_S) as http:
        return await http.post(f"{url}/webhooks/{system}", content=body, headers=headers)


def signed(event: dict[str, Any] | bytes, secrets: list[str], at: float | None = None) -> Any:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return body, stripe_headers(secrets, int(at if at is not None else time.time()), body)


async def send_payment(
    url: str, event: dict[str, Any] | bytes, secrets: list[str], at: float | None = None
) -> httpx.Response:
    body, headers = signed(event, secrets, at)
    return await post(url, "payments", body, headers)


async def marker(url: str, sandbox: Sandbox) -> str:
    """A valid event (a message on a ticket); answers its event id."""
    ticket = next(t for t in sandbox.seed.tickets if t.customer == MUSTER)
    sandbox.webhooks.url = None  # the sandbox records the message, the test sends the event
    try:
        answer = await advance(sandbox, "crm", object="message", ticket_id=ticket.id, body="m")
    finally:
        sandbox.webhooks.url = f"{url}/webhooks"
    data = {"comment_id": answer["message"], "ticket_id": ticket.id, "company_id": MUSTER}
    event = crm_event("comment.created", sandbox.seed.now, data | {"internal": False})
    body = json.dumps(event).encode()
    headers = shared_secret_headers([CRM_WEBHOOK_SECRET], int(time.time()), body)
    response = await post(url, "crm", body, headers)
    assert response.json()["received"] is True
    return str(event["id"])


async def test_a_bad_signature_is_rejected_and_nothing_is_published(
    live_sandbox: Sandbox, gateway: tuple[str, str], streams: Streams
) -> None:
    url, _ = gateway
    event = stripe_event(intent_in(live_sandbox, "requires_action"), int(time.time()))
    response = await send_payment(url, event, ["whsec_somebody_else"])
    await streams.published(await marker(url, live_sandbox))
    assert (response.status_code, response.json()) == (400, {"error": "no signature matches"})
    assert event["id"] not in {e["event_id"] for e in await streams.entries("inbox")}


async def test_a_stale_timestamp_is_rejected(
    live_sandbox: Sandbox, gateway: tuple[str, str], streams: Streams
) -> None:
    url, _ = gateway
    event = stripe_event(intent_in(live_sandbox, "requires_action"), int(time.time()))
    response = await send_payment(url, event, [PAYMENTS_WEBHOOK_SECRET], time.time() - 301)
    assert (response.status_code, response.json()) == (
        400,
        {"error": "timestamp outside the tolerance"},
    )
    assert event["id"] not in {e["event_id"] for e in await streams.entries("inbox")}


async def test_a_rolled_secret_and_several_v1_signatures_are_accepted(
    live_sandbox: Sandbox, gateway: tuple[str, str], streams: Streams
) -> None:
    url, _ = gateway
    intent = intent_in(live_sandbox, "requires_action")
    old_only = stripe_event(intent, int(time.time()))
    both = stripe_event(intent, int(time.time()))
    first = await send_payment(url, old_only, [PAYMENTS_WEBHOOK_SECRET])
    second = await send_payment(url, both, ["whsec_unknown_to_the_gateway", "whsec_rolled_new"])
    assert (first.status_code, second.status_code) == (200, 200)
    for event in (old_only, both):
        published = await streams.published(str(event["id"]))
        assert (published["entity_id"], published["customer"]) == (intent.id, MUSTER)


async def test_a_duplicate_event_id_is_acknowledged_and_dropped(
    live_sandbox: Sandbox, gateway: tuple[str, str], streams: Streams
) -> None:
    url, _ = gateway
    event = stripe_event(intent_in(live_sandbox, "requires_action"), int(time.time()))
    first = await send_payment(url, event, [PAYMENTS_WEBHOOK_SECRET])
    again = await send_payment(url, event, [PAYMENTS_WEBHOOK_SECRET])
    await streams.published(str(event["id"]))
    await streams.published(await marker(url, live_sandbox))
    assert first.json()["received"] is True
    assert "id" in first.json()
    assert again.json() == {"received": True, "duplicate": True}
    for topic in ("inbox", "graph"):
        ids = [e["event_id"] for e in await streams.entries(topic)]
        assert ids.count(event["id"]) == 1, topic


async def test_a_late_processing_after_succeeded_is_not_published(
    live_sandbox: Sandbox, gateway: tuple[str, str], streams: Streams
) -> None:
    url, _ = gateway
    intent = intent_in(live_sandbox, "processing")
    live_sandbox.webhooks.url = None  # the provider's state moves on; its events come late
    try:
        await advance(live_sandbox, "payments", object="payment", id=intent.id, to="SUCCEEDED")
    finally:
        live_sandbox.webhooks.url = f"{url}/webhooks"
    succeeded = stripe_event(intent, int(time.time()))
    processing = stripe_event(replace(intent, status="processing"), int(time.time()) - 5)
    assert (await send_payment(url, succeeded, [PAYMENTS_WEBHOOK_SECRET])).status_code == 200
    assert (await send_payment(url, processing, [PAYMENTS_WEBHOOK_SECRET])).status_code == 200
    assert (await streams.published(str(succeeded["id"])))["kind"] == "payment.succeeded"
    await streams.published(await marker(url, live_sandbox))
    inbox = {e["event_id"] for e in await streams.entries("inbox")}
    graph = {e["event_id"] for e in await streams.entries("graph")}
    assert {succeeded["id"], processing["id"]} <= inbox  # both acknowledged
    assert processing["id"] not in graph  # the superseded one was not published


async def test_malformed_json_is_rejected(
    live_sandbox: Sandbox, gateway: tuple[str, str], streams: Streams
) -> None:
    url, _ = gateway
    before = len(await streams.entries("inbox"))
    response = await send_payment(url, b'{"id": "evt_broken", "type": ', [PAYMENTS_WEBHOOK_SECRET])
    assert response.status_code == 400
    assert response.json()["error"].startswith("malformed event")
    assert len(await streams.entries("inbox")) == before


async def test_an_unknown_event_type_is_acknowledged_and_ignored(
    live_sandbox: Sandbox, gateway: tuple[str, str], streams: Streams
) -> None:
    url, _ = gateway
    created = int(time.time())
    event = {"id": "evt_unknown", "type": "customer.created", "created": created, "data": {}}
    before = len(await streams.entries("inbox"))
    response = await send_payment(url, event, [PAYMENTS_WEBHOOK_SECRET])
    assert response.json() == {"received": True, "ignored": "event type not used"}
    assert len(await streams.entries("inbox")) == before


async def test_shared_secret_signatures_of_the_crm(
    live_sandbox: Sandbox, gateway: tuple[str, str], streams: Streams
) -> None:
    url, _ = gateway
    ticket = next(t for t in live_sandbox.seed.tickets if t.customer == MUSTER)
    event = crm_event(
        "ticket.updated",
        live_sandbox.seed.now,
        {"ticket_id": ticket.id, "company_id": MUSTER, "stage": ticket.stage},
    )
    body = json.dumps(event).encode()
    forged = shared_secret_headers(["guessed"], int(time.time()), body)
    genuine = shared_secret_headers([CRM_WEBHOOK_SECRET], int(time.time()), body)
    assert (await post(url, "crm", body, forged)).status_code == 400
    assert (await post(url, "crm", body, {})).status_code == 400
    assert (await post(url, "crm", body, genuine)).status_code == 200
    assert (await streams.published(str(event["id"])))["kind"] == "ticket.status_changed"
    unknown = await post(url, "erp", body, genuine)
    assert unknown.status_code == 404


async def test_after_a_payment_webhook_the_invoice_is_fresh_at_once(
    live_sandbox: Sandbox, live_tokens: Tokens, gateway: tuple[str, str]
) -> None:
    """The invoice is cached (Redis) when the payment succeeds; the webhook invalidates it
    before it is acknowledged, so the very next query reads the ERP's new state."""
    url, _ = gateway
    intent = processing_payment(live_sandbox.seed)
    invoice_id, expected = invoice_after(live_sandbox.seed, intent)
    query = "query($id: ID!) { invoice(id: $id) { status amountResidual { amount } } }"
    body = {"query": query, "variables": {"id": global_id("Invoice", "erp", invoice_id)}}
    headers = {"Authorization": f"Bearer {await live_tokens('daniel')}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=WAIT_S) as http:
        before = await http.post("/graphql", json=body)
        await advance(live_sandbox, "payments", object="payment", id=intent.id, to="SUCCEEDED")
        after = await http.post("/graphql", json=body)
    assert before.json()["data"]["invoice"] != expected
    assert after.json()["data"]["invoice"] == expected


async def test_an_event_whose_read_back_failed_is_retried_at_once_not_at_the_next_claim(
    live_sandbox: Sandbox, redis_client: Redis, redis_url: str
) -> None:
    """The CRM is down while the consumer reads the change back: the consumer tries again
    with a short backoff, so the event is published once the CRM answers, long before a
    claim of stale entries (an hour here) would take it up."""
    prefix = new_prefix()
    overrides = {"redis_url": redis_url, "cache_prefix": prefix, "polling": False,
                 "events_claim_idle_s": 3600.0}  # fmt: skip
    upstream = Upstream(live_sandbox)
    try:
        with live_gateway(live_sandbox, **overrides) as url:
            upstream.fault("crm", mode="down", operations=["GET /api/v1/tickets"])
            try:
                reads_before = upstream.counts("crm").get("GET /api/v1/tickets", 0)

                async def read_back_failed() -> bool:
                    return upstream.counts("crm").get("GET /api/v1/tickets", 0) > reads_before

                event_id = await marker(url, live_sandbox)
                await wait_until(read_back_failed, WAIT_S)
            finally:
                upstream.fault("crm", mode="ok")
            published = await Streams(redis_client, prefix).published(event_id)
        assert published["event_id"] == event_id
    finally:
        delete_prefix(redis_url, prefix)
