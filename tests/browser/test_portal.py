"""The reference portal page in headless Chromium, on a sandbox and a gateway of this module's
own (the tests write): Anna signs in through the identity provider's forms with her second
factor, sees her dashboard, follows an order while the ERP ships it, opens a QR-bill, starts
a card payment and writes on a ticket. Screenshots at desktop and phone size go to
`test-artifacts/portal/`."""

import asyncio
import re
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from sandbox.seed import MUSTER
from sandbox.server import Sandbox
from schema.common import global_id
from tests.browser.chromium import DESKTOP, PHONE, screenshot, sign_in
from tests.live_stack import advance, live_gateway, open_ticket


@pytest.fixture(scope="module")
def portal_url(live_sandbox: Sandbox) -> Iterator[str]:
    with live_gateway(live_sandbox, portal=True) as url:
        yield url


@pytest.fixture(scope="module")
def anna(browser: Browser, portal_url: str) -> Iterator[Page]:
    """Anna's tab, signed in once for the module's tests."""
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    sign_in(page, portal_url, "anna")
    yield page
    context.close()


def beside_the_browser(step: Coroutine[Any, Any, Any]) -> Any:
    """Run an async step to its end in a thread of its own (Playwright's sync API holds this
    thread's event loop)."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, step).result(timeout=60)


def show(page: Page, portal_url: str, route: str) -> None:
    page.goto(f"{portal_url}/portal/#{route}")


def test_anna_signs_in_with_her_second_factor_and_sees_her_dashboard(anna: Page) -> None:
    expect(anna.get_by_role("heading", name="Hello Anna Keller")).to_be_visible()
    expect(anna.get_by_text("Anna Keller · Muster Maschinenbau AG")).to_be_visible()
    expect(anna.get_by_role("heading", name="Account balance")).to_be_visible()
    expect(anna.get_by_role("heading", name="Open invoices (")).to_be_visible()
    expect(anna.get_by_role("heading", name="Recent orders")).to_be_visible()
    expect(anna.get_by_role("heading", name="Open tickets (")).to_be_visible()
    expect(anna.locator(".notice")).to_have_count(0)  # every widget's systems answered
    screenshot(anna, "dashboard-desktop")
    anna.set_viewport_size(PHONE)
    try:
        expect(anna.get_by_role("navigation", name="Main")).to_be_visible()
        assert anna.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(anna, "dashboard-phone")
    finally:
        anna.set_viewport_size(DESKTOP)


def test_the_case_list_filters_and_searches(anna: Page, portal_url: str) -> None:
    show(anna, portal_url, "/cases")
    anna.get_by_label("Type").select_option("TICKET")
    anna.get_by_role("button", name="Apply").click()
    cases = anna.locator("#case-list li")
    expect(anna.get_by_role("status").filter(has_text=re.compile(r"^\d+ tickets$"))).to_be_visible()
    expect(cases.first).to_be_visible()
    expect(cases.filter(has_not_text="T-2026-")).to_have_count(0)
    anna.get_by_label("Search").fill("T-2026-0002")
    anna.get_by_role("button", name="Apply").click()
    expect(anna).to_have_url(f"{portal_url}/portal/#/cases?q=T-2026-0002&type=TICKET")
    expect(cases).to_have_count(1)
    expect(cases).to_contain_text("Ersatzteil falsch geliefert")


def test_an_order_shows_its_delivery_shipping_without_a_reload(
    anna: Page, portal_url: str, live_sandbox: Sandbox
) -> None:
    delivery = next(
        d for d in live_sandbox.seed.deliveries if d.customer == MUSTER and d.state == "waiting"
    )
    show(anna, portal_url, f"/orders/{quote(global_id('Order', 'erp', delivery.order_id))}")
    row = anna.locator("tr", has_text=delivery.number)
    expect(row.locator(".delivery-status")).to_have_text("Planned")
    expect(anna.locator("#live-status")).to_contain_text("Live:")
    anna.evaluate("window.loadedBefore = true")
    beside_the_browser(
        advance(live_sandbox, "erp", object="delivery", id=delivery.id, to="SHIPPED")
    )
    expect(row.locator(".delivery-status")).to_have_text("Shipped")
    expect(anna.locator("#live-status")).to_have_text(f"Delivery {delivery.number} is now Shipped.")
    assert anna.evaluate("window.loadedBefore") is True  # the same page, never reloaded
    anna.set_viewport_size(PHONE)
    try:
        screenshot(anna, "order-phone")
    finally:
        anna.set_viewport_size(DESKTOP)


def test_an_invoice_shows_its_qr_bill_and_starts_a_card_payment(
    anna: Page, portal_url: str, live_sandbox: Sandbox
) -> None:
    invoice = next(
        i
        for i in live_sandbox.seed.invoices
        if i.customer == MUSTER and i.move_type == "out_invoice" and i.payment_state == "not_paid"
        and i.state == "posted"
    )  # fmt: skip
    show(anna, portal_url, f"/invoices/{quote(global_id('Invoice', 'erp', invoice.id))}")
    expect(anna.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    anna.get_by_role("button", name="Show QR-bill").click()
    qr_bill = anna.get_by_role(
        "img", name=f"Swiss QR-bill payment part for invoice {invoice.number}"
    )
    expect(qr_bill).to_have_attribute("src", re.compile(r"^blob:"))
    anna.wait_for_function("document.getElementById('qr-bill').naturalWidth > 0")
    anna.get_by_role("button", name="by card").click()
    payment = anna.locator("#payment")
    expect(payment).to_contain_text("Payment of")
    expect(payment.get_by_role("link", name="Continue to the payment page")).to_have_attribute(
        "href", re.compile(r"^http")
    )
    screenshot(anna, "invoice-desktop")


def test_a_message_posted_on_a_ticket_is_kept_by_the_crm(
    anna: Page, portal_url: str, live_sandbox: Sandbox
) -> None:
    ticket = global_id("Ticket", "crm", open_ticket(live_sandbox.seed, MUSTER))
    show(anna, portal_url, f"/tickets/{quote(ticket)}")
    text = "Die Maschine steht still, bitte rasch ersetzen."
    anna.get_by_label("Your message").fill(text)
    anna.get_by_role("button", name="Send message").click()
    messages = anna.locator("#messages li")
    expect(messages.last).to_contain_text(text)
    expect(messages.last).to_contain_text("Anna Keller")
    expect(anna.get_by_label("Your message")).to_have_value("")
    anna.reload()  # read back from the CRM through the gateway
    expect(anna.locator("#messages li", has_text=text)).to_have_count(1)
    anna.set_viewport_size(PHONE)
    try:
        screenshot(anna, "ticket-phone")
    finally:
        anna.set_viewport_size(DESKTOP)
