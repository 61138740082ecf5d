"""The viewer's preferences (kept by the identity provider): `viewer.preferences`,
`updatePreferences`, `saveView`, `deleteView` and `pinDocument`."""

from datetime import datetime
from enum import Enum

import strawberry

from auth.permissions import requires
from auth.policy import Permission
from auth.preferences import SavedView as StoredView
from resolvers import preferences as resolve
from resolvers.context import Context
from schema.common import UserError
from schema.documents import Document
from schema.enums import CaseType
from schema.inputs import CaseFilterInput
from schema.payloads import external_id_of, user_errors

Info = strawberry.Info[Context, None]


@strawberry.enum(description="How the portal tells the user of an event.")
class NotificationChannel(Enum):
    IN_APP = "IN_APP"
    EMAIL = "EMAIL"
    SMS = "SMS"


@strawberry.enum(description="What the portal can notify a user of.")
class NotificationEvent(Enum):
    ORDER_STATUS = "ORDER_STATUS"
    DELIVERY = "DELIVERY"
    INVOICE_ISSUED = "INVOICE_ISSUED"
    INVOICE_DUE = "INVOICE_DUE"
    PAYMENT_STATUS = "PAYMENT_STATUS"
    TICKET_UPDATE = "TICKET_UPDATE"
    MESSAGE = "MESSAGE"
    DOCUMENT_ADDED = "DOCUMENT_ADDED"
    BOOKING_STATUS = "BOOKING_STATUS"
    SYSTEM_NOTICE = "SYSTEM_NOTICE"


@strawberry.enum(description="The tiles a dashboard can show.")
class DashboardWidget(Enum):
    ACCOUNT_BALANCE = "ACCOUNT_BALANCE"
    OPEN_INVOICES = "OPEN_INVOICES"
    ORDERS = "ORDERS"
    DELIVERIES = "DELIVERIES"
    TICKETS = "TICKETS"
    CASES = "CASES"
    DOCUMENTS = "DOCUMENTS"
    PINNED_DOCUMENTS = "PINNED_DOCUMENTS"
    BOOKINGS = "BOOKINGS"
    NOTICES = "NOTICES"
    RECOMMENDATIONS = "RECOMMENDATIONS"


@strawberry.type(description="The channel for one kind of event.")
class NotificationSetting:
    event: NotificationEvent = strawberry.field(description="The kind of event.")
    channel: NotificationChannel = strawberry.field(description="How the user hears of it.")


@strawberry.type(description="A saved case filter, as `cases(filter:)` takes it.")
class CaseViewFilter:
    types: list[CaseType] = strawberry.field(description="Any of these kinds (none: all).")
    statuses: list[str] = strawberry.field(description="Any of these statuses (none: all).")
    search: str | None = strawberry.field(description="Part of number or title.")
    updated_since: datetime | None = strawberry.field(description="Changed since.")
    overdue: bool | None = strawberry.field(description="Only overdue invoices.")


@strawberry.type(description="A named case view the user saved.")
class SavedView:
    name: str = strawberry.field(description="Its name, unique per user (in any case).")
    filter: CaseViewFilter = strawberry.field(description="The filter it applies.")

    @classmethod
    def of(cls, view: StoredView) -> "SavedView":
        where = resolve.case_filter(view.filter)
        return cls(
            name=view.name,
            filter=CaseViewFilter(
                types=[CaseType(t) for t in sorted(where.types)],
                statuses=sorted(where.statuses),
                search=where.search,
                updated_since=where.updated_since,
                overdue=where.overdue,
            ),
        )


@strawberry.type(
    description="What the portal remembers for the viewer (identity provider), defaults "
    "where they chose nothing."
)
class Preferences:
    locale: str = strawberry.field(
        description="de-CH, fr-CH, it-CH, en or de-DE: tokens issued after a change carry it "
        "and localize status labels (an explicit Accept-Language wins)."
    )
    timezone: str = strawberry.field(description="An IANA time zone, such as Europe/Zurich.")
    notifications: list[NotificationSetting] = strawberry.field(
        description="The channel for every kind of event (IN_APP unless chosen)."
    )
    dashboard_widgets: list[DashboardWidget] = strawberry.field(
        description="The dashboard's tiles, in order."
    )
    saved_views: list[SavedView] = strawberry.field(description="Saved case views, by name.")
    record: strawberry.Private[resolve.Preferences]

    @classmethod
    def of(cls, found: resolve.Preferences) -> "Preferences":
        return cls(
            locale=found.locale,
            timezone=found.timezone,
            notifications=[
                NotificationSetting(event=NotificationEvent(e), channel=NotificationChannel(c))
                for e, c in found.notifications
            ],
            dashboard_widgets=[DashboardWidget(w) for w in found.dashboard],
            saved_views=[SavedView.of(view) for view in found.views],
            record=found,
        )

    @strawberry.field(
        description="Documents pinned in the active organization that the viewer may read."
    )
    async def pinned_documents(self, info: Info) -> list[Document]:
        return [Document.of(d) for d in await resolve.pinned_documents(info.context, self.record)]


@strawberry.input(description="The channel for one kind of event.")
class NotificationSettingInput:
    event: NotificationEvent = strawberry.field(description="The kind of event.")
    channel: NotificationChannel = strawberry.field(description="How to hear of it.")


@strawberry.input(description="Change preferences; what is left out stays as it is.")
class UpdatePreferencesInput:
    locale: str | None = strawberry.field(
        default=None, description="de-CH, fr-CH, it-CH, en or de-DE."
    )
    timezone: str | None = strawberry.field(
        default=None, description="An IANA time zone, such as Europe/Zurich."
    )
    notifications: list[NotificationSettingInput] | None = strawberry.field(
        default=None, description="Channels for these kinds of event; the others stay."
    )
    dashboard_widgets: list[DashboardWidget] | None = strawberry.field(
        default=None, description="The dashboard's tiles, in order (at least one)."
    )


@strawberry.type(description="The preferences changed.")
class UpdatePreferencesPayload:
    preferences: Preferences | None = strawberry.field(description="Null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Save a case filter under a name (replacing a view so named).")
class SaveViewInput:
    name: str = strawberry.field(description="1 to 60 characters.")
    filter: CaseFilterInput = strawberry.field(description="The filter to save.")


@strawberry.type(description="The view saved.")
class SaveViewPayload:
    view: SavedView | None = strawberry.field(description="The view; null on user errors.")
    preferences: Preferences | None = strawberry.field(description="Null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Delete a saved view.")
class DeleteViewInput:
    name: str = strawberry.field(description="The view's name (in any case).")


@strawberry.type(description="The view deleted.")
class DeleteViewPayload:
    preferences: Preferences | None = strawberry.field(description="Null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Pin a document to the dashboard, or unpin it.")
class PinDocumentInput:
    document_id: strawberry.ID = strawberry.field(description="The document's global ID.")
    pinned: bool = strawberry.field(default=True, description="False unpins it.")


@strawberry.type(description="The document pinned or unpinned.")
class PinDocumentPayload:
    document: Document | None = strawberry.field(
        description="The document; null on user errors (or unpinned and no longer readable)."
    )
    preferences: Preferences | None = strawberry.field(description="Null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type
class PreferenceMutations:
    @strawberry.mutation(
        description="Change the viewer's locale, time zone, notification channels or dashboard "
        "(user attributes in the identity provider).",
        extensions=requires(Permission.PREFERENCES_MANAGE),
    )
    async def update_preferences(
        self, info: Info, input: UpdatePreferencesInput
    ) -> UpdatePreferencesPayload:
        changes = resolve.PreferenceChanges(
            locale=input.locale,
            timezone=input.timezone,
            notifications=tuple((n.event.value, n.channel.value) for n in input.notifications)
            if input.notifications is not None
            else None,
            dashboard=tuple(w.value for w in input.dashboard_widgets)
            if input.dashboard_widgets is not None
            else None,
        )
        outcome = await resolve.update(info.context, changes)
        if isinstance(outcome, list):
            return UpdatePreferencesPayload(preferences=None, user_errors=user_errors(outcome))
        return UpdatePreferencesPayload(preferences=Preferences.of(outcome), user_errors=[])

    @strawberry.mutation(
        description="Save a case view (at most 20 per user).",
        extensions=requires(Permission.PREFERENCES_MANAGE),
    )
    async def save_view(self, info: Info, input: SaveViewInput) -> SaveViewPayload:
        outcome = await resolve.save_view(info.context, input.name, input.filter.build())
        if isinstance(outcome, list):
            errors = user_errors(outcome)
            return SaveViewPayload(view=None, preferences=None, user_errors=errors)
        view, found = outcome
        return SaveViewPayload(
            view=SavedView.of(view), preferences=Preferences.of(found), user_errors=[]
        )

    @strawberry.mutation(
        description="Delete a saved case view.",
        extensions=requires(Permission.PREFERENCES_MANAGE),
    )
    async def delete_view(self, info: Info, input: DeleteViewInput) -> DeleteViewPayload:
        outcome = await resolve.delete_view(info.context, input.name)
        if isinstance(outcome, list):
            return DeleteViewPayload(preferences=None, user_errors=user_errors(outcome))
        return DeleteViewPayload(preferences=Preferences.of(outcome), user_errors=[])

    @strawberry.mutation(
        description="Pin a document of the active organization to the dashboard (at most 20), "
        "or unpin it.",
        extensions=requires(Permission.PREFERENCES_MANAGE),
    )
    async def pin_document(self, info: Info, input: PinDocumentInput) -> PinDocumentPayload:
        document_id = external_id_of(input.document_id, "Document")
        outcome = await resolve.pin(info.context, document_id, input.pinned)
        if isinstance(outcome, list):
            errors = user_errors(outcome)
            return PinDocumentPayload(document=None, preferences=None, user_errors=errors)
        return PinDocumentPayload(
            document=Document.of(outcome.document) if outcome.document else None,
            preferences=Preferences.of(outcome.preferences),
            user_errors=[],
        )
