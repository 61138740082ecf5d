"""The CRM's privacy tools, like Odoo's privacy lookup: find everything the CRM holds about a
person, and erase it.

A person is found within one company by e-mail address (contacts, consents, their privacy
requests), by login (`user_id`: messages, read states) and by name (the author of messages the
CRM recorded without a login). For a private customer (`whole=true`) every record of the
company is theirs: its contacts, tickets, the messages on its tickets and on its ERP records.

`GET /api/v1/privacy/lookup?company_id=&email=&name=&user_id=&whole=` answers
`{"contacts", "consents", "tickets", "comments", "read_states", "privacy_requests"}` as the
reads answer them (internal notes included, flagged, as everywhere in this API).

`POST /api/v1/privacy/erasures` (JSON: the same person, `categories` among `profile` (contact
persons), `support` (tickets, messages, read states) and `consents`) erases them and answers
`{"status": "done" | "held", "erased": [{"type", "id"}], "held": [{"type", "id", "reason",
"retain_until"}]}`. A message of a company's ticket is made anonymous rather than deleted
(the thread stays the company's); the messages of an open dispute about an invoice are kept
(a legal claim). Privacy requests themselves are never erased: they record how the person's
requests were handled. 404 for an unknown company, 422 for categories the CRM does not know.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.crm.consents import consent_json
from sandbox.crm.contacts import contact_json, detail, refusal
from sandbox.crm.privacy_requests import request_json
from sandbox.crm.writes import read_state_json, subjects
from sandbox.faults import FailureResponse
from sandbox.model import Comment, Seed, Ticket
from sandbox.rest import BadRequest, json_object
from sandbox.seed import dispute_reason

CATEGORIES = ("profile", "support", "consents")
"""What the CRM holds of the privacy categories; others are not its to erase."""
SETTLED = frozenset({"solved", "closed", "cancelled"})
FORMER_USER = "Former user"


@dataclass(frozen=True)
class Person:
    company: str
    email: str
    name: str
    user_id: str
    whole: bool

    @classmethod
    def of(cls, values: Callable[[str], object]) -> "Person":
        def text(name: str) -> str:
            value = values(name)
            if value is not None and not isinstance(value, str):
                raise BadRequest(f"'{name}' must be a string")
            return (value or "").strip()

        whole = values("whole")
        if whole not in (True, False, "true", "false"):
            raise BadRequest("'whole' must be true or false")
        email = text("email").lower()
        if "@" not in email:
            raise BadRequest("'email' must be an e-mail address")
        whole_customer = whole in (True, "true")
        return cls(text("company_id"), email, text("name"), text("user_id"), whole_customer)


def open_dispute(ticket: Ticket) -> bool:
    """A customer's objection to an invoice that is not settled yet."""
    return (
        ticket.category == "billing"
        and ticket.related_type == "invoice"
        and ticket.stage not in SETTLED
    )


class PrivacyTools:
    def __init__(
        self,
        seed: Seed,
        render_ticket: Callable[[Ticket], dict[str, Any]],
        render_comment: Callable[[Comment], dict[str, Any]],
        failure: FailureResponse,
    ) -> None:
        self.seed = seed
        self.render_ticket = render_ticket
        self.render_comment = render_comment
        self.failure = failure

    def _known(self, person: Person) -> bool:
        return any(customer.number == person.company for customer in self.seed.customers)

    def _subjects(self, company: str) -> set[tuple[str, str]]:
        """The company's records messages can be on: its tickets and its ERP records."""
        return {
            (kind, r.id)
            for kind, found in subjects(self.seed).items()
            for r in found
            if r.customer == company
        }

    def _tickets(self, person: Person) -> list[Ticket]:
        return [t for t in self.seed.tickets if person.whole and t.customer == person.company]

    def _comments(self, person: Person) -> list[Comment]:
        subjects = self._subjects(person.company)

        def theirs(comment: Comment) -> bool:
            if person.whole:
                return True
            by_login = bool(person.user_id) and comment.author_user_id == person.user_id
            by_name = not comment.author_is_staff and comment.author == person.name
            return by_login or by_name

        return [
            c
            for c in self.seed.comments
            if (c.subject_type, c.subject_id) in subjects and theirs(c)
        ]

    def _mine(self, person: Person, email: str, company: str) -> bool:
        return company == person.company and (person.whole or email.lower() == person.email)

    async def lookup(self, request: Request) -> Response:
        person = Person.of(request.query_params.get)
        if not self._known(person):
            return self.failure(404, f"no company {person.company!r}")
        return JSONResponse(
            {
                "contacts": [
                    contact_json(c)
                    for c in self.seed.contacts
                    if self._mine(person, c.email, c.customer)
                ],
                "consents": [
                    consent_json(c)
                    for c in self.seed.consents
                    if self._mine(person, c.email, c.company_id)
                ],
                "tickets": [self.render_ticket(t) for t in self._tickets(person)],
                "comments": [self.render_comment(c) for c in self._comments(person)],
                "read_states": [
                    read_state_json(s)
                    for s in self.seed.read_states
                    if person.user_id and s.user_id == person.user_id
                ],
                "privacy_requests": [
                    request_json(r)
                    for r in self.seed.privacy_requests
                    if r.company_id == person.company and r.email == person.email
                ],
            }
        )

    async def erase(self, request: Request) -> Response:
        body = await json_object(request)
        person = Person.of(body.get)
        categories = body.get("categories")
        if not isinstance(categories, list) or not all(c in CATEGORIES for c in categories):
            text = f"The CRM erases {', '.join(CATEGORIES)}."
            return refusal([detail("categories", "invalid", text)])
        if not self._known(person):
            return self.failure(404, f"no company {person.company!r}")
        erased: list[dict[str, str]] = []
        held: list[dict[str, Any]] = []
        if "profile" in categories:
            contacts = [c for c in self.seed.contacts if self._mine(person, c.email, c.customer)]
            for contact in contacts:
                self.seed.contacts.remove(contact)
            erased += [{"type": "contact", "id": c.id} for c in contacts]
        if "support" in categories:
            self._erase_support(person, erased, held)
        if "consents" in categories:
            consents = [c for c in self.seed.consents if self._mine(person, c.email, c.company_id)]
            self.seed.consents[:] = [c for c in self.seed.consents if c not in consents]
            erased += [{"type": "consent", "id": c.id} for c in consents]
        return JSONResponse({"status": "held" if held else "done", "erased": erased, "held": held})

    def _erase_support(
        self, person: Person, erased: list[dict[str, str]], held: list[dict[str, Any]]
    ) -> None:
        tickets = {t.id: t for t in self.seed.tickets}
        for comment in self._comments(person):
            ticket = tickets.get(comment.subject_id) if comment.subject_type == "ticket" else None
            if ticket is not None and open_dispute(ticket):
                held.append(kept("comment", comment.id, ticket))
            elif person.whole:
                self.seed.comments.remove(comment)
                erased.append({"type": "comment", "id": comment.id})
            else:
                comment.author, comment.author_user_id = FORMER_USER, None
                erased.append({"type": "comment", "id": comment.id})
        for ticket in self._tickets(person):
            if open_dispute(ticket):
                held.append(kept("ticket", ticket.id, ticket))
            else:
                self.seed.tickets.remove(ticket)
                erased.append({"type": "ticket", "id": ticket.id})
        if person.user_id:
            states = [s for s in self.seed.read_states if s.user_id == person.user_id]
            self.seed.read_states[:] = [s for s in self.seed.read_states if s not in states]


def kept(kind: str, record_id: str, dispute: Ticket) -> dict[str, Any]:
    return {"type": kind, "id": record_id, "reason": dispute_reason(dispute.subject),
            "retain_until": None}  # fmt: skip
