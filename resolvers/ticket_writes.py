"""Tickets from the portal (CRM): open one, optionally about a case, change it while it is
open, close, reopen and rate it.

Each write checks the input and the ticket's current state first (user errors; nothing is
sent), then sends it once; the CRM's own refusals come back as user errors as well. Another
organization's ticket is NOT_FOUND, like an unknown one. The state is read fresh, not from the
cache, and the ticket and the organization's ticket list are dropped from the cache after a
write, so the next query sees the change.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from connectors.base import records as r
from connectors.base.errors import UpstreamError, UpstreamRefused
from resolvers import cases, tickets
from resolvers.context import Context
from resolvers.errors import client_failure
from resolvers.writes import Problem, refusal_problem, text_problem

SUBJECT_MAX = 200
DESCRIPTION_MAX = 10_000
CATEGORY_MAX = 40
COMMENT_MAX = 2_000
OPEN = tickets.OPEN_TICKET_STATES
DONE = frozenset({"RESOLVED", "CLOSED"})
TICKET_ID = ("input", "ticketId")
FIELDS = {
    "subject": ("input", "subject"),
    "description": ("input", "description"),
    "category": ("input", "category"),
    "priority": ("input", "priority"),
    "related_case": ("input", "relatedCaseId"),
    "rating": ("input", "rating"),
    "comment": ("input", "comment"),
}
"""Where the fields the CRM may refuse are in the inputs."""

Outcome = r.Ticket | list[Problem]


@dataclass(frozen=True)
class TicketRequest:
    subject: str
    description: str
    category: str
    priority: str
    related_case: r.CaseRef | None
    """The case the ticket is about (type UNKNOWN for an ID that names no case)."""


def author(ctx: Context) -> str:
    return ctx.principal.display_name if ctx.principal is not None else "Portal"


def _texts(subject: str | None, description: str | None, category: str | None) -> list[Problem]:
    checks = [
        text_problem(FIELDS["subject"], subject, SUBJECT_MAX),
        text_problem(FIELDS["description"], description, DESCRIPTION_MAX),
        text_problem(FIELDS["category"], category, CATEGORY_MAX),
    ]
    return [problem for problem in checks if problem is not None]


async def send(
    ctx: Context, write: Callable[[], Awaitable[r.Ticket]], record: tuple[str, ...] = TICKET_ID
) -> Outcome:
    """Send a ticket write once; the CRM's refusal as a user error on `record` (the input
    path of the ticket, or of what the write names) or on the refused field."""
    try:
        ticket = await write()
    except UpstreamRefused as error:
        return [refusal_problem(error, record, "ticket", FIELDS, "TICKET_STATE_CONFLICT")]
    except UpstreamError as error:
        raise client_failure(error) from error
    await ctx.writes.invalidate({"ticket": [ticket.id]}, {"tickets": ticket.customer})
    return ticket


async def create(ctx: Context, request: TicketRequest, readable: frozenset[str]) -> Outcome:
    problems = _texts(request.subject, request.description, request.category)
    related = request.related_case
    if related is not None and related.type == "TICKET":
        problems.append(
            Problem(
                FIELDS["related_case"],
                "INVALID",
                "A ticket cannot be about another ticket; write on that ticket instead.",
            )
        )
    elif related is not None and await cases.case(ctx, related, readable) is None:
        problems.append(
            Problem(FIELDS["related_case"], "NOT_FOUND", "No case with this ID exists.")
        )
    if problems:
        return problems
    draft = r.TicketDraft(
        customer=ctx.tenant,
        subject=request.subject.strip(),
        description=request.description.strip(),
        category=request.category.strip(),
        priority=request.priority,
        related_case=related,
        created_by=author(ctx),
    )
    port = ctx.writes.upstreams.tickets
    return await send(ctx, lambda: port.create_ticket(draft), FIELDS["related_case"])


async def current(ctx: Context, ticket_id: str | None) -> r.Ticket | None:
    """The viewer's ticket as the CRM has it now (the cached entry is dropped first)."""
    if not ticket_id:
        return None
    await ctx.writes.invalidate({"ticket": [ticket_id]})
    ctx.loaders.ticket.clear(ticket_id)
    return await tickets.ticket(ctx, ticket_id)


def not_found() -> list[Problem]:
    return [Problem(TICKET_ID, "NOT_FOUND", "No ticket with this ID exists.")]


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
        return not_found()
    if ticket.status not in allowed:
        code, why = refusal
        return [Problem(TICKET_ID, code, f"Ticket {ticket.number} is {ticket.status}: {why}")]
    return await send(ctx, lambda: write(ticket))


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
    problems: list[Problem] = []
    if not 1 <= rating <= 5:
        problems.append(Problem(FIELDS["rating"], "INVALID", "Rate from 1 to 5 stars."))
    if comment is not None and len(comment) > COMMENT_MAX:
        problems.append(
            Problem(FIELDS["comment"], "TOO_LONG", f"Use at most {COMMENT_MAX} characters.")
        )
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
