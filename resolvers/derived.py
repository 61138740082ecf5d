"""States computed at read time from dates (domain.md §1): quote expiry, overdue invoices,
the SLA clock. Those computed from the instant tell the response cache when they change next
(`connectors.base.reads.valid_until`); those from the day change at midnight, which
`Context.today` tells it."""

import math
from datetime import date, datetime, timedelta

from connectors.base import records as r
from connectors.base.reads import valid_until

AT_RISK_PERCENT = 80
OPEN_INVOICE_STATES = frozenset({"OPEN", "PARTIALLY_PAID"})


def quote_status(quote: r.Quote, today: date) -> str:
    if quote.status == "SENT" and quote.valid_until < today:
        return "EXPIRED"
    return quote.status


def is_overdue(invoice: r.Invoice, today: date) -> bool:
    return invoice.status in OPEN_INVOICE_STATES and invoice.due_date < today


def days_overdue(invoice: r.Invoice, today: date) -> int:
    return (today - invoice.due_date).days if is_overdue(invoice, today) else 0


def sla_percent_elapsed(sla: r.SlaClock, created_at: datetime, now: datetime) -> float:
    """How much of the resolution time is used up; a paused clock stops at its pause."""
    end = sla.resolved_at or sla.paused_since or now
    budget = (sla.resolution_due_at - created_at).total_seconds()
    if budget <= 0:
        return 100.0
    percent = (end - created_at).total_seconds() / budget * 100
    if end is now:  # the next tenth of a percent it rounds to
        step = (math.floor(max(0.0, percent) * 10 + 0.5) + 0.5) / 10
        valid_until(created_at + timedelta(seconds=budget * step / 100))
    return round(max(0.0, percent), 1)


def sla_status(ticket: r.Ticket, now: datetime) -> str:
    sla = ticket.sla
    if sla.resolved_at is not None or ticket.status in {"RESOLVED", "CLOSED", "CANCELLED"}:
        if sla.resolved_at is None and now <= sla.resolution_due_at:
            valid_until(sla.resolution_due_at)
        return "MET" if (sla.resolved_at or now) <= sla.resolution_due_at else "BREACHED"
    if sla.paused_since is not None:
        return "PAUSED"
    first_response = None if sla.first_responded_at else sla.first_response_due_at
    for due in (sla.resolution_due_at, first_response):
        if due is not None and now <= due:
            valid_until(due)
    if now > sla.resolution_due_at or (
        sla.first_responded_at is None and now > sla.first_response_due_at
    ):
        return "BREACHED"
    if sla_percent_elapsed(sla, ticket.created_at, now) >= AT_RISK_PERCENT:
        return "AT_RISK"
    return "ON_TRACK"
