"""Requesting, accepting (Odoo-style, with the signer's name) and declining quotes in the ERP.

The gateway checks the input and the quote as it reads it; the ERP decides (`sales_rules`).
The quote and the lists it and an acceptance's order appear in leave the cache
(`write_through`), so that a query right after sees the change.
"""

from datetime import date
from decimal import Decimal

from connectors.base import records as r
from resolvers import quotes
from resolvers.context import Context
from resolvers.derived import quote_status
from resolvers.sales_rules import INPUT, LIMITS, problem, requester, restated, text_problems
from resolvers.writes import Problem, write_through

QUOTE_ID = (*INPUT, "quoteId")


def stripped(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


async def request(
    ctx: Context, lines: tuple[r.LineRequest, ...], note: str | None, desired: date | None
) -> r.Quote | list[Problem]:
    problems = _request_problems(ctx, lines, note, desired)
    if problems:
        return problems
    wanted = r.QuoteRequest(ctx.tenant, requester(ctx), lines, stripped(note), desired)
    write = ctx.writes.upstreams.quotes.request_quote(wanted)
    return await write_through(
        ctx.writes, ctx.loaders, write, {}, {"quotes": ctx.tenant}, restate=restated
    )


async def accept(
    ctx: Context, quote_id: str | None, signer: str, reference: str | None
) -> tuple[r.Quote, r.Order] | list[Problem]:
    quote = await _open_quote(ctx, quote_id, expired_ok=False)
    problems = [
        *([quote] if isinstance(quote, Problem) else []),
        *text_problems(signer, "signerName", required=True),
        *text_problems(reference, "customerReference"),
    ]
    if problems or isinstance(quote, Problem):
        return problems
    write = ctx.writes.upstreams.quotes.accept_quote(
        ctx.tenant, quote.id, signer.strip(), stripped(reference)
    )
    lists = {"quotes": ctx.tenant, "orders": ctx.tenant}
    return await write_through(
        ctx.writes, ctx.loaders, write, {"quote": [quote.id]}, lists, restate=restated
    )


async def decline(ctx: Context, quote_id: str | None, reason: str) -> r.Quote | list[Problem]:
    quote = await _open_quote(ctx, quote_id, expired_ok=True)
    problems = [
        *([quote] if isinstance(quote, Problem) else []),
        *text_problems(reason, "reason", required=True),
    ]
    if problems or isinstance(quote, Problem):
        return problems
    write = ctx.writes.upstreams.quotes.decline_quote(ctx.tenant, quote.id, reason.strip())
    lists = {"quotes": ctx.tenant}
    return await write_through(
        ctx.writes, ctx.loaders, write, {"quote": [quote.id]}, lists, restate=restated
    )


async def _open_quote(ctx: Context, quote_id: str | None, expired_ok: bool) -> r.Quote | Problem:
    """The viewer's quote if it is still open (sent; or expired, where that is fine)."""
    found = await quotes.quote(ctx, quote_id) if quote_id is not None else None
    if found is None:
        return problem(QUOTE_ID, "NOT_FOUND")
    status = quote_status(found, ctx.today)
    if status == "EXPIRED" and not expired_ok:
        return problem(QUOTE_ID, "QUOTE_EXPIRED")
    if status not in {"SENT", "EXPIRED"}:
        return problem(QUOTE_ID, "QUOTE_NOT_OPEN", status=status)
    return found


def _request_problems(
    ctx: Context, lines: tuple[r.LineRequest, ...], note: str | None, desired: date | None
) -> list[Problem]:
    problems = text_problems(note, "note")
    if not lines and not stripped(note):
        problems.append(problem(INPUT, "EMPTY_REQUEST"))
    if len(lines) > LIMITS["lines"]:
        problems.append(problem((*INPUT, "lines"), "TOO_MANY_LINES"))
    for index, line in enumerate(lines):
        path = (*INPUT, "lines", str(index))
        if not line.product_code.strip():
            problems.append(problem((*path, "productCode"), "REQUIRED"))
        if not _valid_quantity(line.quantity):
            problems.append(problem((*path, "quantity"), "INVALID_QUANTITY"))
    if desired is not None and desired < ctx.today:
        problems.append(problem((*INPUT, "desiredDate"), "DATE_IN_PAST"))
    return problems


def _valid_quantity(quantity: Decimal) -> bool:
    """Positive with at most three decimals, as the ERP's units of measure take it."""
    exponent = quantity.as_tuple().exponent
    return quantity.is_finite() and quantity > 0 and isinstance(exponent, int) and exponent >= -3
