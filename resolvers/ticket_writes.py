"""Tickets from the portal (CRM): open one, optionally about a case, change it while it is
open, close, reopen and rate it.

Each write checks the input and the ticket's current state first (user errors; nothing is
sent), then sends it once through `write_through`: the CRM's own refusals come back as user
errors as well, and the ticket and the organization's ticket list leave the cache, so the
next query sees the change. Another organization's ticket is NOT_FOUND, like an unknown one.
The state is read fresh, not from the cache.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from connectors.base import records as r
from resolvers import cases, tickets
from resolvers.context import Context
from resolvers.sales_rules import problem, requester, restated, text_problems
from resolvers.writes import Problem, write_through

OPEN = tickets.OPEN_TICKET_STATES
DONE = frozenset({"RESOLVED", "CLOSED"})
TICKET_ID = ("input", "ticketId")
RELATED_CASE_ID = ("input", "relatedCaseId")

Outcome = r.Ticket | list[Problem]


@dataclass(frozen=True)
class TicketRequest:
    subject: str
    description: str
    category: str
    priority: str
    related_case: r.CaseRef | None
    """The case the ticket is about (type UNKNOWN for an ID that names no case)."""


def _texts(subject: str | None, description: str | None, category: str | None) -> list[Problem]:
    return [
        *text_problems(subject, "subject", required=True),
        *text_problems(description, "description", required=True),
        *text_problems(category, "category", required=True),
    ]


async def send(
    ctx: Context,
    write: Awaitable[r.Ticket],
    ticket_id: str | None = None,
    restate: Callable[[Problem], Problem] = restated,
) -> Outcome:
    """Send a ticket write once (to `ticket_id`, or a new ticket); the CRM's refusals as user
    errors, in the gateway's words where it has them (`restate`)."""
    stale = {"ticket": [ticket_id]} if ticket_id else {}
    return await write_through(
        ctx.writes, ctx.loaders, write, stale, {"tickets": ctx.tenant}, restate=restate
    )


async def create(ctx: Context, request: TicketRequest, readable: frozenset[str]) -> Outcome:
    problems = _texts(request.subject, request.description, request.category)
    related = request.related_case
    if related is not None and related.type == "TICKET":
        problems.append(
            Problem(
                RELATED_CASE_ID,
                "INVALID",
                "A ticket cannot be about another ticket; write on that ticket instead.",
            )
        )
    elif related is not None and await cases.case(ctx, related, readable) is None:
        problems.append(problem(RELATED_CASE_ID, "NOT_FOUND"))
    if problems:
        return problems
    new = r.NewTicket(
        customer=ctx.tenant,
        subject=request.subject.strip(),
        description=request.description.strip(),
        category=request.category.strip(),
        priority=request.priority,
        created_by=requester(ctx),
        related_case=related,
    )
    return await send(ctx, ctx.writes.upstreams.tickets.create_ticket(new))


async def current(ctx: Context, ticket_id: str | None) -> r.Ticket | None:
    """The viewer's ticket as the CRM has it now (the cached entry is dropped first)."""
    if not ticket_id:
        return None
    await ctx.writes.invalidate({"ticket": [ticket_id]})
    ctx.loaders.forget("ticket", ticket_id)
    return await tickets.ticket(ctx, ticket_id)


async def _in_state(
    ctx: Context,
    ticket_id: str | None,
    allowed: frozenset[str],
    refusal: tuple[str, str],
    write: Callable[[r.Ticket], Awaitable[r.Ticket]],
) -> Outcome:
    """`write` to the viewer's ticket if it is in one of the `allowed` states; else the
    `refusal` (code, why) as a user error."""
    ticket = await current(ctx, ticket_id)
    if ticket is None:
        return [problem(TICKET_ID, "NOT_FOUND")]
    if ticket.status not in allowed:
        code, why = refusal
        return [Problem(TICKET_ID, code, f"Ticket {ticket.number} is {ticket.status}: {why}")]
    return await send(ctx, write(ticket), ticket.id)


async def update(ctx: Context, ticket_id: str | None, changes: r.TicketChanges) -> Outcome:
    given = {"subject": changes.subject, "description": changes.description,
             "category": changes.category}  # fmt: skip
    if not any(value is not None for value in (*given.values(), changes.priority)):
        return [Problem(("input",), "NOTHING_TO_UPDATE", "Name at least one field to change.")]
    problems = [p for p in _texts(*given.values()) if given[p.field[-1]] is not None]
    if problems:
        return problems
    return await _in_state(
        ctx,
        ticket_id,
        OPEN,
        ("TICKET_NOT_EDITABLE", "reopen it to change it."),
        lambda ticket: ctx.writes.upstreams.tickets.update_ticket(ticket.id, changes),
    )


async def close(ctx: Context, ticket_id: str | None) -> Outcome:
    return await _in_state(
        ctx,
        ticket_id,
        OPEN | {"RESOLVED"},
        ("TICKET_ALREADY_CLOSED", "it cannot be closed again."),
        lambda ticket: ctx.writes.upstreams.tickets.close_ticket(ticket.id),
    )


async def reopen(ctx: Context, ticket_id: str | None) -> Outcome:
    return await _in_state(
        ctx,
        ticket_id,
        DONE,
        ("TICKET_NOT_REOPENABLE", "only a resolved or closed ticket can be reopened."),
        lambda ticket: ctx.writes.upstreams.tickets.reopen_ticket(ticket.id),
    )


async def rate(ctx: Context, ticket_id: str | None, rating: int, comment: str | None) -> Outcome:
    problems = text_problems(comment, "comment")
    if not 1 <= rating <= 5:
        problems.insert(0, Problem(("input", "rating"), "INVALID", "Rate from 1 to 5 stars."))
    if problems:
        return problems
    text = comment.strip() if comment and comment.strip() else None
    return await _in_state(
        ctx,
        ticket_id,
        DONE,
        ("TICKET_NOT_RESOLVED", "only a resolved or closed ticket can be rated."),
        lambda ticket: ctx.writes.upstreams.tickets.rate_ticket(ticket.id, rating, text),
    )
