"""Invoices and credit notes (ERP), the account balance from open items, and the payments
allocated to an invoice (payment provider). Drafts are never shown."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from connectors.base import records as r
from connectors.base.instants import comparable
from connectors.base.ports import ListFilter
from resolvers.access import owned, owned_all
from resolvers.context import Context
from resolvers.derived import is_overdue
from resolvers.listing import Sort, page_of
from resolvers.loaders import ListKey
from resolvers.pagination import PageArgs, Slice

INVOICE_SORT_KEYS = {
    "ISSUED_AT": lambda i: i.issued_at,
    "DUE_DATE": lambda i: i.due_date,
    "UPDATED_AT": lambda i: i.updated_at,
    "NUMBER": lambda i: i.number,
    "TOTAL": lambda i: i.totals.total.value,
}
DUE_SOON_DAYS = 30


def visible(invoice: r.Invoice | None) -> r.Invoice | None:
    return invoice if invoice is not None and invoice.status != "DRAFT" else None


@dataclass(frozen=True)
class InvoiceFilter:
    kinds: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    overdue: bool | None = None
    due_before: date | None = None
    search: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def accepts(self, invoice: r.Invoice, today: date) -> bool:
        return (
            (not self.kinds or invoice.kind in self.kinds)
            and (not self.statuses or invoice.status in self.statuses)
            and (self.overdue is None or is_overdue(invoice, today) == self.overdue)
            and (self.due_before is None or invoice.due_date < self.due_before)
        )


async def all_invoices(ctx: Context, query: ListFilter | None = None) -> list[r.Invoice]:
    found: list[r.Invoice] = await ctx.loaders.invoices.load(
        ListKey(ctx.tenant, query or ListFilter())
    )
    for invoice in found:
        ctx.loaders.invoice.prime(invoice.id, invoice)
    return [invoice for invoice in found if visible(invoice)]


async def invoices(
    ctx: Context, where: InvoiceFilter, sort: Sort, page: PageArgs
) -> Slice[r.Invoice]:
    found = await all_invoices(ctx, ListFilter(where.search, where.date_from, where.date_to))
    matching = (invoice for invoice in found if where.accepts(invoice, ctx.today))
    return page_of(matching, sort, INVOICE_SORT_KEYS, "invoices", page)


async def invoice(ctx: Context, invoice_id: str) -> r.Invoice | None:
    return visible(owned(ctx, await ctx.loaders.invoice.load(invoice_id)))


async def of_order(ctx: Context, order: r.Order) -> list[r.Invoice]:
    found: list[r.Invoice] = await ctx.loaders.order_invoices.load(order.id)
    return [invoice for invoice in owned_all(ctx, found) if visible(invoice)]


async def credit_notes(ctx: Context, invoice: r.Invoice) -> list[r.Invoice]:
    found: list[r.Invoice] = await ctx.loaders.credit_notes.load(invoice.id)
    return [note for note in owned_all(ctx, found) if visible(note)]


async def payments(ctx: Context, invoice: r.Invoice) -> list[r.Payment]:
    """The provider's payments with an allocation to this invoice, oldest first."""
    found: list[r.Payment] = await ctx.loaders.payments.load(invoice.customer)
    allocated = [
        payment
        for payment in owned_all(ctx, found)
        if any(allocation.invoice_id == invoice.id for allocation in payment.allocations)
    ]
    return sorted(allocated, key=lambda payment: (comparable(payment.created_at), payment.id))


@dataclass(frozen=True)
class AccountBalance:
    total_open: r.Amount
    total_overdue: r.Amount
    due_within_30_days: r.Amount
    unapplied_credit: r.Amount
    credit_limit: r.Amount
    as_of: datetime
    items: list[r.OpenItem]
    """The open items it is computed from (their freshness is the balance's)."""


async def account_balance(ctx: Context) -> AccountBalance | None:
    customer: r.Customer | None = await ctx.loaders.customer.load(ctx.tenant)
    items: list[r.OpenItem] = await ctx.loaders.open_items.load(ctx.tenant)
    if customer is None:
        return None
    today, currency = ctx.today, customer.currency
    soon = today + timedelta(days=DUE_SOON_DAYS)

    def total(selected: list[r.OpenItem]) -> r.Amount:
        return r.Amount(sum((item.residual.value for item in selected), Decimal(0)), currency)

    debts = [item for item in items if item.kind == "INVOICE"]
    credits = [item for item in items if item.kind == "CREDIT_NOTE"]
    return AccountBalance(
        total_open=total(debts),
        total_overdue=total([item for item in debts if item.due_date < today]),
        due_within_30_days=total([item for item in debts if today <= item.due_date <= soon]),
        unapplied_credit=total(credits),
        credit_limit=customer.credit_limit,
        as_of=ctx.now,
        items=items,
    )
