"""The simulated CRM / helpdesk: REST/JSON in Odoo-helpdesk-like terms under `/api/v1`.

Companies mirror the ERP's customers under their customer number. Batch reads take
comma-separated keys (`ids=`, `company_ids=`, `subjects=<type>:<id>`; at most 100) and answer
with a JSON array that leaves out unknown keys; the ticket search pages with `page`/`per_page`
and answers `{"items", "total", "page", "per_page"}`. Comments (messages) belong to a ticket
or to an ERP record the CRM links to (order, invoice, quote), like Odoo's `mail.message`; they
include internal notes, flagged `"internal": true`, as the real helpdesk's API does: dropping
them is the gateway's job. Read states say which message a portal user has seen last per
record. Contact persons are written in `contacts.py`; tickets, messages and read states in
`writes.py`; consents in `consents.py`; privacy requests in `privacy_requests.py`, and the
privacy lookup and erasure in `privacy.py`.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.advance import Advance, advance_route
from sandbox.crm.consents import ConsentRegister
from sandbox.crm.contacts import ContactWrites, contact_json
from sandbox.crm.privacy import PrivacyTools
from sandbox.crm.privacy_requests import PrivacyRequests
from sandbox.crm.writes import CrmWrites, read_state_json
from sandbox.faults import Faults
from sandbox.instrument import instrumented_app
from sandbox.model import Comment, Customer, Seed, Ticket
from sandbox.rest import (
    BadRequest,
    Clock,
    Handler,
    advancing_clock,
    date_param,
    guarded,
    id_list,
    int_param,
    matches,
    within,
)
from sandbox.stats import RequestStats
from sandbox.webhooks import Webhooks

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20


def crm_error(status: int, text: str) -> Response:
    return JSONResponse({"error": {"status": status, "message": text}}, status_code=status)


def sla_status(ticket: Ticket, now: datetime) -> str:
    """Odoo's `helpdesk.sla.status` state, derived at request time."""
    if ticket.resolved_at is not None:
        return "reached" if ticket.resolved_at <= ticket.sla_resolution_due else "failed"
    if ticket.stage == "on_hold":
        return "paused"
    return "failed" if now > ticket.sla_resolution_due else "ongoing"


def company_json(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.number,
        "name": customer.name,
        "is_company": customer.kind == "company",
        "lang": customer.lang,
        "vat": customer.vat,
        "city": customer.city,
        "country": customer.country,
        "segment": customer.segment,
    }


def ticket_json(ticket: Ticket, now: datetime) -> dict[str, Any]:
    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    related = (
        {"type": ticket.related_type, "id": ticket.related_id}
        if ticket.related_type is not None
        else None
    )
    return {
        "id": ticket.id,
        "number": ticket.number,
        "company_id": ticket.customer,
        "subject": ticket.subject,
        "description": ticket.description,
        "category": ticket.category,
        "priority": ticket.priority,
        "stage": ticket.stage,
        "channel": ticket.channel,
        "created_by": ticket.created_by,
        "assignee": ticket.assignee,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "rating": ticket.rating,
        "rating_comment": ticket.rating_comment,
        "related": related,
        "sla": {
            "response_due": ticket.sla_response_due.isoformat(),
            "resolution_due": ticket.sla_resolution_due.isoformat(),
            "first_response_at": moment(ticket.first_response_at),
            "resolved_at": moment(ticket.resolved_at),
            "paused_since": moment(ticket.sla_paused_since),
            "status": sla_status(ticket, now),
        },
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "subject": {"type": comment.subject_type, "id": comment.subject_id},
        "author": {
            "name": comment.author,
            "is_staff": comment.author_is_staff,
            "user_id": comment.author_user_id,
        },
        "body": comment.body,
        "attachment_ids": comment.attachment_ids,
        "created_at": comment.created_at.isoformat(),
        "internal": comment.internal,
    }


def required_ids(request: Request, name: str) -> list[str]:
    keys = id_list(request, name)
    if keys is None:
        raise BadRequest(f"'{name}' is required")
    return keys


def subjects(request: Request) -> set[tuple[str, str]]:
    """`subjects=<type>:<id>,…` as (type, id) pairs (a key without a type matches nothing)."""
    pairs = (key.partition(":") for key in required_ids(request, "subjects"))
    return {(kind, record_id) for kind, _, record_id in pairs}


class CrmApi:
    """The CRM's handlers over the shared seed; they read it on every request."""

    def __init__(self, seed: Seed, clock: Clock) -> None:
        self.seed = seed
        self.clock = clock

    async def companies(self, request: Request) -> Response:
        wanted = set(required_ids(request, "ids"))
        found = [company_json(c) for c in self.seed.customers if c.number in wanted]
        return JSONResponse(found)

    async def contacts(self, request: Request) -> Response:
        wanted = set(required_ids(request, "company_ids"))
        return JSONResponse([contact_json(c) for c in self.seed.contacts if c.customer in wanted])

    async def tickets(self, request: Request) -> Response:
        now = self.clock()
        ids = id_list(request, "ids")
        if ids is not None:
            wanted = set(ids)
            return JSONResponse([ticket_json(t, now) for t in self.seed.tickets if t.id in wanted])
        company = request.query_params.get("company_id")
        if not company:
            raise BadRequest("either 'ids' or 'company_id' is required")
        search = request.query_params.get("search")
        start, end = date_param(request, "created_from"), date_param(request, "created_to")
        page = int_param(request, "page", 1, 10_000)
        per_page = int_param(request, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
        found = sorted(
            (
                t
                for t in self.seed.tickets
                if t.customer == company
                and matches(search, t.number, t.subject, t.description)
                and within(t.created_at.date(), start, end)
            ),
            key=lambda t: (t.created_at, t.id),
            reverse=True,
        )
        items = found[(page - 1) * per_page : page * per_page]
        return JSONResponse(
            {
                "items": [ticket_json(t, now) for t in items],
                "total": len(found),
                "page": page,
                "per_page": per_page,
            }
        )

    async def ticket(self, request: Request) -> Response:
        ticket_id = request.path_params["ticket_id"]
        for ticket in self.seed.tickets:
            if ticket.id == ticket_id:
                return JSONResponse(ticket_json(ticket, self.clock()))
        return crm_error(404, f"ticket {ticket_id} not found")

    async def comments(self, request: Request) -> Response:
        wanted = subjects(request)
        found = sorted(
            (c for c in self.seed.comments if (c.subject_type, c.subject_id) in wanted),
            key=lambda c: (c.created_at, c.id),
        )
        return JSONResponse([comment_json(c) for c in found])

    async def read_states(self, request: Request) -> Response:
        user = request.query_params.get("user_id")
        if not user:
            raise BadRequest("'user_id' is required")
        wanted = subjects(request)
        found = [
            s
            for s in self.seed.read_states
            if s.user_id == user and (s.subject_type, s.subject_id) in wanted
        ]
        return JSONResponse([read_state_json(s) for s in found])


def create_crm_app(
    seed: Seed,
    faults: Faults,
    stats: RequestStats,
    token: str,
    clock: Clock | None = None,
    advances: Mapping[str, Advance] | None = None,
    webhooks: Webhooks | None = None,
) -> Starlette:
    """The CRM on `seed`; `token` is the API token clients send as `Bearer`; `clock` (default:
    the seed's `now`, advancing) is what SLA states are computed against and writes are
    stamped with; `advances` serve `POST /_advance`; writes send their webhooks through
    `webhooks` (default: none)."""
    api = CrmApi(seed, clock or advancing_clock(seed.now))
    consents = ConsentRegister(seed, api.clock, crm_error)
    contacts = ContactWrites(seed, crm_error)
    writes = CrmWrites(
        seed,
        api.clock,
        webhooks or Webhooks(),
        lambda ticket: ticket_json(ticket, api.clock()),
        comment_json,
        crm_error,
    )
    requests = PrivacyRequests(seed, api.clock, crm_error)
    privacy = PrivacyTools(seed, writes.render_ticket, comment_json, crm_error)
    guard = guarded(token, crm_error)

    def write(handler: Handler) -> Handler:
        return guard(writes.handler(handler))

    ticket_path = "/api/v1/tickets/{ticket_id}"
    routes = [
        Route("/api/v1/companies", guard(api.companies), methods=["GET"]),
        Route("/api/v1/contacts", guard(api.contacts), methods=["GET"]),
        Route("/api/v1/contacts", guard(contacts.create), methods=["POST"]),
        Route("/api/v1/contacts/{contact_id}", guard(contacts.update), methods=["PATCH"]),
        Route("/api/v1/contacts/{contact_id}", guard(contacts.delete), methods=["DELETE"]),
        Route("/api/v1/tickets", guard(api.tickets), methods=["GET"]),
        Route("/api/v1/tickets", write(writes.create_ticket), methods=["POST"]),
        Route(ticket_path, guard(api.ticket), methods=["GET"]),
        Route(ticket_path, write(writes.update_ticket), methods=["PATCH"]),
        Route(f"{ticket_path}/close", write(writes.close_ticket), methods=["POST"]),
        Route(f"{ticket_path}/reopen", write(writes.reopen_ticket), methods=["POST"]),
        Route(f"{ticket_path}/rating", write(writes.rate_ticket), methods=["POST"]),
        Route("/api/v1/comments", guard(api.comments), methods=["GET"]),
        Route("/api/v1/comments", write(writes.post_comment), methods=["POST"]),
        Route("/api/v1/read_states", guard(api.read_states), methods=["GET"]),
        Route("/api/v1/read_states", write(writes.mark_read), methods=["PUT"]),
        Route("/api/v1/consents", guard(consents.list), methods=["GET"]),
        Route("/api/v1/consents", guard(consents.record), methods=["POST"]),
        Route("/api/v1/consent_texts", guard(consents.texts), methods=["GET"]),
        Route("/api/v1/privacy_requests", guard(requests.list), methods=["GET"]),
        Route("/api/v1/privacy_requests", guard(requests.create), methods=["POST"]),
        Route("/api/v1/privacy_requests/{request_id}", guard(requests.update), methods=["PATCH"]),
        Route("/api/v1/privacy/lookup", guard(privacy.lookup), methods=["GET"]),
        Route("/api/v1/privacy/erasures", guard(privacy.erase), methods=["POST"]),
        *([advance_route(advances)] if advances else []),
    ]
    return instrumented_app(routes, stats, faults, failure=crm_error)
