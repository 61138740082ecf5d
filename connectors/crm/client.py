"""The CRM adapter: contacts and helpdesk tickets over the CRM's REST API (`/api/v1`).

Every batch method is one request per 100 keys (`ids=`, `company_ids=`, `ticket_ids=`);
the ticket search pages with `page`/`per_page`, bounded by `MAX_PAGES`. Each write (a contact
person's, opening a ticket) is one JSON request, never retried.
"""

from collections.abc import Sequence
from urllib.parse import quote

from connectors.base.ports import ListFilter
from connectors.base.records import (
    Contact,
    ContactFields,
    NewTicket,
    System,
    Ticket,
    TicketMessage,
)
from connectors.base.rest import RestAdapter, collect_pages, filter_params, grouped
from connectors.crm import mapping


class CrmAdapter(RestAdapter):
    """`ContactPort` and `TicketPort` for the CRM."""

    system = System.CRM

    async def contacts_of(self, customers: Sequence[str]) -> list[list[Contact]]:
        found = await self._rest.get_batched(
            "/api/v1/contacts", "company_ids", customers, mapping.contacts
        )
        return grouped(found, lambda contact: contact.customer, customers)

    async def create_contact(self, customer: str, fields: ContactFields) -> Contact:
        body = {"company_id": customer, **mapping.contact_form(fields)}
        answer = await self._rest.send_json(
            "POST", "/api/v1/contacts", body, refusal=mapping.invalid_contact
        )
        return mapping.written_contact(answer)

    async def update_contact(self, contact_id: str, fields: ContactFields) -> Contact:
        answer = await self._rest.send_json(
            "PATCH",
            f"/api/v1/contacts/{quote(contact_id, safe='')}",
            mapping.contact_form(fields),
            operation="PATCH /api/v1/contacts/{contact_id}",
            refusal=mapping.invalid_or_unknown_contact,
        )
        return mapping.written_contact(answer)

    async def delete_contact(self, contact_id: str) -> None:
        await self._rest.send_json(
            "DELETE",
            f"/api/v1/contacts/{quote(contact_id, safe='')}",
            operation="DELETE /api/v1/contacts/{contact_id}",
            refusal=mapping.invalid_or_unknown_contact,
        )

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

    async def messages_of(self, ticket_ids: Sequence[str]) -> list[list[TicketMessage]]:
        """Public comments only, oldest first: `mapping.public_messages` drops internal notes."""
        found = await self._rest.get_batched(
            "/api/v1/comments", "ticket_ids", ticket_ids, mapping.public_messages
        )
        return grouped(found, lambda message: message.ticket_id, ticket_ids)

    async def create_ticket(self, ticket: NewTicket) -> Ticket:
        return mapping.ticket(
            await self._rest.send_json("POST", "/api/v1/tickets", mapping.new_ticket(ticket))
        )
