"""A portal user's preferences as Keycloak keeps them: user attributes, declared with their
limits in the realm's user profile (`deploy/keycloak/portal-realm.json`), so that Keycloak
refuses what exceeds them whoever writes.

    locale                 de-CH                            Keycloak's own (the token's `locale`)
    zoneinfo               Europe/Zurich                    the OIDC claim's name
    portal_notifications   ORDER_STATUS=EMAIL, …            one value per event type
    portal_dashboard       OPEN_INVOICES,ORDERS,TICKETS     one value: the widgets in order
    portal_views           {"name": …, "filter": {…}}, …    one JSON value per saved case view
    portal_pins            0000100001:DOC-1, …              one value per pinned document, by
                                                            organization (documents are its own)

Multivalued attributes keep no order in Keycloak: the dashboard's order is one value, views
are sorted by name, pins by their pinning order is not promised. Reading is lenient: a value
that does not parse (written by hand in the admin console) is left out, not an error.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

LOCALE, TIMEZONE = "locale", "zoneinfo"
NOTIFICATIONS, DASHBOARD = "portal_notifications", "portal_dashboard"
VIEWS, PINS = "portal_views", "portal_pins"
ATTRIBUTES = (LOCALE, TIMEZONE, NOTIFICATIONS, DASHBOARD, VIEWS, PINS)

MAX_TIMEZONE = 64
MAX_NOTIFICATIONS = 20
MAX_DASHBOARD = 500
"""Characters of the dashboard's one value."""
MAX_VIEWS = 20
MAX_VIEW = 1000
"""Characters of one saved view as stored (its name and filter as JSON)."""
MAX_PINS = 50
"""Pinned documents of a user in all their organizations together."""


@dataclass(frozen=True)
class SavedView:
    """A named case filter; `filter` is the filter's JSON object (`types`, `statuses`,
    `search`, `updatedSince`, `overdue`), which the resolvers read."""

    name: str
    filter: Mapping[str, Any]

    def encoded(self) -> str:
        return json.dumps(
            {"name": self.name, "filter": dict(self.filter)},
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=True,
        )


@dataclass(frozen=True)
class Pin:
    organization: str
    document_id: str

    def encoded(self) -> str:
        return f"{self.organization}:{self.document_id}"


@dataclass(frozen=True)
class StoredPreferences:
    """What the attributes hold; None or empty where the user chose nothing."""

    locale: str | None = None
    timezone: str | None = None
    notifications: Mapping[str, str] = field(default_factory=dict)
    """Event type → channel."""
    dashboard: tuple[str, ...] | None = None
    views: tuple[SavedView, ...] = ()
    pins: tuple[Pin, ...] = ()


def read(attributes: Mapping[str, Sequence[str]]) -> StoredPreferences:
    dashboard = _first(attributes, DASHBOARD)
    return StoredPreferences(
        locale=_first(attributes, LOCALE),
        timezone=_first(attributes, TIMEZONE),
        notifications={
            event: channel
            for event, sep, channel in (v.partition("=") for v in attributes.get(NOTIFICATIONS, ()))
            if sep and event and channel
        },
        dashboard=tuple(filter(None, dashboard.split(","))) if dashboard is not None else None,
        views=tuple(
            sorted(
                (v for v in map(_view, attributes.get(VIEWS, ())) if v is not None),
                key=lambda v: v.name.casefold(),
            )
        ),
        pins=tuple(
            Pin(organization, document_id)
            for organization, sep, document_id in (
                v.partition(":") for v in attributes.get(PINS, ())
            )
            if sep and organization and document_id
        ),
    )


def attributes_of(preferences: StoredPreferences) -> dict[str, list[str]]:
    """The attributes that store `preferences` (an empty list removes an attribute)."""
    return {
        LOCALE: _listed(preferences.locale),
        TIMEZONE: _listed(preferences.timezone),
        NOTIFICATIONS: [f"{e}={c}" for e, c in sorted(preferences.notifications.items())],
        DASHBOARD: _listed(
            ",".join(preferences.dashboard) if preferences.dashboard is not None else None
        ),
        VIEWS: [view.encoded() for view in preferences.views],
        PINS: [pin.encoded() for pin in preferences.pins],
    }


def _first(attributes: Mapping[str, Sequence[str]], name: str) -> str | None:
    return next(iter(attributes.get(name, ())), None)


def _listed(value: str | None) -> list[str]:
    return [value] if value else []


def _view(value: str) -> SavedView | None:
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    name, found = parsed.get("name"), parsed.get("filter")
    if not isinstance(name, str) or not name or not isinstance(found, dict):
        return None
    return SavedView(name, found)
