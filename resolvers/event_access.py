"""Who may receive which events: each area of events needs the permission its queries need
(`auth.policy`, the one role → permission matrix); a service account also needs
`events:subscribe`. Notices reach everyone."""

from auth.policy import DOCUMENTS_READ_ANY, Permission, grants, permissions_of
from auth.principal import Principal

AREA_REQUIREMENTS: dict[str, str | None] = {
    "orders": Permission.ORDERS_READ,
    "invoices": Permission.INVOICES_READ,
    "payments": Permission.INVOICES_READ,  # payments are read with their invoices
    "tickets": Permission.TICKETS_READ,
    "bookings": Permission.BOOKINGS_READ,
    "documents": DOCUMENTS_READ_ANY,  # each document is then checked for its audience
    "privacy": Permission.PRIVACY_REQUEST,  # each request is then checked for its person
    "notices": None,
}
ENTITY_AREAS = {
    "ORDER": "orders",
    "DELIVERY": "orders",
    "INVOICE": "invoices",
    "PAYMENT": "payments",
    "TICKET": "tickets",
    "BOOKING": "bookings",
    "MESSAGE": "tickets",
    "DOCUMENT": "documents",
    "NOTICE": "notices",
    "PRIVACY_REQUEST": "privacy",
}


def may_receive(principal: Principal, area: str) -> bool:
    granted = permissions_of(principal)
    if principal.is_service_account and Permission.EVENTS_SUBSCRIBE not in granted:
        return False
    requirement = AREA_REQUIREMENTS[area]
    return requirement is None or grants(granted, requirement)
