"""The CRM adapter: contacts, helpdesk tickets, the messages on cases, consents and the
customers' segments over the CRM's REST API (`/api/v1`).

Every batch method is one request per 100 keys (`ids=`, `company_ids=`, `subjects=`); the
ticket search pages with `page`/`per_page`, bounded by `MAX_PAGES`. Each write (a contact
person's, a ticket's, a message, a read state) is one JSON request, recording a consent one
form POST; writes are never retried. The CRM's refusals of the JSON writes (422, and 404 or
409 for a write to a record) become `UpstreamRefused` (`mapping.Refusals`).
"""

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from connectors.base.ports import ListFilter
from connectors.base.records import (
    CaseRef,
    Consent,
    ConsentDecision,
    Contact,
    ContactFields,
    CustomerSegment,
    Message,
    NewMessage,
    NewTicket,
    ReadState,
    System,
    Ticket,
    TicketChanges,
)
from connectors.base.rest import (
    RefusalReader,
    RestAdapter,
    collect_pages,
    fetch_batches,
    filter_params,
    grouped,
)
from connectors.crm import mapping
from connectors.crm.privacy import CrmPrivacy

COMPANIES = "/api/v1/companies"
CONTACTS = "/api/v1/contacts"
CONTACT = CONTACTS + "/{contact_id}"
TICKETS = "/api/v1/tickets"
TICKET = TICKETS + "/{ticket_id}"


class CrmAdapter(CrmPrivacy, RestAdapter):
    """`ContactPort`, `TicketPort`, `ThreadPort`, `ConsentPort` and `SegmentPort` for the
    CRM; its `PrivacyRequestPort` and `PersonalDataPort` are `CrmPrivacy`'s."""

    system = System.CRM

    async def contacts_of(self, customers: Sequence[str]) -> list[list[Contact]]:
        found = await self._rest.get_batched(CONTACTS, "company_ids", customers, mapping.contacts)
        return grouped(found, lambda contact: contact.customer, customers)

    async def create_contact(self, customer: str, fields: ContactFields) -> Contact:
        body = {"company_id": customer, **mapping.contact_form(fields)}
        answer = await self._write("POST", CONTACTS, body, mapping.CONTACT_WRITE)
        return mapping.written_contact(answer)

    async def update_contact(self, contact_id: str, fields: ContactFields) -> Contact:
        body = mapping.contact_form(fields)
        answer = await self._write(
            "PATCH", CONTACT, body, mapping.CONTACT_CHANGE, contact_id=contact_id
        )
        return mapping.written_contact(answer)

    async def delete_contact(self, contact_id: str) -> None:
        await self._write("DELETE", CONTACT, None, mapping.CONTACT_CHANGE, contact_id=contact_id)

    async def get_tickets(self, ids: Sequence[str]) -> list[Ticket | None]:
        found = await self._rest.get_batched(TICKETS, "ids", ids, mapping.tickets)
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
                await self._rest.get(TICKETS, {**params, "page": number})
            )
            more = bool(found) and number * self._page_size < total
            return found, number + 1 if more else None

        return await collect_pages(1, page)

    async def _write(
        self,
        method: str,
        template: str,
        body: Mapping[str, Any] | None,
        refusal: RefusalReader,
        **ids: str,
    ) -> Any:
        """Send one write to `template` with its `ids` filled in (each its operation in the
        metrics, whatever the ID)."""
        return await self._rest.send_json(
            method,
            template.format(**{name: quote(value, safe="") for name, value in ids.items()}),
            body,
            operation=f"{method} {template}",
            refusal=refusal,
        )

    async def create_ticket(self, ticket: NewTicket) -> Ticket:
        body = mapping.new_ticket(ticket)
        return mapping.ticket(await self._write("POST", TICKETS, body, mapping.NEW_TICKET))

    async def _change(
        self, method: str, template: str, body: Mapping[str, Any], ticket_id: str
    ) -> Ticket:
        answer = await self._write(
            method, template, body, mapping.TICKET_CHANGE, ticket_id=ticket_id
        )
        return mapping.ticket(answer)

    async def update_ticket(self, ticket_id: str, changes: TicketChanges) -> Ticket:
        return await self._change("PATCH", TICKET, mapping.changes_body(changes), ticket_id)

    async def close_ticket(self, ticket_id: str) -> Ticket:
        return await self._change("POST", f"{TICKET}/close", {}, ticket_id)

    async def reopen_ticket(self, ticket_id: str) -> Ticket:
        return await self._change("POST", f"{TICKET}/reopen", {}, ticket_id)

    async def rate_ticket(self, ticket_id: str, rating: int, comment: str | None) -> Ticket:
        body = {"rating": rating, "comment": comment}
        return await self._change("POST", f"{TICKET}/rating", body, ticket_id)

    async def messages_of(self, subjects: Sequence[CaseRef]) -> list[list[Message]]:
        """Public comments only, oldest first: `mapping.public_messages` drops internal notes."""
        keys = [mapping.subject_key(subject) for subject in subjects]
        found = await self._rest.get_batched(
            "/api/v1/comments", "subjects", keys, mapping.public_messages
        )
        return grouped(found, lambda message: message.subject, subjects)

    async def post_message(self, message: NewMessage) -> Message:
        body = mapping.message_body(message)
        return mapping.message(
            await self._write("POST", "/api/v1/comments", body, mapping.ON_SUBJECT)
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
        answer = await self._write("PUT", "/api/v1/read_states", body, mapping.ON_SUBJECT)
        return mapping.read_state(answer)

    async def consents_of(self, customers: Sequence[str]) -> list[list[Consent]]:
        found = await self._rest.get_batched(
            "/api/v1/consents", "company_ids", customers, mapping.consents
        )
        return grouped(found, lambda consent: consent.customer, customers)

    async def segments_of(self, customers: Sequence[str]) -> list[CustomerSegment | None]:
        found = await self._rest.get_batched(COMPANIES, "ids", customers, mapping.segments)
        by_customer = {segment.customer: segment for segment in found}
        return [by_customer.get(customer) for customer in customers]

    async def consent_texts(self) -> dict[str, str]:
        return mapping.consent_texts(await self._rest.get("/api/v1/consent_texts"))

    async def record_consent(self, decision: ConsentDecision) -> Consent:
        body = await self._rest.post_form("/api/v1/consents", mapping.consent_form(decision))
        return mapping.consent(body)
