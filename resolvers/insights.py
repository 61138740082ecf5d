"""Insights for the customer's admin and the provider's portal owner: usage from the gateway's
own counters (`infra.usage`), tickets against their SLA from the CRM, and the ROI estimate.

Who may read them: `analytics:read` (the field's permission, see `auth.policy`); a customer
sees their organization, provider staff acting for no organization see any one, or all
together. Another organization asked for by a customer is NOT_FOUND, as for any object.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from auth.policy import is_staff
from auth.principal import Principal
from connectors.base import records as r
from connectors.base.ports import ListFilter
from connectors.base.reads import untracked
from infra.usage import UsageCounts, UsageStore
from resolvers.context import Context
from resolvers.derived import sla_status
from resolvers.errors import BadUserInput, NotFound, Unauthenticated
from resolvers.loaders import ListKey
from resolvers.roi import RoiAssumptions, RoiEstimate, estimate

MAX_DAYS = 366
PRIORITIES = ["URGENT", "HIGH", "NORMAL", "LOW"]
DAYS_PER_MONTH = Decimal(30)

ACTION_OF_FIELD = {
    "orders": "ORDER_STATUS_CHECK",
    "order": "ORDER_STATUS_CHECK",
    "invoices": "INVOICE_LOOKUP",
    "invoice": "INVOICE_LOOKUP",
    "accountBalance": "INVOICE_LOOKUP",
    "tickets": "TICKET_STATUS_CHECK",
    "ticket": "TICKET_STATUS_CHECK",
    "quotes": "QUOTE_LOOKUP",
    "quote": "QUOTE_LOOKUP",
    "documents": "DOCUMENT_LOOKUP",
    "document": "DOCUMENT_LOOKUP",
}
"""Root fields that are self-service: each answers a question that would otherwise be a call
or an e-mail to the provider. Counted once per kind and request."""


def actions_of(answered_fields: Sequence[str]) -> list[str]:
    return sorted({ACTION_OF_FIELD[f] for f in answered_fields if f in ACTION_OF_FIELD})


@dataclass(frozen=True)
class UsagePeriod:
    start: date
    days: int
    counts: UsageCounts


@dataclass(frozen=True)
class SlaLine:
    priority: str
    total: int
    met: int
    breached: int
    average_first_response_minutes: float | None
    average_resolution_minutes: float | None

    @property
    def met_percent(self) -> float | None:
        decided = self.met + self.breached
        return round(self.met / decided * 100, 1) if decided else None


@dataclass(frozen=True)
class InsightsReport:
    date_from: date
    date_to: date
    organizations: list[str]
    daily: list[UsagePeriod]
    weekly: list[UsagePeriod]
    total: UsageCounts
    sla: list[SlaLine]
    """One line per priority, then the line over all priorities (`ALL`)."""
    actions_per_month: dict[str, Decimal]
    roi: RoiEstimate
    assumptions: RoiAssumptions


def is_provider_staff(principal: Principal) -> bool:
    """Staff acting for no organization: insights across all of them."""
    return principal.tenant is None and is_staff(principal)


async def organizations_in_scope(
    ctx: Context, usage: UsageStore, organization: str | None
) -> list[str]:
    principal = ctx.principal
    if principal is None:
        raise Unauthenticated()
    if is_provider_staff(principal):
        return [organization] if organization else await usage.organizations()
    if organization not in (None, ctx.tenant):
        raise NotFound("organization")
    return [ctx.tenant]


def days_between(date_from: date, date_to: date) -> list[date]:
    if date_to < date_from:
        raise BadUserInput("`to` is before `from`.", "to")
    count = (date_to - date_from).days + 1
    if count > MAX_DAYS:
        raise BadUserInput(f"At most {MAX_DAYS} days at once.", "from")
    return [date_from + timedelta(days=n) for n in range(count)]


async def usage_over(usage: UsageStore, organizations: list[str], days: list[date]) -> UsageCounts:
    """Usage of several organizations together: their people and sessions are distinct."""
    parts = [await usage.counts(organization, days) for organization in organizations]
    actions: dict[str, int] = {}
    for part in parts:
        for kind, count in part.actions.items():
            actions[kind] = actions.get(kind, 0) + count
    return UsageCounts(sum(p.active_users for p in parts), sum(p.logins for p in parts), actions)


def sla_lines(tickets: list[r.Ticket], now: datetime) -> list[SlaLine]:
    counted = [t for t in tickets if t.status != "CANCELLED"]
    priorities = sorted(
        {t.priority for t in counted}, key=["URGENT", "HIGH", "NORMAL", "LOW"].index
    )
    return [sla_line(p, [t for t in counted if t.priority == p], now) for p in priorities] + [
        sla_line("ALL", counted, now)
    ]


def sla_line(priority: str, tickets: list[r.Ticket], now: datetime) -> SlaLine:
    states = [sla_status(ticket, now) for ticket in tickets]
    responses = [
        (t.sla.first_responded_at - t.created_at).total_seconds() / 60
        for t in tickets
        if t.sla.first_responded_at is not None
    ]
    resolutions = [
        (t.sla.resolved_at - t.created_at).total_seconds() / 60
        for t in tickets
        if t.sla.resolved_at is not None
    ]
    return SlaLine(
        priority=priority,
        total=len(tickets),
        met=states.count("MET"),
        breached=states.count("BREACHED"),
        average_first_response_minutes=_mean(responses),
        average_resolution_minutes=_mean(resolutions),
    )


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


async def insights(ctx: Context, date_from: date, date_to: date, org: str | None) -> InsightsReport:
    days = days_between(date_from, date_to)
    untracked("the usage counters")
    usage = ctx.usage
    organizations = await organizations_in_scope(ctx, usage, org)
    weeks = [days[start : start + 7] for start in range(0, len(days), 7)]
    daily = [UsagePeriod(d, 1, await usage_over(usage, organizations, [d])) for d in days]
    weekly = [
        UsagePeriod(week[0], len(week), await usage_over(usage, organizations, week))
        for week in weeks
    ]
    total = await usage_over(usage, organizations, days)
    query = ListFilter(date_from=date_from, date_to=date_to)
    tickets = [
        ticket
        for found in await ctx.loaders.tickets.load_many([ListKey(o, query) for o in organizations])
        for ticket in found
    ]
    per_month = {
        kind: Decimal(count) * DAYS_PER_MONTH / len(days) for kind, count in total.actions.items()
    }
    return InsightsReport(
        date_from=date_from,
        date_to=date_to,
        organizations=organizations,
        daily=daily,
        weekly=weekly,
        total=total,
        sla=sla_lines(tickets, ctx.now),
        actions_per_month=per_month,
        roi=estimate(per_month, ctx.roi),
        assumptions=ctx.roi,
    )
