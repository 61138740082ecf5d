"""Personal recommendations, only for a viewer who granted the PERSONALIZATION consent (the
CRM's register, the decision in force for their e-mail address in this organization):
without it, none are computed and nothing of theirs is read for them.

Computed at read time from the records the viewer may read anyway, nothing kept:
- REORDER: products in at least `MIN_ORDERS` of the organization's latest `RECENT_ORDERS`
  orders (cancelled ones left out), most often ordered first, with the latest order holding
  each (the `reorder` mutation takes it); needs `orders:read`.
- INVOICES_DUE: open invoices falling due within `DUE_WITHIN_DAYS` days from today (not yet
  overdue); needs `invoices:read`.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from auth.permissions import allows
from auth.policy import Permission
from connectors.base import records as r
from resolvers.consents import decisions_of, email_of, in_force
from resolvers.context import Context
from resolvers.derived import OPEN_INVOICE_STATES
from resolvers.invoices import all_invoices
from resolvers.labels import language_of
from resolvers.orders import all_orders

RECENT_ORDERS = 20
MIN_ORDERS = 2
MAX_REORDER = 3
DUE_WITHIN_DAYS = 7
PURPOSE = "PERSONALIZATION"


@dataclass(frozen=True)
class Reorder:
    product_code: str
    description: str
    times_ordered: int
    """In how many of the recent orders the product was."""
    last_order: r.Order


@dataclass(frozen=True)
class InvoicesDue:
    invoices: tuple[r.Invoice, ...]
    """Soonest due first."""
    totals: tuple[r.Amount, ...]
    """The residual amounts due, one per currency."""


Recommendation = Reorder | InvoicesDue

_TEXTS = {
    # language: (reorder title, reorder message, due title, due message)
    "de": ("Wieder bestellen", "{description}: in {count} Ihrer letzten Bestellungen",
           "Diese Woche fällig", "{count} Rechnung(en) sind in den nächsten 7 Tagen fällig"),
    "fr": ("Commander à nouveau", "{description} : dans {count} de vos dernières commandes",
           "À payer cette semaine", "{count} facture(s) arrivent à échéance dans les 7 jours"),
    "it": ("Ordina di nuovo", "{description}: in {count} dei vostri ultimi ordini",
           "In scadenza questa settimana", "{count} fattura/e scadono nei prossimi 7 giorni"),
    "en": ("Order again", "{description}: in {count} of your recent orders",
           "Due this week", "{count} invoice(s) fall due within the next 7 days"),
}  # fmt: skip


async def consented(ctx: Context) -> bool:
    email = email_of(ctx)
    principal = ctx.principal
    if email is None or principal is None or principal.tenant is None:
        return False
    decision = in_force(await decisions_of(ctx.loaders, principal.tenant, email)).get(PURPOSE)
    return decision is not None and decision.granted


async def recommendations(ctx: Context) -> list[Recommendation]:
    if not await consented(ctx):
        return []
    found: list[Recommendation] = []
    if allows(ctx.principal, Permission.ORDERS_READ):
        found += await reorders(ctx)
    if allows(ctx.principal, Permission.INVOICES_READ):
        due = await invoices_due(ctx)
        if due is not None:
            found.append(due)
    return found


async def reorders(ctx: Context) -> list[Reorder]:
    orders = [o for o in await all_orders(ctx) if o.status != "CANCELLED"]
    recent = sorted(orders, key=lambda o: o.ordered_at, reverse=True)[:RECENT_ORDERS]
    lines = await ctx.loaders.order_lines.load_many([o.id for o in recent])
    counts: Counter[str] = Counter()
    latest: dict[str, tuple[r.Order, r.DocumentLine]] = {}
    for order, order_lines in zip(recent, lines, strict=True):
        for code in {line.product_code for line in order_lines}:
            counts[code] += 1
            latest.setdefault(code, (order, next(x for x in order_lines if x.product_code == code)))
    frequent = [(code, n) for code, n in counts.items() if n >= MIN_ORDERS]
    frequent.sort(key=lambda item: (-item[1], -latest[item[0]][0].ordered_at.timestamp()))
    return [
        Reorder(code, latest[code][1].description, n, latest[code][0])
        for code, n in frequent[:MAX_REORDER]
    ]


async def invoices_due(ctx: Context) -> InvoicesDue | None:
    today = ctx.today
    until = today + timedelta(days=DUE_WITHIN_DAYS)
    due = sorted(
        (
            invoice
            for invoice in await all_invoices(ctx)
            if invoice.kind == "INVOICE"
            and invoice.status in OPEN_INVOICE_STATES
            and today <= invoice.due_date < until
        ),
        key=lambda invoice: (invoice.due_date, invoice.number),
    )
    if not due:
        return None
    totals: dict[str, Decimal] = {}
    for invoice in due:
        residual = invoice.amount_residual
        totals[residual.currency] = totals.get(residual.currency, Decimal(0)) + residual.value
    return InvoicesDue(
        tuple(due), tuple(r.Amount(value, currency) for currency, value in sorted(totals.items()))
    )


def title(recommendation: Recommendation, locale: str) -> str:
    texts = _TEXTS[language_of(locale)]
    return texts[0] if isinstance(recommendation, Reorder) else texts[2]


def message(recommendation: Recommendation, locale: str) -> str:
    texts = _TEXTS[language_of(locale)]
    if isinstance(recommendation, Reorder):
        return texts[1].format(
            description=recommendation.description, count=recommendation.times_ordered
        )
    return texts[3].format(count=len(recommendation.invoices))
