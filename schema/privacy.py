"""Privacy requests (S13): `privacyRequests`, `requestDataExport` and `requestErasure`; the
subscription `privacyRequestUpdated` is in `schema.subscriptions`."""

from datetime import date, datetime
from enum import Enum

import strawberry

from auth.permissions import requires, type_requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import privacy as resolve
from resolvers.context import Context
from schema.common import Node, UserError, global_id
from schema.payloads import user_errors

Info = strawberry.Info[Context, None]
HELD_TYPES = {"INVOICE": ("Invoice", "erp"), "DOCUMENT": ("Document", "dms"),
              "TICKET": ("Ticket", "crm")}  # fmt: skip
"""Kinds of kept records the graph has a type for."""


@strawberry.enum(description="What a privacy request covers.")
class PersonalDataCategory(Enum):
    PROFILE = strawberry.enum_value(
        "PROFILE", description="Master data: a private customer's record and addresses; "
        "contact person records."
    )  # fmt: skip
    SALES = strawberry.enum_value("SALES", description="Quotes, orders, deliveries and bookings.")
    INVOICES = strawberry.enum_value(
        "INVOICES", description="Invoices and credit notes (kept while bookkeeping law requires)."
    )
    PAYMENTS = strawberry.enum_value("PAYMENTS", description="Payments and refunds.")
    SUPPORT = strawberry.enum_value("SUPPORT", description="Tickets and messages.")
    DOCUMENTS = strawberry.enum_value("DOCUMENTS", description="Documents and their versions.")
    CONSENTS = strawberry.enum_value("CONSENTS", description="Consent decisions.")
    ACCOUNT = strawberry.enum_value("ACCOUNT", description="The portal login.")


@strawberry.enum(description="What the person asked for.")
class PrivacyRequestType(Enum):
    EXPORT = "EXPORT"
    ERASURE = "ERASURE"
    RECTIFICATION = "RECTIFICATION"


@strawberry.enum(description="Where a privacy request stands (the CRM's record).")
class PrivacyRequestStatus(Enum):
    RECEIVED = "RECEIVED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    PARTIALLY_COMPLETED = strawberry.enum_value(
        "PARTIALLY_COMPLETED",
        description="Done, but for records kept under a legal hold or a system that failed.",
    )
    REJECTED = "REJECTED"


@strawberry.enum(description="How far one system got with a request.")
class PrivacySystemStatus(Enum):
    DONE = "DONE"
    HELD = strawberry.enum_value("HELD", description="Done, but for records it must keep.")
    PENDING = strawberry.enum_value("PENDING", description="Accepted; it finishes later.")
    FAILED = strawberry.enum_value("FAILED", description="Could not be asked; ask again.")


@strawberry.enum(description="The form of an export's download.")
class ExportFormat(Enum):
    JSON = strawberry.enum_value("JSON", description="One JSON document of every record.")
    ZIP = strawberry.enum_value(
        "ZIP", description="The JSON document and the contents of the documents."
    )


@strawberry.type(description="One system's part in a privacy request.")
class PrivacySystemOutcome:
    system: str = strawberry.field(description="erp, crm, dms, payments or idp.")
    status: PrivacySystemStatus = strawberry.field(description="How far it got.")


@strawberry.type(description="A record kept despite an erasure request, and why.")
class LegalHold:
    system: str = strawberry.field(description="The system keeping it.")
    record_type: str = strawberry.field(description="INVOICE, CUSTOMER, DOCUMENT, MESSAGE, ...")
    external_id: str = strawberry.field(description="The record's ID in that system.")
    record_id: strawberry.ID | None = strawberry.field(
        description="Its global ID, where the graph has a type for it (`node(id:)`)."
    )
    reason: str = strawberry.field(description="Why it is kept (the law, an open dispute).")
    retain_until: date | None = strawberry.field(
        description="Its last day; null while the reason lasts."
    )

    @classmethod
    def of(cls, hold: r.LegalHold) -> "LegalHold":
        graph_type = HELD_TYPES.get(hold.kind)
        return cls(
            system=hold.system.value,
            record_type=hold.kind,
            external_id=hold.record_id,
            record_id=global_id(*graph_type, hold.record_id) if graph_type else None,
            reason=hold.reason,
            retain_until=hold.retain_until,
        )


@strawberry.type(
    description="A request of the viewer about their personal data, as the CRM keeps it.",
    directives=[type_requires(Permission.PRIVACY_REQUEST)],
)
class PrivacyRequest(Node):
    type: PrivacyRequestType = strawberry.field(description="Export, erasure or rectification.")
    status: PrivacyRequestStatus = strawberry.field(description="Where it stands.")
    scope: list[PersonalDataCategory] = strawberry.field(description="What it covers.")
    requested_at: datetime = strawberry.field(description="When it was made.")
    updated_at: datetime = strawberry.field(description="When it last moved on.")
    completed_at: datetime | None = strawberry.field(description="When it was finished.")
    expires_at: datetime | None = strawberry.field(
        description="Until when an export can be downloaded."
    )
    legal_holds: list[LegalHold] = strawberry.field(
        description="What an erasure had to keep, and why."
    )
    record: strawberry.Private[r.PrivacyRequest]

    @classmethod
    def of(cls, request: r.PrivacyRequest) -> "PrivacyRequest":
        return cls(
            id=global_id("PrivacyRequest", "crm", request.id),
            type=PrivacyRequestType(request.type),
            status=PrivacyRequestStatus(request.status),
            scope=[PersonalDataCategory(category) for category in request.scope],
            requested_at=request.requested_at,
            updated_at=request.updated_at,
            completed_at=request.completed_at,
            expires_at=request.expires_at,
            legal_holds=[LegalHold.of(hold) for hold in request.holds],
            record=request,
        )

    @strawberry.field(description="How far each system got (live while the request runs).")
    async def systems(self, info: Info) -> list[PrivacySystemOutcome]:
        found = await resolve.systems(info.context, self.record)
        return [
            PrivacySystemOutcome(system=system.value, status=PrivacySystemStatus(status))
            for system, status in found.items()
        ]

    @strawberry.field(
        description="A signed link to a finished export, for the viewer's bearer token only; "
        "null until it is ready, after it expired, and for ZIP when documents are not in scope."
    )
    def download_url(self, info: Info, format: ExportFormat = ExportFormat.JSON) -> str | None:
        return resolve.download_url(info.context, self.record, format.name.lower())


@strawberry.type
class PrivacyQueries:
    @strawberry.field(
        description="The viewer's privacy requests, newest first (CRM).",
        extensions=requires(Permission.PRIVACY_REQUEST),
    )
    async def privacy_requests(self, info: Info) -> list[PrivacyRequest] | None:
        return [PrivacyRequest.of(found) for found in await resolve.mine(info.context)]


@strawberry.input(description="Ask for every record the company holds about the viewer.")
class RequestDataExportInput:
    scope: list[PersonalDataCategory] | None = strawberry.field(
        default=None, description="What to export; every category when left out."
    )


@strawberry.input(description="Ask for the viewer's personal data to be erased.")
class RequestErasureInput:
    scope: list[PersonalDataCategory] = strawberry.field(description="What to erase.")
    confirmation: str = strawberry.field(
        description="The viewer's e-mail address, typed again: an erasure cannot be undone."
    )


@strawberry.type(description="The export requested; it runs in the background.")
class RequestDataExportPayload:
    privacy_request: PrivacyRequest | None = strawberry.field(
        description="The request (RECEIVED); null on user errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="The erasure requested; it runs in the background.")
class RequestErasurePayload:
    privacy_request: PrivacyRequest | None = strawberry.field(
        description="The request (RECEIVED); null on user errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


def _values(scope: list[PersonalDataCategory] | None) -> list[str] | None:
    return None if scope is None else [category.name for category in scope]


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(
        description="Export every record about the viewer from every system, as one JSON "
        "document (and a ZIP with the documents); follow it in `privacyRequests`.",
        extensions=requires(Permission.PRIVACY_REQUEST),
    )
    async def request_data_export(
        self, info: Info, input: RequestDataExportInput
    ) -> RequestDataExportPayload:
        outcome = await resolve.request_export(info.context, _values(input.scope))
        if isinstance(outcome, list):
            return RequestDataExportPayload(privacy_request=None, user_errors=user_errors(outcome))
        return RequestDataExportPayload(privacy_request=PrivacyRequest.of(outcome), user_errors=[])

    @strawberry.mutation(
        description="Erase the viewer's personal data in every system; records the law keeps "
        "are reported as legal holds.",
        extensions=requires(Permission.PRIVACY_REQUEST),
    )
    async def request_erasure(
        self, info: Info, input: RequestErasureInput
    ) -> RequestErasurePayload:
        outcome = await resolve.request_erasure(
            info.context, _values(input.scope) or [], input.confirmation
        )
        if isinstance(outcome, list):
            return RequestErasurePayload(privacy_request=None, user_errors=user_errors(outcome))
        return RequestErasurePayload(privacy_request=PrivacyRequest.of(outcome), user_errors=[])
