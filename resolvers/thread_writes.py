"""Writing on a case's thread (S9) and marking it read, in the CRM.

Any case the viewer may read is a valid subject (a ticket, or an ERP quote, order or invoice,
whose messages the CRM keeps linked to the ERP record). Attachments are documents of the
organization the viewer may read. The body is sanitized before it is sent
(`resolvers.message_body`). Read states are per user: marking a thread read changes nobody
else's `unreadCount`.
"""

from dataclasses import dataclass

from auth.principal import Principal
from connectors.base import records as r
from resolvers import cases, documents
from resolvers.context import Context
from resolvers.errors import Unauthenticated
from resolvers.loaders import case_key, read_state_key
from resolvers.message_body import MAX_ATTACHMENTS, has_text, sanitize
from resolvers.sales_rules import problem, requester, restated, text_problems
from resolvers.writes import Problem, write_through

SUBJECT_ID = ("input", "subjectId")
BODY = ("input", "body")
ATTACHMENT_IDS = ("input", "attachmentIds")
CLOSED = frozenset({"CLOSED", "CANCELLED"})


@dataclass(frozen=True)
class MessageRequest:
    subject: r.CaseRef
    """The case written on (type UNKNOWN when the ID names no case)."""
    body: str
    attachment_ids: tuple[str | None, ...]
    """Document IDs; None where an ID names no document."""


def _viewer(ctx: Context) -> Principal:
    if ctx.principal is None:
        raise Unauthenticated()
    return ctx.principal


def _body_problems(body: str) -> list[Problem]:
    """As any required text; a body that says nothing once sanitized is missing too."""
    problems = text_problems(body, "body", required=True)
    if not problems and not has_text(sanitize(body)):
        return [problem(BODY, "REQUIRED")]
    return problems


async def _attachment_problems(ctx: Context, ids: tuple[str | None, ...]) -> list[Problem]:
    if len(ids) > MAX_ATTACHMENTS:
        return [
            Problem(
                ATTACHMENT_IDS,
                "TOO_MANY_ATTACHMENTS",
                f"Attach at most {MAX_ATTACHMENTS} documents.",
            )
        ]
    known = [i for i in ids if i]
    found = dict(zip(known, await documents.readable_by_id(ctx, known), strict=True))
    return [
        Problem(
            (*ATTACHMENT_IDS, str(index)),
            "NOT_FOUND",
            "No document with this ID exists.",
        )
        for index, document_id in enumerate(ids)
        if document_id is None or found[document_id] is None
    ]


async def post(
    ctx: Context, request: MessageRequest, allowed: frozenset[str]
) -> r.Message | list[Problem]:
    subject = request.subject
    case = await cases.case(ctx, subject, allowed)
    problems = _body_problems(request.body)
    problems += await _attachment_problems(ctx, request.attachment_ids)
    if case is None:
        return [problem(SUBJECT_ID, "NOT_FOUND"), *problems]
    if isinstance(case, r.Ticket) and case.status in CLOSED:
        problems.append(
            Problem(
                SUBJECT_ID,
                "TICKET_CLOSED",
                f"Ticket {case.number} is {case.status}; reopen it to write on it.",
            )
        )
    if problems:
        return problems
    new = r.NewMessage(
        subject=subject,
        customer=ctx.tenant,
        author_name=requester(ctx),
        author_id=_viewer(ctx).subject,
        body=sanitize(request.body),
        attachment_ids=tuple(dict.fromkeys(i for i in request.attachment_ids if i)),
    )
    stale = {"messages": [case_key(subject)]}
    if subject.type == "TICKET":  # a reply moves a ticket waiting on the customer
        stale["ticket"] = [subject.id]
    return await write_through(
        ctx.writes,
        ctx.loaders,
        ctx.writes.upstreams.threads.post_message(new),
        stale,
        {"tickets": ctx.tenant} if "ticket" in stale else None,
        restate=restated,
    )


async def mark_read(
    ctx: Context, subject: r.CaseRef, allowed: frozenset[str]
) -> r.CaseRef | list[Problem]:
    user = _viewer(ctx).subject
    if await cases.case(ctx, subject, allowed) is None:
        return [problem(SUBJECT_ID, "NOT_FOUND")]
    marked = await write_through(
        ctx.writes,
        ctx.loaders,
        ctx.writes.upstreams.threads.mark_read(user, ctx.tenant, subject),
        {"read_state": [read_state_key(user, subject)]},
        restate=restated,
    )
    return marked if isinstance(marked, list) else subject
