"""The CRM's register of data subject requests (export, erasure, rectification), the record of
truth of how each was handled.

`GET /api/v1/privacy_requests?company_ids=…` (or `ids=…`) answers them oldest first.
`POST /api/v1/privacy_requests` (JSON: `company_id`, `email`, `user_id`, `type`, `scope`)
records a new one as `received` and answers it with 201; `PATCH
/api/v1/privacy_requests/{request_id}` records its progress (`status`, `outcomes` per system,
`holds`, `expires_at`). Like the contact writes, a value the CRM refuses is 422 with the
reasons per field; an unknown company or request is 404; a second open request of the same
type for the same person, or a change to a finished one, is 409.
"""

from datetime import date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.crm.contacts import detail, refusal
from sandbox.faults import FailureResponse
from sandbox.model import PrivacyRequestRecord, RetentionHold, Seed
from sandbox.rest import BadRequest, Clock, id_list, json_object

TYPES = ("export", "erasure", "rectification")
CATEGORIES = ("profile", "sales", "invoices", "payments", "support", "documents", "consents",
              "account")  # fmt: skip
OPEN = ("received", "in_progress")
FINISHED = ("completed", "partially_completed", "rejected")
SYSTEMS = ("erp", "crm", "dms", "payments", "idp")
OUTCOMES = ("done", "held", "pending", "failed")
EMAIL_LIMIT = 254


def hold_json(hold: RetentionHold) -> dict[str, Any]:
    return {
        "system": hold.system,
        "object_type": hold.object_type,
        "object_id": hold.object_id,
        "reason": hold.reason,
        "retain_until": hold.retain_until.isoformat() if hold.retain_until else None,
    }


def request_json(record: PrivacyRequestRecord) -> dict[str, Any]:
    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": record.id,
        "company_id": record.company_id,
        "email": record.email,
        "user_id": record.user_id,
        "type": record.type,
        "status": record.status,
        "scope": record.scope,
        "requested_at": record.requested_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "completed_at": moment(record.completed_at),
        "expires_at": moment(record.expires_at),
        "outcomes": [{"system": s, "status": o} for s, o in record.outcomes.items()],
        "holds": [hold_json(hold) for hold in record.holds],
    }


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string")
    return (value or "").strip()


def _list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name, [])
    if not isinstance(value, list):
        raise BadRequest(f"'{name}' must be a list")
    return value


def _moment(value: object, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(f"'{name}' must be an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        raise BadRequest(f"'{name}' must name its time zone")
    return parsed


def _hold(value: object) -> RetentionHold:
    if not isinstance(value, dict):
        raise BadRequest("'holds' entries must be objects")
    until = value.get("retain_until")
    try:
        retain_until = date.fromisoformat(until) if isinstance(until, str) else None
    except ValueError:
        raise BadRequest("'retain_until' must be a date YYYY-MM-DD") from None
    names = ("system", "object_type", "object_id", "reason")
    if not all(isinstance(value.get(name), str) and value[name] for name in names):
        raise BadRequest(f"'holds' entries need {', '.join(names)}")
    system, object_type, object_id, reason = (str(value[name]) for name in names)
    return RetentionHold(system, object_type, object_id, reason, retain_until)


class PrivacyRequests:
    def __init__(self, seed: Seed, clock: Clock, failure: FailureResponse) -> None:
        self.seed = seed
        self.clock = clock
        self.failure = failure

    async def list(self, request: Request) -> Response:
        ids, companies = id_list(request, "ids"), id_list(request, "company_ids")
        if (ids is None) == (companies is None):
            raise BadRequest("exactly one of 'ids' or 'company_ids' is required")
        found = sorted(
            (
                r
                for r in self.seed.privacy_requests
                if (r.id in ids if ids is not None else r.company_id in (companies or ()))
            ),
            key=lambda r: (r.requested_at, r.id),
        )
        return JSONResponse([request_json(r) for r in found])

    async def create(self, request: Request) -> Response:
        body = await json_object(request)
        company, email = _text(body, "company_id"), _text(body, "email").lower()
        kind, scope = _text(body, "type"), _list(body, "scope")
        if not any(customer.number == company for customer in self.seed.customers):
            return self.failure(404, f"no company {company!r}")
        details = []
        if "@" not in email or len(email) > EMAIL_LIMIT:
            details.append(detail("email", "invalid", "Not an e-mail address."))
        if kind not in TYPES:
            details.append(detail("type", "invalid", f"The type is one of {', '.join(TYPES)}."))
        if not all(category in CATEGORIES for category in scope):
            text = f"The scope names categories of {', '.join(CATEGORIES)}."
            details.append(detail("scope", "invalid", text))
        elif kind == "erasure" and not scope:
            details.append(detail("scope", "required", "An erasure names what to erase."))
        if details:
            return refusal(details)
        if any(
            r.company_id == company and r.email == email and r.type == kind and r.status in OPEN
            for r in self.seed.privacy_requests
        ):
            return self.failure(409, f"an {kind} request of {email} is still open")
        now = self.clock()
        record = PrivacyRequestRecord(
            id=f"PRQ-{len(self.seed.privacy_requests) + 1:04d}",
            company_id=company,
            email=email,
            user_id=_text(body, "user_id") or None,
            type=kind,
            status="received",
            scope=list(dict.fromkeys(scope)),
            requested_at=now,
            updated_at=now,
        )
        self.seed.privacy_requests.append(record)
        return JSONResponse(request_json(record), status_code=201)

    async def update(self, request: Request) -> Response:
        request_id = request.path_params["request_id"]
        record = next((r for r in self.seed.privacy_requests if r.id == request_id), None)
        if record is None:
            return self.failure(404, f"privacy request {request_id} not found")
        body = await json_object(request)
        status = _text(body, "status")
        outcomes = {}
        for entry in _list(body, "outcomes"):
            if not isinstance(entry, dict):
                raise BadRequest("'outcomes' entries must be objects")
            outcomes[str(entry.get("system"))] = str(entry.get("status"))
        details = []
        if status not in OPEN[1:] + FINISHED:
            details.append(detail("status", "invalid", "Not a status a request can move to."))
        if not all(s in SYSTEMS and o in OUTCOMES for s, o in outcomes.items()):
            text = f"Outcomes are one of {', '.join(OUTCOMES)} for {', '.join(SYSTEMS)}."
            details.append(detail("outcomes", "invalid", text))
        if details:
            return refusal(details)
        holds = [_hold(hold) for hold in _list(body, "holds")]
        expires_at = _moment(body.get("expires_at"), "expires_at")
        if record.status in FINISHED:
            return self.failure(409, f"privacy request {record.id} is {record.status}")
        record.status, record.outcomes, record.holds = status, outcomes, holds
        record.expires_at = expires_at
        record.updated_at = self.clock()
        if status in FINISHED:
            record.completed_at = record.updated_at
        return JSONResponse(request_json(record))
