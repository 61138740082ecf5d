"""Paying invoices: start a payment for one or several invoices (partial amounts allowed, never
above an invoice's residual) and cancel one still awaiting the customer.

`start` runs once per idempotency key of an organization (`resolvers.idempotent`): the first
result is kept in the shared store and replayed to a retry with the same input; the key is
passed on to the provider (scoped by organization), so even a retry after a lost answer
creates no second payment there. Validation runs before the key is claimed: a refused input
claims nothing.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal

from pydantic import TypeAdapter

from connectors.base import records as r
from connectors.base.errors import UpstreamError
from resolvers.access import owned
from resolvers.context import Context
from resolvers.errors import client_failure
from resolvers.idempotent import key_problems, run_idempotent
from resolvers.writes import Problem

PAYABLE = frozenset({"OPEN", "PARTIALLY_PAID"})
CANCELABLE = frozenset({"PENDING", "REQUIRES_ACTION"})
METHODS = {"CARD": None, "TWINT": "CHF", "POSTFINANCE": "CHF"}
"""Methods the provider offers, and the one currency a method is limited to."""
MAX_ALLOCATIONS = 50
RETURN_URL = re.compile(r"https://\S+|http://(localhost|127\.0\.0\.1)(:\d+)?(/\S*)?")
PAYMENT = TypeAdapter(r.Payment)


@dataclass(frozen=True)
class AllocationRequest:
    invoice_id: str | None
    """The ERP invoice ID, or None when the given ID is not an invoice's."""
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class PaymentRequest:
    allocations: tuple[AllocationRequest, ...]
    method: str
    return_url: str | None
    idempotency_key: str

    def fingerprint(self) -> str:
        canonical = json.dumps(
            [
                [[a.invoice_id, str(a.amount), a.currency] for a in self.allocations],
                self.method,
                self.return_url,
            ]
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


async def start(ctx: Context, request: PaymentRequest) -> r.Payment | list[Problem]:
    problems = _check_request(request)
    if problems:
        return problems
    known = [a.invoice_id for a in request.allocations if a.invoice_id]
    by_id = dict(zip(known, await ctx.loaders.invoice.load_many(known), strict=True))
    invoices = [by_id.get(a.invoice_id) if a.invoice_id else None for a in request.allocations]
    problems = _check_invoices(ctx, request, invoices)
    if problems:
        return problems
    start = r.PaymentStart(
        customer=ctx.tenant,
        allocations=tuple(
            r.Allocation(str(a.invoice_id), r.Amount(a.amount, a.currency))
            for a in request.allocations
        ),
        method=request.method,
        return_url=request.return_url,
        idempotency_key=f"{ctx.tenant}-{request.idempotency_key}",
    )

    async def create() -> bytes:
        return PAYMENT.dump_json(await ctx.writes.upstreams.payments.start_payment(start))

    outcome = await run_idempotent(
        ctx,
        "createPaymentSession",
        request.idempotency_key,
        request.fingerprint(),
        create,
        "payments",
    )
    if isinstance(outcome, list):
        return outcome
    payment = PAYMENT.validate_json(outcome)
    await ctx.writes.invalidate({"payment": [payment.id], "payments": [ctx.tenant]})
    return payment


async def cancel(ctx: Context, payment_id: str | None) -> r.Payment | list[Problem]:
    found = owned(ctx, await ctx.loaders.payment.load(payment_id)) if payment_id else None
    if found is None:
        return [Problem(("input", "paymentId"), "NOT_FOUND", "No payment with this ID exists.")]
    if found.status not in CANCELABLE:
        return [
            Problem(
                ("input", "paymentId"),
                "PAYMENT_NOT_CANCELABLE",
                f"Only a pending payment can be canceled; this one is {found.status}.",
            )
        ]
    try:
        payment = await ctx.writes.upstreams.payments.cancel_payment(found.id)
    except UpstreamError as error:
        raise client_failure(error) from error
    await ctx.writes.invalidate({"payment": [payment.id], "payments": [ctx.tenant]})
    return payment


def _check_request(request: PaymentRequest) -> list[Problem]:
    problems = key_problems(request.idempotency_key)
    if request.return_url is not None and not RETURN_URL.fullmatch(request.return_url):
        problems.append(
            Problem(("input", "returnUrl"), "INVALID", "The return URL must be an https URL.")
        )
    if request.method not in METHODS:
        problems.append(
            Problem(
                ("input", "method"),
                "METHOD_NOT_AVAILABLE",
                f"Pay online with one of {', '.join(METHODS)}.",
            )
        )
    if not 1 <= len(request.allocations) <= MAX_ALLOCATIONS:
        problems.append(
            Problem(
                ("input", "allocations"),
                "INVALID",
                f"Pay 1 to {MAX_ALLOCATIONS} invoices at once.",
            )
        )
    return problems


def _check_invoices(
    ctx: Context, request: PaymentRequest, invoices: list[r.Invoice | None]
) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    currencies = {a.currency for a in request.allocations}
    only = METHODS.get(request.method)
    for index, (wanted, found) in enumerate(zip(request.allocations, invoices, strict=True)):
        path = ("input", "allocations", str(index))
        invoice = owned(ctx, found)
        if invoice is None or invoice.kind != "INVOICE":
            problems.append(
                Problem((*path, "invoiceId"), "NOT_FOUND", "No invoice with this ID exists.")
            )
            continue
        residual = invoice.amount_residual
        if invoice.id in seen:
            problems.append(
                Problem((*path, "invoiceId"), "DUPLICATE", "Each invoice may appear only once.")
            )
        seen.add(invoice.id)
        if invoice.status not in PAYABLE:
            problems.append(
                Problem(
                    (*path, "invoiceId"),
                    "INVOICE_NOT_PAYABLE",
                    f"Invoice {invoice.number} is {invoice.status}; it cannot be paid now.",
                )
            )
        elif wanted.currency != residual.currency or len(currencies) > 1:
            problems.append(
                Problem(
                    (*path, "amount", "currencyCode"),
                    "CURRENCY_MISMATCH",
                    f"Invoice {invoice.number} is payable in {residual.currency}; one payment "
                    "is in one currency.",
                )
            )
        elif only is not None and only != residual.currency:
            problems.append(
                Problem(
                    ("input", "method"),
                    "METHOD_NOT_AVAILABLE",
                    f"{request.method} takes {only} only.",
                )
            )
        elif wanted.amount <= 0 or wanted.amount.as_tuple().exponent < -2:  # type: ignore[operator]
            problems.append(
                Problem(
                    (*path, "amount", "amount"),
                    "INVALID_AMOUNT",
                    "The amount must be positive, with at most two decimals.",
                )
            )
        elif wanted.amount > residual.value:
            problems.append(
                Problem(
                    (*path, "amount", "amount"),
                    "AMOUNT_ABOVE_RESIDUAL",
                    f"Invoice {invoice.number} has {residual.value} {residual.currency} open.",
                )
            )
    return problems
