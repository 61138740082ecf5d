"""A sandbox of a test module's own for tests that change upstream state (the session's
sandbox is read by other tests and must stay as seeded), with gateways that receive its
webhooks, and `advance` to change a record through the sandbox's `/_advance`."""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest

from portalgraph.app import advancing_clock, create_app
from sandbox.model import PaymentIntent, Seed
from sandbox.seed import MUSTER
from sandbox.server import Sandbox, bind
from tests.servers import serve_in_thread
from tests.stack import Tokens, gateway_settings, running_sandbox

LIVE_SETTINGS: dict[str, Any] = {
    "polling": True,
    "erp_poll_interval_s": 0.2,
    "poll_lease_ttl_s": 2.0,
    "events_claim_idle_s": 2.0,
    "ws_keep_alive_s": 5.0,
}


@pytest.fixture(scope="module")
def live_sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def live_tokens(live_sandbox: Sandbox) -> Tokens:
    return Tokens(live_sandbox.url("idp"))


@contextmanager
def live_gateway(sandbox: Sandbox, **overrides: Any) -> Iterator[str]:
    """A gateway that polls the ERP and to which the sandbox sends its webhooks (until the
    block ends: then they go where they went before)."""
    sock = bind()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = gateway_settings(sandbox, **{**LIVE_SETTINGS, **overrides})
    app = create_app(settings, advancing_clock(sandbox.seed.now))
    previous, sandbox.webhooks.url = sandbox.webhooks.url, f"{url}/webhooks"
    try:
        with serve_in_thread(app, sock):
            yield url
    finally:
        sandbox.webhooks.url = previous


async def advance(sandbox: Sandbox, system: str, **body: Any) -> dict[str, Any]:
    """Change a record in the sandbox; its webhook is delivered when this returns."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(f"{sandbox.url(system)}/_advance", json=body)
    answer: dict[str, Any] = response.json()
    assert response.status_code == 200, answer
    if sandbox.webhooks.url is not None:
        assert answer.get("webhook", {"delivered": True})["delivered"], answer
    return answer


def open_ticket(seed: Seed, customer: str) -> str:
    return next(t.id for t in seed.tickets if t.customer == customer and t.stage == "in_progress")


async def post_message(sandbox: Sandbox, body: str) -> None:
    """A public message on an open ticket of Muster's (the CRM sends `comment.created`)."""
    ticket = open_ticket(sandbox.seed, MUSTER)
    await advance(sandbox, "crm", object="message", ticket_id=ticket, body=body)


def processing_payment(seed: Seed) -> PaymentIntent:
    return next(
        i for i in seed.payment_intents if i.customer == MUSTER and i.status == "processing"
    )


def invoice_after(seed: Seed, intent: PaymentIntent) -> tuple[str, dict[str, Any]]:
    """The first invoice the payment settles, and its `status amountResidual { amount }` once
    the ERP has reconciled the payment."""
    invoice_id, paid = intent.allocations[0]
    invoice = next(i for i in seed.invoices if i.id == invoice_id)
    residual = max(Decimal(0), invoice.amount_residual - Decimal(paid) / 100)
    status = "PAID" if residual == 0 else "PARTIALLY_PAID"
    return invoice_id, {"status": status, "amountResidual": {"amount": f"{residual:.2f}"}}
