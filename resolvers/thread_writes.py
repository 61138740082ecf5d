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
from connectors.base.errors import UpstreamError, UpstreamRefused
from resolvers import cases, documents
from resolvers.context import Context
from resolvers.errors import Unauthenticated, client_failure
from resolvers.loaders import read_state_key
from resolvers.message_body import MAX_ATTACHMENTS, MAX_LENGTH, has_text, sanitize
from resolvers.ticket_writes import author
from resolvers.writes import Problem, refusal_problem

SUBJECT_ID = ("input", "subjectId")
FIELDS = {"body": ("input", "body"), "attachment_ids": ("input", "attachmentIds")}
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


def _subject_missing() -> Problem:
    return Problem(SUBJECT_ID, "NOT_FOUND", "No case with this ID exists.")


def _body_problem(body: str) -> Problem | None:
    if len(body) > MAX_LENGTH:
        return Problem(FIELDS["body"], "TOO_LONG", f"Use at most {MAX_LENGTH} characters.")
    if not has_text(sanitize(body)):
        return Problem(FIELDS["body"], "BLANK", "Write something here.")
    return None


async def _attachment_problems(ctx: Context, ids: tuple[str | None, ...]) -> list[Problem]:
    if len(ids) > MAX_ATTACHMENTS:
        return [
            Problem(
                FIELDS["attachment_ids"],
                "TOO_MANY_ATTACHMENTS",
                f"Attach at most {MAX_ATTACHMENTS} documents.",
            )
        ]
    known = [i for i in ids if i]
    found = dict(zip(known, await documents.readable_by_id(ctx, known), strict=True))
    return [
        Problem(
            (*FIELDS["attachment_ids"], str(index)),
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
    problems = [p for p in [_body_problem(request.body)] if p is not None]
    problems += await _attachment_problems(ctx, request.attachment_ids)
    if case is None:
        return [_subject_missing(), *problems]
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
        author_name=author(ctx),
        author_id=_viewer(ctx).subject,
        body=sanitize(request.body),
        attachment_ids=tuple(dict.fromkeys(i for i in request.attachment_ids if i)),
    )
    try:
        message = await ctx.writes.upstreams.threads.post_message(new)
    except UpstreamRefused as error:
        return [refusal_problem(error, SUBJECT_ID, "case", FIELDS, "SUBJECT_STATE_CONFLICT")]
    except UpstreamError as error:
        raise client_failure(error) from error
    stale: dict[str, list[str]] = {"messages": [f"{subject.type}:{subject.id}"]}
    if subject.type == "TICKET":  # a reply moves a ticket waiting on the customer
        stale["ticket"] = [subject.id]
    await ctx.writes.invalidate(stale, {"tickets": ctx.tenant} if "ticket" in stale else None)
    return message


async def mark_read(
    ctx: Context, subject: r.CaseRef, allowed: frozenset[str]
) -> r.CaseRef | list[Problem]:
    user = _viewer(ctx).subject
    if await cases.case(ctx, subject, allowed) is None:
        return [_subject_missing()]
    try:
        await ctx.writes.upstreams.threads.mark_read(user, ctx.tenant, subject)
    except UpstreamRefused as error:
        return [refusal_problem(error, SUBJECT_ID, "case", FIELDS, "SUBJECT_STATE_CONFLICT")]
    except UpstreamError as error:
        raise client_failure(error) from error
    key = read_state_key(user, subject)
    await ctx.writes.invalidate({"read_state": [key]})
    ctx.loaders.read_state.clear(key)
    return subject
