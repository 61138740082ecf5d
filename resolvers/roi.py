"""The portal's return on investment, with the seeds' formula:

    gross savings / month = actions per month × minutes saved per action ÷ 60 × hourly rate
    net savings / month   = gross − monthly operating cost
    payback months        = one-off cost ÷ net savings per month
    first-year ROI        = (12 × net savings − one-off cost) ÷ one-off cost

Minutes saved are assumed per kind of self-service action; every assumption is returned with
the result, so that whoever reads the estimate sees what it rests on. Pure functions.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

DEFAULT_MINUTES_SAVED: dict[str, Decimal] = {
    "ORDER_STATUS_CHECK": Decimal(4),
    "INVOICE_LOOKUP": Decimal(5),
    "DOCUMENT_LOOKUP": Decimal(4),
    "TICKET_STATUS_CHECK": Decimal(3),
    "QUOTE_LOOKUP": Decimal(4),
}
"""A service desk's estimate of the phone call or e-mail each action replaces (configurable)."""


@dataclass(frozen=True)
class RoiAssumptions:
    hourly_rate: Decimal = Decimal(80)
    """Internal cost of one hour of the provider's staff (fully loaded)."""
    monthly_operating_cost: Decimal = Decimal(800)
    one_off_cost: Decimal = Decimal(50_000)
    currency: str = "CHF"
    minutes_saved: Mapping[str, Decimal] = field(
        default_factory=lambda: dict(DEFAULT_MINUTES_SAVED)
    )
    """Minutes of staff time one self-service action saves, by action kind."""


@dataclass(frozen=True)
class RoiEstimate:
    minutes_saved_per_month: Decimal
    gross_savings_per_month: Decimal
    net_savings_per_month: Decimal
    payback_months: Decimal | None
    """None when the portal does not pay back (no net savings)."""
    first_year_roi: Decimal
    """A fraction: 0.536 is +53.6 %."""


def estimate(actions_per_month: Mapping[str, Decimal], assumptions: RoiAssumptions) -> RoiEstimate:
    """The estimate for monthly action counts by kind; kinds without an assumed saving count
    for nothing."""
    minutes = sum(
        (count * assumptions.minutes_saved.get(kind, Decimal(0)))
        for kind, count in actions_per_month.items()
    )
    minutes_total = Decimal(minutes)
    gross = minutes_total / 60 * assumptions.hourly_rate
    net = gross - assumptions.monthly_operating_cost
    one_off = assumptions.one_off_cost
    payback = one_off / net if net > 0 else None
    roi = (12 * net - one_off) / one_off if one_off > 0 else Decimal(0)
    return RoiEstimate(minutes_total, gross, net, payback, roi)
