"""How long the sandbox's systems keep bookkeeping records despite an erasure request: ten
years from the end of the business year they belong to (Swiss CO art. 958f), as the ERP keeps
its invoices and the DMS their documents."""

from datetime import date

BOOKKEEPING_YEARS = 10
BOOKKEEPING_REASON = "Bookkeeping record: kept for ten years (Swiss CO art. 958f)."


def bookkeeping_until(day: date) -> date:
    """The last day a bookkeeping record of `day` is kept."""
    return date(day.year + BOOKKEEPING_YEARS, 12, 31)
