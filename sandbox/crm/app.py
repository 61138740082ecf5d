"""The simulated CRM / helpdesk: REST/JSON in Odoo-helpdesk-like terms under `/api/v1`.

Companies mirror the ERP's customers under their customer number. Batch reads take
comma-separated keys (`ids=`, `company_ids=`, `ticket_ids=`; at most 100) and answer with a
JSON array that leaves out unknown keys; the ticket search pages with `page`/`per_page` and
answers `{"items", "total", "page", "per_page"}`. Comments include internal notes, flagged
`"internal": true`, as the real helpdesk's API does: dropping them is the gateway's job.
Contact persons are written in `contacts.py`; opening a ticket (`POST /api/v1/tickets`) is in
`writes.py`.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.advance import Advance, advance_route
from sandbox.crm.contacts import ContactWrites, contact_json
from sandbox.crm.writes import TicketWrites
from sandbox.faults import Faults
from sandbox.instrument import instrumented_app
from sandbox.model import Comment, Customer, Seed, Ticket
from sandbox.rest import (
    BadRequest,
    Clock,
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
        "ticket_id": comment.ticket_id,
        "author": {"name": comment.author, "is_staff": comment.author_is_staff},
        "body": comment.body,
        "created_at": comment.created_at.isoformat(),
        "internal": comment.internal,
    }


def required_ids(request: Request, name: str) -> list[str]:
    keys = id_list(request, name)
    if keys is None:
        raise BadRequest(f"'{name}' is required")
    return keys


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
        wanted = set(required_ids(request, "ticket_ids"))
        found = sorted(
            (c for c in self.seed.comments if c.ticket_id in wanted),
            key=lambda c: (c.created_at, c.id),
        )
        return JSONResponse([comment_json(c) for c in found])

    async def consents(self, request: Request) -> Response:
        required_ids(request, "company_ids")
        return JSONResponse([])


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
    the seed's `now`, advancing) is what SLA states are computed against; `advances` serve
    `POST /_advance`; `webhooks` deliver the events of tickets opened through the API."""
    api = CrmApi(seed, clock or advancing_clock(seed.now))
    contacts = ContactWrites(seed, crm_error)
    tickets = TicketWrites(
        seed, api.clock, webhooks or Webhooks(), lambda ticket: ticket_json(ticket, api.clock())
    )
    guard = guarded(token, crm_error)
    routes = [
        Route("/api/v1/companies", guard(api.companies), methods=["GET"]),
        Route("/api/v1/contacts", guard(api.contacts), methods=["GET"]),
        Route("/api/v1/contacts", guard(contacts.create), methods=["POST"]),
        Route("/api/v1/contacts/{contact_id}", guard(contacts.update), methods=["PATCH"]),
        Route("/api/v1/contacts/{contact_id}", guard(contacts.delete), methods=["DELETE"]),
        Route("/api/v1/tickets", guard(api.tickets), methods=["GET"]),
        Route("/api/v1/tickets", guard(tickets.create_ticket), methods=["POST"]),
        Route("/api/v1/tickets/{ticket_id}", guard(api.ticket), methods=["GET"]),
        Route("/api/v1/comments", guard(api.comments), methods=["GET"]),
        Route("/api/v1/consents", guard(api.consents), methods=["GET"]),
        *([advance_route(advances)] if advances else []),
    ]
    return instrumented_app(routes, stats, faults, failure=crm_error)
