"""The CRM adapter: contacts, helpdesk tickets and the messages on cases over the CRM's REST
API (`/api/v1`).

Every batch method is one request per 100 keys (`ids=`, `company_ids=`, `subjects=`); the
ticket search pages with `page`/`per_page`, bounded by `MAX_PAGES`. Writes send JSON once,
never retried; the CRM's refusals (404, 409, 422) become `UpstreamRefused` with its reason.
"""

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from connectors.base.ports import ListFilter
from connectors.base.records import (
    CaseRef,
    Contact,
    Message,
    NewMessage,
    ReadState,
    System,
    Ticket,
    TicketChanges,
    TicketDraft,
)
from connectors.base.rest import (
    RestAdapter,
    collect_pages,
    fetch_batches,
    filter_params,
    grouped,
)
from connectors.crm import mapping

TICKET = "/api/v1/tickets/{ticket_id}"


class CrmAdapter(RestAdapter):
    """`ContactPort`, `TicketPort` and `ThreadPort` for the CRM."""

    system = System.CRM

    async def contacts_of(self, customers: Sequence[str]) -> list[list[Contact]]:
        found = await self._rest.get_batched(
            "/api/v1/contacts", "company_ids", customers, mapping.contacts
        )
        return grouped(found, lambda contact: contact.customer, customers)

    async def get_tickets(self, ids: Sequence[str]) -> list[Ticket | None]:
        found = await self._rest.get_batched("/api/v1/tickets", "ids", ids, mapping.tickets)
        by_id = {ticket.id: ticket for ticket in found}
        return [by_id.get(ticket_id) for ticket_id in ids]

    async def list_tickets(self, customer: str, query: ListFilter) -> list[Ticket]:
        params: dict[str, str | int] = {
            "company_id": customer,
            "per_page": self._page_size,
            **filter_params(query, "search", "created_from", "created_to"),
        }

        async def page(number: int) -> tuple[list[Ticket], int | None]:
            found, total = mapping.ticket_page(
                await self._rest.get("/api/v1/tickets", {**params, "page": number})
            )
            more = bool(found) and number * self._page_size < total
            return found, number + 1 if more else None

        return await collect_pages(1, page)

    async def _write(
        self, method: str, template: str, body: Mapping[str, Any], ticket_id: str = ""
    ) -> Any:
        return await self._rest.send_json(
            method,
            template.format(ticket_id=quote(ticket_id, safe="")),
            body,
            operation=f"{method} {template}",
            refusal=mapping.refusal,
        )

    async def create_ticket(self, draft: TicketDraft) -> Ticket:
        return mapping.ticket(
            await self._write("POST", "/api/v1/tickets", mapping.ticket_body(draft))
        )

    async def update_ticket(self, ticket_id: str, changes: TicketChanges) -> Ticket:
        body = mapping.changes_body(changes)
        return mapping.ticket(await self._write("PATCH", TICKET, body, ticket_id))

    async def close_ticket(self, ticket_id: str) -> Ticket:
        return mapping.ticket(await self._write("POST", f"{TICKET}/close", {}, ticket_id))

    async def reopen_ticket(self, ticket_id: str) -> Ticket:
        return mapping.ticket(await self._write("POST", f"{TICKET}/reopen", {}, ticket_id))

    async def rate_ticket(self, ticket_id: str, rating: int, comment: str | None) -> Ticket:
        body = {"rating": rating, "comment": comment}
        return mapping.ticket(await self._write("POST", f"{TICKET}/rating", body, ticket_id))

    async def messages_of(self, subjects: Sequence[CaseRef]) -> list[list[Message]]:
        """Public comments only, oldest first: `mapping.public_messages` drops internal notes."""
        keys = [mapping.subject_key(subject) for subject in subjects]
        found = await self._rest.get_batched(
            "/api/v1/comments", "subjects", keys, mapping.public_messages
        )
        return grouped(found, lambda message: message.subject, subjects)

    async def post_message(self, message: NewMessage) -> Message:
        return mapping.message(
            await self._write("POST", "/api/v1/comments", mapping.message_body(message))
        )

    async def read_states(self, user: str, subjects: Sequence[CaseRef]) -> list[ReadState]:
        async def fetch(chunk: list[str]) -> list[ReadState]:
            params = {"user_id": user, "subjects": ",".join(chunk)}
            return mapping.read_states(await self._rest.get("/api/v1/read_states", params))

        keys = [mapping.subject_key(subject) for subject in subjects]
        found = {state.subject: state for state in await fetch_batches(keys, fetch)}
        return [found.get(subject) or ReadState(subject, None) for subject in subjects]

    async def mark_read(self, user: str, customer: str, subject: CaseRef) -> ReadState:
        body = {"user_id": user, "company_id": customer, "subject": mapping.subject_body(subject)}
        return mapping.read_state(await self._write("PUT", "/api/v1/read_states", body))
