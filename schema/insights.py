"""Insights: usage of the portal, tickets against their SLA, and the ROI estimate with the
assumptions it rests on."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import strawberry

from infra.usage import UsageCounts
from resolvers import insights as resolve
from resolvers.roi import RoiAssumptions, RoiEstimate

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def rounded(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


@strawberry.type(description="How often one kind of self-service action happened.")
class ActionCount:
    kind: str = strawberry.field(description="e.g. ORDER_STATUS_CHECK, INVOICE_LOOKUP.")
    count: int = strawberry.field(description="How many requests made it.")

    @classmethod
    def all_of(cls, actions: dict[str, int]) -> list["ActionCount"]:
        return [cls(kind=kind, count=count) for kind, count in sorted(actions.items())]


@strawberry.type(description="Usage over a day, a week or the whole range.")
class UsagePeriod:
    start: date = strawberry.field(description="The period's first day.")
    days: int = strawberry.field(description="How many days it spans.")
    active_users: int = strawberry.field(description="Distinct members who used the portal.")
    logins: int = strawberry.field(description="Distinct sign-in sessions.")
    self_service_actions: int = strawberry.field(description="Actions of every kind.")
    actions: list[ActionCount] = strawberry.field(description="Actions by kind.")

    @classmethod
    def of(cls, start: date, days: int, counts: UsageCounts) -> "UsagePeriod":
        return cls(
            start=start,
            days=days,
            active_users=counts.active_users,
            logins=counts.logins,
            self_service_actions=sum(counts.actions.values()),
            actions=ActionCount.all_of(counts.actions),
        )


@strawberry.type(description="Tickets created in the range, against their SLA.")
class SlaSummary:
    priority: str = strawberry.field(description="LOW, NORMAL, HIGH, URGENT, or ALL.")
    total: int = strawberry.field(description="Tickets (cancelled ones not counted).")
    met: int = strawberry.field(description="Resolved within the SLA.")
    breached: int = strawberry.field(description="Past a response or resolution deadline.")
    met_percent: float | None = strawberry.field(
        description="Met among the decided (met or breached) tickets; null when none is."
    )
    average_first_response_minutes: float | None = strawberry.field(
        description="From creation to the provider's first response."
    )
    average_resolution_minutes: float | None = strawberry.field(
        description="From creation to resolution, of the resolved tickets."
    )

    @classmethod
    def of(cls, line: resolve.SlaLine) -> "SlaSummary":
        return cls(
            priority=line.priority,
            total=line.total,
            met=line.met,
            breached=line.breached,
            met_percent=line.met_percent,
            average_first_response_minutes=line.average_first_response_minutes,
            average_resolution_minutes=line.average_resolution_minutes,
        )


@strawberry.type(description="Minutes of staff time one action of a kind saves (assumed).")
class MinutesSaved:
    kind: str = strawberry.field(description="The action kind.")
    minutes: Decimal = strawberry.field(description="Minutes saved per action.")
    actions_per_month: Decimal = strawberry.field(
        description="Actions of this kind per 30 days, from the range's usage."
    )


@strawberry.type(
    description="The estimate: actions per month × minutes saved ÷ 60 × hourly rate − monthly "
    "operating cost; payback and first-year ROI from the one-off cost."
)
class RoiReport:
    currency: str = strawberry.field(description="The currency of every amount.")
    hourly_rate: Decimal = strawberry.field(description="Assumed internal cost of an hour.")
    monthly_operating_cost: Decimal = strawberry.field(description="Assumed running cost.")
    one_off_cost: Decimal = strawberry.field(description="Assumed cost of building the portal.")
    minutes_saved: list[MinutesSaved] = strawberry.field(description="Assumed per action kind.")
    gross_savings_per_month: Decimal = strawberry.field(description="Staff time saved, valued.")
    net_savings_per_month: Decimal = strawberry.field(description="Gross minus operating cost.")
    payback_months: Decimal | None = strawberry.field(
        description="One-off cost ÷ net monthly savings; null when it never pays back."
    )
    first_year_roi_percent: Decimal = strawberry.field(
        description="(12 × net monthly savings − one-off cost) ÷ one-off cost, in percent."
    )

    @classmethod
    def of(
        cls, result: RoiEstimate, assumptions: RoiAssumptions, per_month: dict[str, Decimal]
    ) -> "RoiReport":
        kinds = sorted(set(assumptions.minutes_saved) | set(per_month))
        return cls(
            currency=assumptions.currency,
            hourly_rate=assumptions.hourly_rate,
            monthly_operating_cost=assumptions.monthly_operating_cost,
            one_off_cost=assumptions.one_off_cost,
            minutes_saved=[
                MinutesSaved(
                    kind=kind,
                    minutes=assumptions.minutes_saved.get(kind, Decimal(0)),
                    actions_per_month=rounded(per_month.get(kind, Decimal(0)), TENTH),
                )
                for kind in kinds
            ],
            gross_savings_per_month=rounded(result.gross_savings_per_month, CENT),
            net_savings_per_month=rounded(result.net_savings_per_month, CENT),
            payback_months=(
                rounded(result.payback_months, TENTH) if result.payback_months is not None else None
            ),
            first_year_roi_percent=rounded(result.first_year_roi * 100, TENTH),
        )


@strawberry.type(description="Usage, SLA and ROI of the portal over a date range.")
class Insights:
    date_from: date = strawberry.field(name="from", description="The range's first day.")
    date_to: date = strawberry.field(name="to", description="The range's last day.")
    organizations: list[str] = strawberry.field(
        description="The organizations counted (ERP customer numbers)."
    )
    total: UsagePeriod = strawberry.field(description="Usage over the whole range.")
    daily: list[UsagePeriod] = strawberry.field(description="Usage per day.")
    weekly: list[UsagePeriod] = strawberry.field(
        description="Usage per 7 days from `from` (the last period may be shorter)."
    )
    sla: list[SlaSummary] = strawberry.field(description="Per priority, then ALL.")
    roi: RoiReport = strawberry.field(description="The ROI estimate and its assumptions.")

    @classmethod
    def of(cls, report: resolve.InsightsReport) -> "Insights":
        return cls(
            date_from=report.date_from,
            date_to=report.date_to,
            organizations=report.organizations,
            total=UsagePeriod.of(report.date_from, len(report.daily), report.total),
            daily=[UsagePeriod.of(p.start, p.days, p.counts) for p in report.daily],
            weekly=[UsagePeriod.of(p.start, p.days, p.counts) for p in report.weekly],
            sla=[SlaSummary.of(line) for line in report.sla],
            roi=RoiReport.of(report.roi, report.assumptions, report.actions_per_month),
        )
