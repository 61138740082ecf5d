"""The benchmark's scenarios: what each asks of the gateway, as whom, how often at once, at
which upstream latency, with the cache warm or cold, and the fewest upstream requests a query
of it can make. The tests (`tests/e2e/test_bench_scenarios.py`) pin those counts.
"""

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QUERIES = Path(__file__).parent / "queries"
DASHBOARD = (QUERIES / "dashboard.graphql").read_text()
ORDER_DETAIL = (QUERIES / "order_detail.graphql").read_text()
TICKETS_WITH_MESSAGES = (QUERIES / "tickets_with_messages.graphql").read_text()
CREATE_PAYMENT_SESSION = (QUERIES / "create_payment_session.graphql").read_text()
EXECUTED = {"Cache-Control": "no-store"}
"""Headers that make the gateway execute a query instead of answering it from its response
cache (where one user's repeated query is answered for a few seconds)."""

Ask = Callable[[str, Mapping[str, object] | None], Awaitable[Mapping[str, Any]]]
"""Runs a query as the scenario's user and answers its `data` (for finding IDs to use)."""
Variables = Callable[[int], Mapping[str, object]]
"""The variables of the n-th request."""


def fixed(variables: Mapping[str, object]) -> Variables:
    return lambda _: variables


async def no_variables(_: Ask) -> Variables:
    return fixed({})


async def detailed_order(ask: Ask) -> Variables:
    """An order with deliveries and invoices that have payments and documents: every branch of
    the detail query reaches its upstream."""
    data = await ask(
        "{ orders(first: 50) { edges { node { id deliveries { number }"
        " invoices { payments { id } documents { id } } } } } }",
        None,
    )
    for edge in data["orders"]["edges"]:
        order = edge["node"]
        invoices = order["invoices"] or []
        if order["deliveries"] and any(i["payments"] and i["documents"] for i in invoices):
            return fixed({"id": order["id"]})
    raise RuntimeError("the seed has no order with deliveries, payments and documents")


async def payable_invoice(ask: Ask) -> Variables:
    """A fresh payment session of 1.00 on an open invoice per request (a new idempotency key
    each time, so that every request writes)."""
    data = await ask(
        "{ invoices(first: 20, filter: {statuses: [OPEN], kinds: [INVOICE]}) {"
        " edges { node { id amountResidual { currencyCode } } } } }",
        None,
    )
    invoice = data["invoices"]["edges"][0]["node"]
    currency = invoice["amountResidual"]["currencyCode"]

    def variables(_: int) -> Mapping[str, object]:
        allocation = {
            "invoiceId": invoice["id"],
            "amount": {"amount": "1.00", "currencyCode": currency},
        }
        return {
            "input": {
                "allocations": [allocation],
                "method": "CARD",
                "returnUrl": "https://portal.example/paid",
                "idempotencyKey": str(uuid.uuid4()),
            }
        }

    return variables


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    query: str
    cached: bool
    """Whether it runs with the cache on (and warmed) or off (every query cold)."""
    concurrency: int
    latency_ms: int
    """Each upstream request's latency in the sandbox."""
    upstream_per_query: int
    """The fewest upstream requests a query can make: one per entity type and nesting level
    when cold (a mutation: its reads and its write), none for cached types when warm."""
    user: str = "anna"
    mfa: bool = False
    """Whether the scenario needs the user's second factor (the tests' tokens ask for it;
    `demo_token` always signs in with it where the user has one)."""
    prepare: Callable[[Ask], Awaitable[Variables]] = no_variables
    response_cache: bool = False
    """Whether its repeated query may be answered from the response cache (one user asking
    again and again); else every request says `Cache-Control: no-store` and is executed."""

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.response_cache else dict(EXECUTED)


SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            "dashboard-cold",
            "the dashboard (4 systems, 3 levels), every upstream, one client",
            DASHBOARD,
            cached=False,
            concurrency=1,
            latency_ms=20,
            upstream_per_query=11,
        ),
        Scenario(
            "dashboard-warm",
            "the dashboard again and again, 32 clients: the response cache's answer",
            DASHBOARD,
            cached=True,
            concurrency=32,
            latency_ms=20,
            upstream_per_query=0,
            response_cache=True,
        ),
        Scenario(
            "dashboard-warm-entities",
            "the dashboard executed from a warm entity cache, 32 clients",
            DASHBOARD,
            cached=True,
            concurrency=32,
            latency_ms=20,
            upstream_per_query=0,
        ),
        Scenario(
            "order-detail",
            "one order with lines, deliveries, invoices, payments, documents, thread",
            ORDER_DETAIL,
            cached=False,
            concurrency=4,
            latency_ms=20,
            upstream_per_query=8,
            prepare=detailed_order,
        ),
        Scenario(
            "two-level-rest",
            "tickets with their messages (CRM REST only), 5 ms upstream, 8 clients",
            TICKETS_WITH_MESSAGES,
            cached=False,
            concurrency=8,
            latency_ms=5,
            upstream_per_query=2,
        ),
        Scenario(
            "mutation",
            "createPaymentSession (MFA), the invoice read from the cache, 4 clients",
            CREATE_PAYMENT_SESSION,
            cached=True,
            concurrency=4,
            latency_ms=20,
            upstream_per_query=1,
            user="daniel",
            mfa=True,
            prepare=payable_invoice,
        ),
    )
}
