"""The CRM's contact persons as JSON, and their writes: `POST /api/v1/contacts`, `PATCH` and
`DELETE /api/v1/contacts/{contact_id}`.

Like most REST CRMs, invalid data is refused with 422 and the reasons per field
(`error.details[{field, code, message}]`), and nothing is written; an unknown contact is 404.
A PATCH changes the fields its body names (`null` clears an optional one). E-mail addresses
are unique within a company.
"""

import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.faults import FailureResponse
from sandbox.model import Contact, Seed
from sandbox.rest import BadRequest, json_object

FIELDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "function": "job_title",
}
"""JSON field → contact attribute."""
REQUIRED = ("first_name", "last_name", "email")
LIMITS = {"first_name": 50, "last_name": 50, "email": 254, "phone": 30, "function": 100}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"\+?[0-9][0-9 ()/.-]{5,24}")


def contact_json(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "company_id": contact.customer,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone or None,
        "function": contact.job_title or None,
    }


def refusal(details: list[dict[str, str]]) -> Response:
    error = {"status": 422, "message": "validation failed", "details": details}
    return JSONResponse({"error": error}, status_code=422)


def detail(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


class ContactWrites:
    """The write handlers over the seed's contacts."""

    def __init__(self, seed: Seed, failure: FailureResponse) -> None:
        self.seed = seed
        self.failure = failure

    async def create(self, request: Request) -> Response:
        body = await json_object(request)
        company = body.get("company_id")
        if not any(customer.number == company for customer in self.seed.customers):
            return refusal([detail("company_id", "unknown", "No such company.")])
        values = {field: _text(body, field) for field in FIELDS}
        details = self._check(values, str(company), None)
        if details:
            return refusal(details)
        number = max((int(c.id.removeprefix("CT-")) for c in self.seed.contacts), default=0)
        contact = Contact(
            id=f"CT-{number + 1}",
            customer=str(company),
            **{attribute: values[field] for field, attribute in FIELDS.items()},
        )
        self.seed.contacts.append(contact)
        return JSONResponse(contact_json(contact), status_code=201)

    async def update(self, request: Request) -> Response:
        contact = self._find(request)
        if contact is None:
            return self._missing(request)
        body = await json_object(request)
        values = {field: getattr(contact, attribute) for field, attribute in FIELDS.items()}
        values |= {field: _text(body, field) for field in FIELDS if field in body}
        details = self._check(values, contact.customer, contact.id)
        if details:
            return refusal(details)
        for field, attribute in FIELDS.items():
            setattr(contact, attribute, values[field])
        return JSONResponse(contact_json(contact))

    async def delete(self, request: Request) -> Response:
        contact = self._find(request)
        if contact is None:
            return self._missing(request)
        self.seed.contacts.remove(contact)
        return Response(status_code=204)

    def _find(self, request: Request) -> Contact | None:
        contact_id = request.path_params["contact_id"]
        return next((c for c in self.seed.contacts if c.id == contact_id), None)

    def _missing(self, request: Request) -> Response:
        return self.failure(404, f"contact {request.path_params['contact_id']} not found")

    def _check(
        self, values: Mapping[str, str], company: str, contact_id: str | None
    ) -> list[dict[str, str]]:
        details = [detail(f, "required", f"{f} is required.") for f in REQUIRED if not values[f]]
        details += [
            detail(f, "too_long", f"{f} takes at most {limit} characters.")
            for f, limit in LIMITS.items()
            if len(values[f]) > limit
        ]
        email, phone = values["email"], values["phone"]
        if email and not EMAIL.fullmatch(email):
            details.append(detail("email", "invalid", "Not an e-mail address."))
        elif any(
            c.customer == company and c.id != contact_id and c.email.casefold() == email.casefold()
            for c in self.seed.contacts
        ):
            text = "Another contact of this company has this e-mail address."
            details.append(detail("email", "taken", text))
        if phone and not PHONE.fullmatch(phone):
            details.append(detail("phone", "invalid", "Not a phone number (+41 52 260 10 01)."))
        return details


def _text(body: Mapping[str, Any], field: str) -> str:
    """A field's value, trimmed; absent or null is empty."""
    value = body.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"'{field}' must be a string")
    return value.strip()
