"""The viewer's preferences, kept by the identity provider as user attributes
(`auth.preferences`), never by the gateway: queries read the cached account; a change reads
the account afresh, writes only the attributes it changes through the admin API (once, never
retried) and drops the cached account, so the next read sees it.

Pinned documents belong to the organization the viewer acts for; saved views, locale, time
zone, notification channels and the dashboard are the person's in every organization. The
locale is Keycloak's own `locale` attribute, which the token's `locale` claim carries: tokens
issued after a change (a refreshed token) localize with it; `Accept-Language` still wins.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from auth import preferences as stored
from auth.preferences import Pin, SavedView, StoredPreferences
from connectors.base import records as r
from connectors.base.errors import UpstreamError
from connectors.base.records import System
from resolvers.cases import CASE_TYPES, CaseFilter
from resolvers.context import Context
from resolvers.documents import readable_by_id
from resolvers.errors import Unauthenticated, client_failure
from resolvers.labels import SUPPORTED_LOCALES, negotiate_locale
from resolvers.members import upstream
from resolvers.writes import Problem, write_through

DEFAULT_TIMEZONE = "Europe/Zurich"
CHANNELS = ("IN_APP", "EMAIL", "SMS")
DEFAULT_CHANNEL = "IN_APP"
EVENT_TYPES = ("ORDER_STATUS", "DELIVERY", "INVOICE_ISSUED", "INVOICE_DUE", "PAYMENT_STATUS",
               "TICKET_UPDATE", "MESSAGE", "DOCUMENT_ADDED", "BOOKING_STATUS",
               "SYSTEM_NOTICE")  # fmt: skip
"""What a user can be notified of (domain.md §6's graph events, as a user sees them)."""
WIDGETS = ("ACCOUNT_BALANCE", "OPEN_INVOICES", "ORDERS", "DELIVERIES", "TICKETS", "CASES",
           "DOCUMENTS", "PINNED_DOCUMENTS", "BOOKINGS", "NOTICES", "RECOMMENDATIONS")  # fmt: skip
DEFAULT_DASHBOARD = ("ACCOUNT_BALANCE", "OPEN_INVOICES", "ORDERS", "TICKETS", "NOTICES")
MAX_VIEW_NAME = 60
MAX_PINS_PER_ORGANIZATION = 20


@dataclass(frozen=True)
class Preferences:
    """What applies to the viewer: their choices, defaults where they made none."""

    locale: str
    timezone: str
    notifications: tuple[tuple[str, str], ...]
    """(event type, channel) for every event type, in the order of EVENT_TYPES."""
    dashboard: tuple[str, ...]
    views: tuple[SavedView, ...]
    pinned: tuple[str, ...]
    """The IDs of the documents pinned in the active organization, in pinning order."""


@dataclass(frozen=True)
class PreferenceChanges:
    """An update; None leaves a preference as it is."""

    locale: str | None = None
    timezone: str | None = None
    notifications: tuple[tuple[str, str], ...] | None = None
    dashboard: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Pinning:
    document: r.Document | None
    """The document pinned or unpinned (None: unpinned, no longer readable)."""
    preferences: Preferences


def effective(choices: StoredPreferences, organization: str) -> Preferences:
    notifications = {e: c for e, c in choices.notifications.items() if c in CHANNELS}
    dashboard = tuple(w for w in choices.dashboard or () if w in WIDGETS)
    return Preferences(
        locale=negotiate_locale(None, choices.locale),
        timezone=choices.timezone or DEFAULT_TIMEZONE,
        notifications=tuple((e, notifications.get(e, DEFAULT_CHANNEL)) for e in EVENT_TYPES),
        dashboard=dashboard or DEFAULT_DASHBOARD,
        views=choices.views,
        pinned=tuple(p.document_id for p in choices.pins if p.organization == organization),
    )


async def preferences(ctx: Context) -> Preferences:
    account = await ctx.loaders.account.load(_subject(ctx))
    return effective(stored.read(account.attributes if account else {}), ctx.tenant)


async def pinned_documents(ctx: Context, found: Preferences) -> list[r.Document]:
    """The pinned documents the viewer may still read (deleted or hidden ones are left out)."""
    documents = await readable_by_id(ctx, list(found.pinned))
    return [document for document in documents if document is not None]


async def update(ctx: Context, changes: PreferenceChanges) -> Preferences | list[Problem]:
    problems = _update_problems(changes)
    if problems:
        return problems

    def apply(choices: StoredPreferences) -> StoredPreferences:
        notifications = dict(choices.notifications)
        notifications.update(changes.notifications or ())
        return replace(
            choices,
            locale=changes.locale or choices.locale,
            timezone=changes.timezone or choices.timezone,
            notifications=notifications,
            dashboard=changes.dashboard if changes.dashboard is not None else choices.dashboard,
        )

    return await _change(ctx, apply)


async def save_view(
    ctx: Context, name: str, where: CaseFilter
) -> tuple[SavedView, Preferences] | list[Problem]:
    """Save the filter under `name`, replacing a view of that name (in any case)."""
    view = SavedView(name.strip(), filter_json(where))
    if not 1 <= len(view.name) <= MAX_VIEW_NAME:
        message = f"Name the view (1 to {MAX_VIEW_NAME} characters)."
        return [Problem(("input", "name"), "INVALID", message)]
    if len(view.encoded()) > stored.MAX_VIEW:
        message = f"This view is too long to keep (at most {stored.MAX_VIEW} characters)."
        return [Problem(("input", "filter"), "TOO_LONG", message)]

    def apply(choices: StoredPreferences) -> StoredPreferences | list[Problem]:
        others = tuple(v for v in choices.views if not _same_name(v.name, view.name))
        if len(others) >= stored.MAX_VIEWS:
            message = f"You have {stored.MAX_VIEWS} saved views; delete one first."
            return [Problem(("input", "name"), "LIMIT_REACHED", message)]
        return replace(choices, views=(*others, view))

    outcome = await _change(ctx, apply)
    return outcome if isinstance(outcome, list) else (view, outcome)


async def delete_view(ctx: Context, name: str) -> Preferences | list[Problem]:
    def apply(choices: StoredPreferences) -> StoredPreferences | list[Problem]:
        kept = tuple(v for v in choices.views if not _same_name(v.name, name.strip()))
        if len(kept) == len(choices.views):
            return [Problem(("input", "name"), "NOT_FOUND", "No saved view has this name.")]
        return replace(choices, views=kept)

    return await _change(ctx, apply)


async def pin(ctx: Context, document_id: str | None, pinned: bool) -> Pinning | list[Problem]:
    """Pin a readable document of the active organization, or unpin one (also one no longer
    readable, so that it can be cleaned up)."""
    organization = ctx.tenant
    document = (await readable_by_id(ctx, [document_id]))[0] if document_id else None
    wanted = Pin(organization, document_id or "")

    def apply(choices: StoredPreferences) -> StoredPreferences | list[Problem]:
        present = wanted in choices.pins
        if document is None and not (present and not pinned):
            return [Problem(("input", "documentId"), "NOT_FOUND", "No document has this ID.")]
        if not pinned:
            return replace(choices, pins=tuple(p for p in choices.pins if p != wanted))
        if present:
            return choices
        mine = [p for p in choices.pins if p.organization == organization]
        if len(mine) >= MAX_PINS_PER_ORGANIZATION or len(choices.pins) >= stored.MAX_PINS:
            message = f"At most {MAX_PINS_PER_ORGANIZATION} documents can be pinned; unpin one."
            return [Problem(("input", "documentId"), "LIMIT_REACHED", message)]
        return replace(choices, pins=(*choices.pins, wanted))

    outcome = await _change(ctx, apply)
    return outcome if isinstance(outcome, list) else Pinning(document, outcome)


def filter_json(where: CaseFilter) -> dict[str, Any]:
    """A case filter as a saved view keeps it (only what is set)."""
    found: dict[str, Any] = {
        "types": sorted(where.types),
        "statuses": sorted(where.statuses),
        "search": where.search,
        "updatedSince": where.updated_since.isoformat() if where.updated_since else None,
        "overdue": where.overdue,
    }
    return {key: value for key, value in found.items() if value not in (None, [])}


def case_filter(saved: Mapping[str, Any]) -> CaseFilter:
    """A saved view's filter; what does not parse (edited by hand) is left out."""
    types, statuses = saved.get("types"), saved.get("statuses")
    search, since, overdue = saved.get("search"), saved.get("updatedSince"), saved.get("overdue")
    return CaseFilter(
        types=frozenset(t for t in _strings(types) if t in CASE_TYPES),
        statuses=frozenset(_strings(statuses)),
        search=search if isinstance(search, str) else None,
        updated_since=_moment(since),
        overdue=overdue if isinstance(overdue, bool) else None,
    )


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _moment(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


async def _change(
    ctx: Context, change: Callable[[StoredPreferences], StoredPreferences | list[Problem]]
) -> Preferences | list[Problem]:
    """Apply `change` to the preferences as the identity provider has them now and write the
    attributes it changed; the preferences then read back."""
    subject = _subject(ctx)
    directory = ctx.writes.upstreams.directory
    account = await upstream(directory.read(lambda admin: admin.account(subject)))
    if account is None:
        raise client_failure(UpstreamError(System.IDP, f"user {subject} vanished"))
    before = stored.read(account.attributes)
    after = change(before)
    if isinstance(after, list):
        return after
    old = stored.attributes_of(before)
    values = {name: v for name, v in stored.attributes_of(after).items() if v != old[name]}
    if values:
        written = await write_through(
            ctx.writes,
            ctx.loaders,
            directory.write(lambda admin: admin.set_attributes(subject, values)),
            {"account": [subject], "members": list(account.organizations)},
        )
        if isinstance(written, list):
            return written
    return await preferences(ctx)


def _update_problems(changes: PreferenceChanges) -> list[Problem]:
    problems: list[Problem] = []
    if changes.locale is not None and changes.locale not in SUPPORTED_LOCALES:
        message = f"Choose one of {', '.join(SUPPORTED_LOCALES)}."
        problems.append(Problem(("input", "locale"), "INVALID", message))
    if changes.timezone is not None and not _is_timezone(changes.timezone):
        message = "Name a time zone of the IANA database, such as Europe/Zurich."
        problems.append(Problem(("input", "timezone"), "INVALID", message))
    events = [event for event, _ in changes.notifications or ()]
    for index, event in enumerate(events):
        if event in events[:index]:
            message = f"{event} is given twice; give each event type once."
            problems.append(Problem(("input", "notifications", str(index)), "DUPLICATE", message))
    widgets = changes.dashboard
    if widgets is not None and not widgets:
        message = "Choose at least one widget."
        problems.append(Problem(("input", "dashboardWidgets"), "REQUIRED", message))
    if widgets is not None and len(set(widgets)) < len(widgets):
        message = "Give each widget once."
        problems.append(Problem(("input", "dashboardWidgets"), "DUPLICATE", message))
    return problems


def _is_timezone(name: str) -> bool:
    if not name or len(name) > stored.MAX_TIMEZONE or name.startswith(("/", ".")):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _same_name(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _subject(ctx: Context) -> str:
    if ctx.principal is None:
        raise Unauthenticated()
    return ctx.principal.subject
