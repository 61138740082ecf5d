"""The authorization policy: what each role may do, in one declarative matrix.

Roles (realm roles in the token) expand to permission scopes; an integrator's service
account has no roles and gets exactly the permission scopes its token carries. The graph
declares which permission each type and field needs (`auth.permissions.Requires`, visible as
`@requires` in the SDL); this module decides whether a principal holds it, whether it needs
a second factor, which document audiences it may read, and which organization it may act
for. The README's access table is checked against `ROLE_PERMISSIONS` by a test.
"""

import re
from dataclasses import replace
from enum import StrEnum
from functools import lru_cache

from auth.principal import Principal


class Permission(StrEnum):
    QUOTES_READ = "quotes:read"
    QUOTES_ACCEPT = "quotes:accept"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    INVOICES_READ = "invoices:read"
    PAYMENTS_WRITE = "payments:write"
    PRICES_READ = "prices:read"
    DOCUMENTS_READ_COMMERCIAL = "documents:read:COMMERCIAL"
    DOCUMENTS_READ_FINANCIAL = "documents:read:FINANCIAL"
    DOCUMENTS_READ_TECHNICAL = "documents:read:TECHNICAL"
    DOCUMENTS_READ_CONTRACT = "documents:read:CONTRACT"
    DOCUMENTS_WRITE = "documents:write"
    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    BOOKINGS_READ = "bookings:read"
    BOOKINGS_WRITE = "bookings:write"
    MASTERDATA_WRITE = "masterdata:write"
    USERS_MANAGE = "users:manage"
    ANALYTICS_READ = "analytics:read"
    PRIVACY_REQUEST = "privacy:request"
    EVENTS_SUBSCRIBE = "events:subscribe"
    PREFERENCES_MANAGE = "preferences:manage"


P = Permission
DOCUMENTS_READ_ANY = "documents:read:*"
"""A requirement met by any document audience (lists are then filtered by audience)."""
MEMBERS_READ = "users:*"
"""Reading the organization's members: met by `users:manage`, without the second factor
that changing them needs."""

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "purchasing": frozenset({
        P.QUOTES_READ, P.QUOTES_ACCEPT, P.ORDERS_READ, P.ORDERS_WRITE, P.PRICES_READ,
        P.DOCUMENTS_READ_COMMERCIAL, P.DOCUMENTS_READ_TECHNICAL, P.DOCUMENTS_WRITE,
        P.TICKETS_READ, P.TICKETS_WRITE, P.BOOKINGS_READ, P.BOOKINGS_WRITE, P.PRIVACY_REQUEST,
        P.PREFERENCES_MANAGE,
    }),
    "specialist": frozenset({
        P.QUOTES_READ, P.ORDERS_READ,
        P.DOCUMENTS_READ_TECHNICAL, P.DOCUMENTS_WRITE,
        P.TICKETS_READ, P.TICKETS_WRITE, P.BOOKINGS_READ, P.BOOKINGS_WRITE, P.PRIVACY_REQUEST,
        P.PREFERENCES_MANAGE,
    }),
    "accounting": frozenset({
        P.INVOICES_READ, P.PAYMENTS_WRITE, P.PRICES_READ,
        P.DOCUMENTS_READ_FINANCIAL,
        P.TICKETS_READ, P.TICKETS_WRITE, P.PRIVACY_REQUEST, P.PREFERENCES_MANAGE,
    }),
    "viewer": frozenset({
        P.QUOTES_READ, P.ORDERS_READ, P.PRICES_READ,
        P.DOCUMENTS_READ_COMMERCIAL, P.DOCUMENTS_READ_TECHNICAL,
        P.TICKETS_READ, P.BOOKINGS_READ, P.PRIVACY_REQUEST, P.PREFERENCES_MANAGE,
    }),
    "support-agent": frozenset({
        P.QUOTES_READ, P.ORDERS_READ, P.INVOICES_READ, P.PRICES_READ,
        P.DOCUMENTS_READ_COMMERCIAL, P.DOCUMENTS_READ_TECHNICAL, P.DOCUMENTS_READ_FINANCIAL,
        P.TICKETS_READ, P.BOOKINGS_READ, P.ANALYTICS_READ, P.PREFERENCES_MANAGE,
    }),
}  # fmt: skip
"""Role → permissions; `preferences:manage` is every person's (an integrator has none).
A specialist sees prices only when the token says `prices_visible`;
`prices_visible: false` hides them from any role."""

SERVICE_ACCOUNT_EXTRAS = frozenset({P.PRICES_READ})
"""What an integrator gets besides its token's permission scopes: the prices of what it reads."""

STEP_UP = frozenset({P.PAYMENTS_WRITE, P.USERS_MANAGE, P.MASTERDATA_WRITE})
"""Permissions that also need a second factor (`otp` in the token's `amr`)."""

STAFF_ROLES = frozenset({"support-agent"})
"""Provider staff: they act for one customer chosen per request, and every access is audited."""

_ORGANIZATION = re.compile(r"[A-Za-z0-9_-]{1,32}")


class OrganizationNotAllowed(Exception):
    """The principal may not act for the organization it asked for."""


def permissions_of(principal: Principal) -> frozenset[Permission]:
    return _permissions(
        principal.roles, principal.scopes, principal.is_service_account, principal.prices_visible
    )


@lru_cache(maxsize=1024)
def _permissions(
    roles: frozenset[str], scopes: frozenset[str], service_account: bool, prices: bool | None
) -> frozenset[Permission]:
    if service_account:
        return frozenset(p for p in Permission if p.value in scopes) | SERVICE_ACCOUNT_EXTRAS
    granted = frozenset().union(*(ROLE_PERMISSIONS.get(role, frozenset()) for role in roles))
    if prices is True:
        return granted | {P.PRICES_READ}
    if prices is False:
        return granted - {P.PRICES_READ}
    return granted


def grants(granted: frozenset[Permission], requirement: str) -> bool:
    """Whether `granted` meets a requirement: a permission, or a `prefix:*` pattern."""
    if requirement.endswith(":*"):
        prefix = requirement[:-1]
        return any(permission.startswith(prefix) for permission in granted)
    return requirement in granted


def needs_second_factor(requirement: str) -> bool:
    return requirement in STEP_UP


def may_read_document(principal: Principal, audience: str) -> bool:
    return f"documents:read:{audience}" in permissions_of(principal)


def is_staff(principal: Principal) -> bool:
    return not principal.is_service_account and bool(principal.roles & STAFF_ROLES)


def act_for(principal: Principal, organization: str | None) -> Principal:
    """The principal acting for `organization` (the `X-Portal-Organization` choice): one of
    its token's organizations, or any customer for provider staff. Without a choice, the
    token's `customer_id` stays active (staff then act for nobody)."""
    if organization is None:
        return principal
    if organization in principal.tenants:
        return replace(principal, tenant=organization)
    if is_staff(principal) and _ORGANIZATION.fullmatch(organization):
        return replace(principal, tenant=organization, tenants=(organization,))
    raise OrganizationNotAllowed("organization not in token")
