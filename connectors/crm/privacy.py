"""The CRM adapter's part of privacy requests: the request register (`PrivacyRequestPort`,
the record of truth of every request) and the CRM's own personal data (`PersonalDataPort`),
found and erased with its privacy lookup.

A person's privacy requests are exported whatever the scope; they are never erased (they
record how the person's requests were handled).
"""

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from connectors.base.errors import Refusal, UpstreamRefused
from connectors.base.records import (
    DataSubject,
    ErasureOutcome,
    NewPrivacyRequest,
    PersonalRecord,
    PrivacyRequest,
    PrivacyRequestUpdate,
    System,
)
from connectors.base.rest import RestAdapter, grouped
from connectors.crm import mapping

REQUESTS = "/api/v1/privacy_requests"
REQUEST_FIELDS = {"email": "email", "type": "type", "scope": "scope"}
NEW_REQUEST = mapping.Refusals(REQUEST_FIELDS)
REQUEST_CHANGE = mapping.Refusals(
    {"status": "status", "outcomes": "outcomes"},
    "request_id",
    "privacy request",
    "REQUEST_FINISHED",
)


def new_request_refused(status: int, body: Any) -> UpstreamRefused | None:
    """The CRM's refusal of a new request: 409 when one of its type is still open."""
    if status == 409:
        message = "A request of this type is still being handled; wait for its outcome."
        return UpstreamRefused(System.CRM, (Refusal(None, "REQUEST_IN_PROGRESS", message),))
    return NEW_REQUEST(status, body)


class CrmPrivacy(RestAdapter):
    """Mixed into `CrmAdapter`."""

    async def privacy_requests_of(self, customers: Sequence[str]) -> list[list[PrivacyRequest]]:
        found = await self._rest.get_batched(
            REQUESTS, "company_ids", customers, mapping.privacy_requests
        )
        return grouped(found, lambda request: request.customer, customers)

    async def open_privacy_request(self, new: NewPrivacyRequest) -> PrivacyRequest:
        answer = await self._rest.send_json(
            "POST", REQUESTS, mapping.new_privacy_request(new), refusal=new_request_refused
        )
        return mapping.privacy_request(answer)

    async def update_privacy_request(
        self, request_id: str, update: PrivacyRequestUpdate
    ) -> PrivacyRequest:
        answer = await self._rest.send_json(
            "PATCH",
            f"{REQUESTS}/{quote(request_id, safe='')}",
            mapping.privacy_update(update),
            operation=f"PATCH {REQUESTS}/{{request_id}}",
            refusal=REQUEST_CHANGE,
        )
        return mapping.privacy_request(answer)

    async def export_personal_data(
        self, subject: DataSubject, scope: frozenset[str]
    ) -> list[PersonalRecord]:
        params: Mapping[str, str] = mapping.person_params(subject)
        found = mapping.lookup(await self._rest.get("/api/v1/privacy/lookup", params))
        return [r for r in found if r.category in scope | {mapping.PRIVACY_REQUESTS}]

    async def erase_personal_data(
        self, subject: DataSubject, scope: frozenset[str], request_id: str
    ) -> ErasureOutcome:
        categories = sorted(scope & mapping.CRM_CATEGORIES)
        if not categories:
            return ErasureOutcome(System.CRM, "DONE")
        body = {
            **mapping.person_params(subject),
            "whole": subject.whole_customer,
            "categories": [category.lower() for category in categories],
            "request_id": request_id,
        }
        answer = await self._rest.send_json("POST", "/api/v1/privacy/erasures", body)
        return mapping.erasure(answer)
