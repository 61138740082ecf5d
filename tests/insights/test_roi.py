"""The ROI formula against the seeds' three worked examples, rounded as they are."""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from resolvers.roi import RoiAssumptions, estimate

# (actions/month, minutes saved, hourly rate, monthly cost, one-off cost) →
# (gross/month, net/month, payback months, first-year ROI in percent), as the seeds give them
WORKED_EXAMPLES = {
    "conservative": ((600, 4, 70, 600, 40_000), ("2800", "2200", "18.2", "-34")),
    "realistic": ((900, 6, 80, 800, 50_000), ("7200", "6400", "7.8", "53.6")),
    "ambitious": ((1200, 8, 80, 1000, 60_000), ("12800", "11800", "5.1", "136")),
}


def to_places(value: Decimal, example: str) -> Decimal:
    """`value` rounded to as many decimal places as `example` shows."""
    places = Decimal(1).scaleb(Decimal(example).as_tuple().exponent)  # type: ignore[arg-type]
    return value.quantize(places, rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("name", WORKED_EXAMPLES)
def test_worked_example(name: str) -> None:
    (actions, minutes, rate, monthly, one_off), expected = WORKED_EXAMPLES[name]
    assumptions = RoiAssumptions(
        hourly_rate=Decimal(rate),
        monthly_operating_cost=Decimal(monthly),
        one_off_cost=Decimal(one_off),
        minutes_saved={"ANY": Decimal(minutes)},
    )
    result = estimate({"ANY": Decimal(actions)}, assumptions)
    assert result.payback_months is not None
    got = (
        result.gross_savings_per_month,
        result.net_savings_per_month,
        result.payback_months,
        result.first_year_roi * 100,
    )
    assert tuple(to_places(g, e) for g, e in zip(got, expected, strict=True)) == tuple(
        Decimal(e) for e in expected
    )


def test_actions_add_up_over_kinds_and_unassumed_kinds_save_nothing() -> None:
    assumptions = RoiAssumptions(
        hourly_rate=Decimal(60),
        monthly_operating_cost=Decimal(0),
        one_off_cost=Decimal(1000),
        minutes_saved={"A": Decimal(2), "B": Decimal(3)},
    )
    result = estimate({"A": Decimal(30), "B": Decimal(20), "C": Decimal(999)}, assumptions)
    assert result.minutes_saved_per_month == 120
    assert result.gross_savings_per_month == 120


def test_no_net_savings_never_pays_back() -> None:
    assumptions = RoiAssumptions(monthly_operating_cost=Decimal(1000), minutes_saved={})
    result = estimate({"A": Decimal(10)}, assumptions)
    assert result.payback_months is None
    assert result.first_year_roi < -1
