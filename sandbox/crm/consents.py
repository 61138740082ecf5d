"""The CRM's consent register: decisions per company and e-mail address, append-only (a
decision is never changed; a revocation is a new decision), with the consent texts' versions.

`GET /api/v1/consents?company_ids=…` answers every decision of those companies, oldest first.
`POST /api/v1/consents` (a form: `company_id`, `email`, `purpose`, `granted` true|false,
`text_version`) records one and answers it with 201. A decision must name the purpose's
current text version (422 `outdated_text_version` otherwise: the customer saw another text);
an unknown company is 404, a malformed field 400. `GET /api/v1/consent_texts` lists the current
text version of each purpose.
"""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.model import ConsentRecord, Seed
from sandbox.rest import BadRequest, Clock, id_list

CURRENT_TEXTS = {
    "marketing_email": "v2",
    "analytics": "v1",
    "personalization": "v1",
    "ebill_data_sharing": "v1",
}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
BOOLEANS = {"true": True, "false": False}


def consent_json(record: ConsentRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "company_id": record.company_id,
        "email": record.email,
        "purpose": record.purpose,
        "granted": record.granted,
        "text_version": record.text_version,
        "decided_at": record.decided_at.isoformat(),
        "channel": record.channel,
    }


class ConsentRegister:
    def __init__(self, seed: Seed, clock: Clock, failure: Callable[[int, str], Response]) -> None:
        self.seed = seed
        self.clock = clock
        self.failure = failure

    async def list(self, request: Request) -> Response:
        companies = id_list(request, "company_ids")
        if companies is None:
            raise BadRequest("'company_ids' is required")
        wanted = set(companies)
        found = sorted(
            (c for c in self.seed.consents if c.company_id in wanted),
            key=lambda c: (c.decided_at, c.id),
        )
        return JSONResponse([consent_json(c) for c in found])

    async def texts(self, _: Request) -> Response:
        return JSONResponse([{"purpose": p, "version": v} for p, v in CURRENT_TEXTS.items()])

    async def record(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8")))
        company, email = form.get("company_id", ""), form.get("email", "")
        purpose, granted = form.get("purpose", ""), BOOLEANS.get(form.get("granted", ""))
        if purpose not in CURRENT_TEXTS:
            raise BadRequest(f"'purpose' must be one of {', '.join(CURRENT_TEXTS)}")
        if granted is None:
            raise BadRequest("'granted' must be true or false")
        if not EMAIL.fullmatch(email):
            raise BadRequest("'email' must be an e-mail address")
        if not any(customer.number == company for customer in self.seed.customers):
            return self.failure(404, f"no company {company!r}")
        if form.get("text_version") != CURRENT_TEXTS[purpose]:
            return self.failure(
                422,
                f"outdated_text_version: the current {purpose} text is {CURRENT_TEXTS[purpose]}",
            )
        record = ConsentRecord(
            id=f"CNS-{len(self.seed.consents) + 1:04d}",
            company_id=company,
            email=email.lower(),
            purpose=purpose,
            granted=granted,
            text_version=CURRENT_TEXTS[purpose],
            decided_at=self.clock(),
        )
        self.seed.consents.append(record)
        return JSONResponse(consent_json(record), status_code=201)
