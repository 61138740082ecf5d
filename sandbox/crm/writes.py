"""The CRM's ticket and message writes, as the portal makes them: open (`POST
/api/v1/tickets`: company, subject, description, category, priority as Odoo's "0" to "3",
channel, who opened it and, optionally, the ERP record it is about), change, close, reopen and
rate tickets, write messages on a ticket or an ERP record, and mark a record's messages read.

Like a real helpdesk API it checks what it is sent: 400 for a body that is not a JSON object,
422 with the reasons per field (`error.details[{field, code, message}]`, as for contacts) for
a value it refuses, 404 for an unknown (or another company's) record, 409 when the ticket's
stage does not allow the change. A new ticket starts in stage `new` with a running SLA clock.
Every change sends the CRM's webhook once the answer is out (`sandbox.crm.changes`).
"""

from collections.abc import Callable
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.crm.changes import comment_event, move, record_comment, ticket_event
from sandbox.crm.contacts import detail, refusal
from sandbox.faults import FailureResponse
from sandbox.model import Comment, ReadState, Seed, Ticket
from sandbox.rest import Clock, Handler, json_object
from sandbox.seed import SLA_RESOLUTION, SLA_RESPONSE
from sandbox.webhooks import Webhooks

CATEGORIES = ("general", "technical", "billing", "delivery", "order")
PRIORITIES = ("0", "1", "2", "3")
CHANNELS = ("portal", "email", "phone")
RELATED_TYPES = ("order", "invoice", "quote")
SUBJECT_TYPES = ("ticket", "booking", *RELATED_TYPES)
"""What messages may be written on: any case, ERP cases linked by their ERP ID."""
CLOSED = frozenset({"closed", "cancelled"})
DONE = frozenset({"solved", "closed"})
LIMITS = {"subject": 200, "description": 10_000, "created_by": 100, "body": 20_000,
          "comment": 2_000}  # fmt: skip
MAX_ATTACHMENTS = 10


def subjects(seed: Seed) -> dict[str, list[Any]]:
    """The records of each of the `SUBJECT_TYPES`."""
    return {
        "ticket": seed.tickets,
        "order": seed.orders,
        "invoice": seed.invoices,
        "quote": seed.quotes,
        "booking": seed.bookings,
    }


class Refused(Exception):
    """A write the CRM refuses: 422 for a value (`field`, `code`), else 404 or 409."""

    def __init__(self, status: int, message: str, field: str = "", code: str = "invalid") -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.code = code


def invalid(field: str, message: str, code: str = "invalid") -> Refused:
    return Refused(422, message, field, code)


def text(body: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise invalid(name, f"'{name}' must be a non-empty string", "required")
    if len(value) > LIMITS[name]:
        message = f"'{name}' has {len(value)} characters; at most {LIMITS[name]}"
        raise invalid(name, message, "too_long")
    return value.strip()


def choice(body: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    value = body.get(name)
    if value is not None and value not in allowed:
        raise invalid(name, f"'{name}' must be one of {', '.join(allowed)}")
    return value


class CrmWrites:
    """The write handlers; `render_ticket`/`render_comment` are the reads' JSON."""

    def __init__(
        self,
        seed: Seed,
        clock: Clock,
        webhooks: Webhooks,
        render_ticket: Callable[[Ticket], dict[str, Any]],
        render_comment: Callable[[Comment], dict[str, Any]],
        failure: FailureResponse,
    ) -> None:
        self.seed = seed
        self.clock = clock
        self.webhooks = webhooks
        self.render_ticket = render_ticket
        self.render_comment = render_comment
        self.failure = failure

    def _answer(self, body: Any, status: int, *events: dict[str, Any]) -> Response:
        async def deliver() -> None:
            for event in events:
                await self.webhooks.deliver("crm", event)

        return JSONResponse(body, status_code=status, background=BackgroundTask(deliver))

    def handler(self, write: Handler) -> Handler:
        """`write` with its refusals answered in the CRM's error format."""

        async def handle(request: Request) -> Response:
            try:
                return await write(request)
            except Refused as refused:
                if refused.status == 422:
                    return refusal([detail(refused.field, refused.code, str(refused))])
                return self.failure(refused.status, str(refused))

        return handle

    def _ticket(self, request: Request) -> Ticket:
        ticket_id = request.path_params["ticket_id"]
        found = next((t for t in self.seed.tickets if t.id == ticket_id), None)
        if found is None:
            raise Refused(404, f"ticket {ticket_id} not found")
        return found

    async def create_ticket(self, request: Request) -> Response:
        body = await json_object(request)
        company = body.get("company_id")
        if not any(c.number == company for c in self.seed.customers):
            raise invalid("company_id", f"no company {company!r}")
        subject, description = text(body, "subject"), text(body, "description")
        category = choice(body, "category", CATEGORIES) or "general"
        priority = choice(body, "priority", PRIORITIES) or "1"
        related = body.get("related")
        related_type, related_id = (
            self._subject(related, RELATED_TYPES, "related", company) if related else (None, None)
        )
        channel = choice(body, "channel", CHANNELS) or "portal"
        author = text(body, "created_by")
        index = 1 + max((int(t.number.rsplit("-", 1)[1]) for t in self.seed.tickets), default=0)
        now = self.clock()
        ticket = Ticket(
            id=f"TCK-{1000 + index}",
            number=f"T-{now.year}-{index:04d}",
            customer=str(company),
            subject=str(subject),
            description=str(description),
            category=category,
            priority=priority,
            stage="new",
            channel=channel,
            created_by=str(author),
            assignee=None,
            created_at=now,
            updated_at=now,
            sla_response_due=now + SLA_RESPONSE,
            sla_resolution_due=now + SLA_RESOLUTION,
            first_response_at=None,
            resolved_at=None,
            related_type=related_type,
            related_id=related_id,
        )
        self.seed.tickets.append(ticket)
        return self._answer(self.render_ticket(ticket), 201, ticket_event(ticket, now))

    async def update_ticket(self, request: Request) -> Response:
        ticket = self._ticket(request)
        body = await json_object(request)
        changes = {
            "subject": text(body, "subject", required=False),
            "description": text(body, "description", required=False),
            "category": choice(body, "category", CATEGORIES),
            "priority": choice(body, "priority", PRIORITIES),
        }
        if all(value is None for value in changes.values()):
            raise invalid("subject", "nothing to change")
        if ticket.stage in CLOSED | DONE:
            raise Refused(409, f"ticket {ticket.number} is {ticket.stage}; reopen it first")
        for name, value in changes.items():
            if value is not None:
                setattr(ticket, name, value)
        ticket.updated_at = self.clock()
        return self._answer(self.render_ticket(ticket), 200, ticket_event(ticket, self.clock()))

    def _moved(self, ticket: Ticket, stage: str) -> Response:
        move(ticket, stage, self.clock())
        return self._answer(self.render_ticket(ticket), 200, ticket_event(ticket, self.clock()))

    async def close_ticket(self, request: Request) -> Response:
        ticket = self._ticket(request)
        if ticket.stage in CLOSED:
            raise Refused(409, f"ticket {ticket.number} is already {ticket.stage}")
        return self._moved(ticket, "closed")

    async def reopen_ticket(self, request: Request) -> Response:
        ticket = self._ticket(request)
        if ticket.stage not in DONE:
            raise Refused(409, f"ticket {ticket.number} is {ticket.stage}, not solved or closed")
        return self._moved(ticket, "in_progress")

    async def rate_ticket(self, request: Request) -> Response:
        ticket = self._ticket(request)
        body = await json_object(request)
        rating = body.get("rating")
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            raise invalid("rating", "'rating' must be a whole number from 1 to 5")
        comment = text(body, "comment", required=False)
        if ticket.stage not in DONE:
            raise Refused(409, f"ticket {ticket.number} is {ticket.stage}, not solved or closed")
        ticket.rating, ticket.rating_comment = rating, comment
        ticket.updated_at = self.clock()
        return self._answer(self.render_ticket(ticket), 200, ticket_event(ticket, self.clock()))

    def _subject(
        self, value: object, types: tuple[str, ...], field: str, company: object
    ) -> tuple[str, str]:
        """A `{"type", "id"}` reference to a record of `company`: 404 for an unknown one."""
        if not isinstance(value, dict) or value.get("type") not in types:
            raise invalid(field, f"'{field}' must be {{'type': one of {list(types)}, 'id'}}")
        kind, record_id = str(value["type"]), value.get("id")
        if not any(r.id == record_id and r.customer == company for r in subjects(self.seed)[kind]):
            raise Refused(404, f"no {kind} {record_id!r} of company {company!r}")
        return kind, str(record_id)

    async def post_comment(self, request: Request) -> Response:
        body = await json_object(request)
        company = body.get("company_id")
        kind, subject_id = self._subject(body.get("subject"), SUBJECT_TYPES, "subject", company)
        author = body.get("author")
        if not isinstance(author, dict) or not isinstance(author.get("name"), str):
            raise invalid("author", "'author' must name the author")
        message = text(body, "body")
        attachments = self._attachments(body.get("attachment_ids", []), company)
        ticket = next((t for t in self.seed.tickets if t.id == subject_id), None)
        ticket = ticket if kind == "ticket" else None
        if ticket is not None and ticket.stage in CLOSED:
            raise Refused(409, f"ticket {ticket.number} is {ticket.stage}; reopen it first")
        comment = record_comment(
            self.seed,
            Comment(
                id="",
                subject_id=subject_id,
                author=author["name"],
                author_is_staff=False,
                body=str(message),
                created_at=self.clock(),
                subject_type=kind,
                author_user_id=author.get("user_id"),
                attachment_ids=attachments,
            ),
        )
        events = [comment_event(comment, str(company))]
        if ticket is not None:
            if ticket.stage == "on_hold":  # the customer answered: back to the team
                move(ticket, "in_progress", comment.created_at)
            ticket.updated_at = comment.created_at
            events.append(ticket_event(ticket, comment.created_at))
        return self._answer(self.render_comment(comment), 201, *events)

    def _attachments(self, value: object, company: object) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise invalid("attachment_ids", "'attachment_ids' must be a list of document ids")
        if len(value) > MAX_ATTACHMENTS:
            raise invalid("attachment_ids", f"at most {MAX_ATTACHMENTS} attachments")
        known = {d.id for d in self.seed.documents if d.customer == company and not d.deleted}
        unknown = [v for v in value if v not in known]
        if unknown:
            raise invalid("attachment_ids", f"no documents {unknown} of company {company!r}")
        return list(dict.fromkeys(value))

    async def mark_read(self, request: Request) -> Response:
        body = await json_object(request)
        user = body.get("user_id")
        if not isinstance(user, str) or not user:
            raise invalid("user_id", "'user_id' is required")
        subject = body.get("subject")
        kind, subject_id = self._subject(subject, SUBJECT_TYPES, "subject", body.get("company_id"))
        public = [
            c
            for c in self.seed.comments
            if (c.subject_type, c.subject_id) == (kind, subject_id) and not c.internal
        ]
        newest = max(public, key=lambda c: (c.created_at, c.id), default=None)
        state = next(
            (
                s
                for s in self.seed.read_states
                if (s.user_id, s.subject_type, s.subject_id) == (user, kind, subject_id)
            ),
            None,
        )
        if state is None:
            state = ReadState(user, kind, subject_id, None)
            self.seed.read_states.append(state)
        state.seen_message_id = newest.id if newest else None
        return JSONResponse(read_state_json(state))


def read_state_json(state: ReadState) -> dict[str, Any]:
    return {
        "user_id": state.user_id,
        "subject": {"type": state.subject_type, "id": state.subject_id},
        "seen_message_id": state.seen_message_id,
    }
