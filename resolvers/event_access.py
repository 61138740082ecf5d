"""Who may receive which events: an interim rule until the access-control work provides the
role → permission matrix (domain.md §3, Role). Replace `may_receive` then; nothing else here
decides permissions.

Users receive the events of the areas their realm roles cover; a service account receives
those its token's scopes cover, and only with the `events:subscribe` scope.
"""

from auth.principal import Principal

AREAS = ("orders", "invoices", "payments", "tickets", "documents", "notices")
ROLE_AREAS: dict[str, frozenset[str]] = {
    "admin": frozenset(AREAS),
    "purchasing": frozenset({"orders", "tickets", "documents", "notices"}),
    "specialist": frozenset({"tickets", "documents", "notices"}),
    "accounting": frozenset({"invoices", "payments", "tickets", "documents", "notices"}),
    "viewer": frozenset({"orders", "tickets", "documents", "notices"}),
}
SCOPE_AREAS = {
    "orders:read": "orders",
    "invoices:read": "invoices",
    "payments:read": "payments",
    "tickets:read": "tickets",
    "documents:read": "documents",
}
SUBSCRIBE_SCOPE = "events:subscribe"
ENTITY_AREAS = {
    "ORDER": "orders",
    "DELIVERY": "orders",
    "INVOICE": "invoices",
    "PAYMENT": "payments",
    "TICKET": "tickets",
    "MESSAGE": "tickets",
    "DOCUMENT": "documents",
    "NOTICE": "notices",
}


def areas_of(principal: Principal) -> frozenset[str]:
    if principal.is_service_account:
        if SUBSCRIBE_SCOPE not in principal.scopes:
            return frozenset()
        granted = {SCOPE_AREAS[s] for s in principal.scopes if s in SCOPE_AREAS}
        return frozenset(granted | {"notices"})
    return frozenset(area for role in principal.roles for area in ROLE_AREAS.get(role, ()))


def may_receive(principal: Principal, area: str) -> bool:
    return area in areas_of(principal)
