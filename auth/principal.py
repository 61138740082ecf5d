"""Who is calling: the identity, roles and organization a verified access token carries."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SERVICE_ACCOUNT_PREFIX = "service-account-"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request, as verified from its bearer token.

    `tenant` is the active organization (its ERP customer number) for this request: the
    token's `customer_id`, or the one the caller picked among `tenants` (`customer_ids`).
    Roles are the realm roles as the identity provider names them; what they permit is
    decided by the authorization policy, not here.
    """

    subject: str
    username: str
    display_name: str
    email: str | None
    locale: str | None
    roles: frozenset[str]
    tenant: str | None
    tenants: tuple[str, ...]
    client_id: str
    """The client the token was issued to (`azp`)."""
    scopes: frozenset[str]
    amr: tuple[str, ...]
    """Authentication methods: `pwd`, and `otp` after a second factor."""
    is_service_account: bool
    expires_at: datetime
    session_id: str | None = None
    prices_visible: bool | None = None
    """The `prices_visible` claim: True shows prices, False hides them, None leaves it to
    the roles (see `auth.policy`)."""

    @property
    def has_mfa(self) -> bool:
        return "otp" in self.amr


SCOPE_FIELDS = tuple(
    f.name for f in dataclasses.fields(Principal) if f.name not in {"expires_at", "session_id"}
)
"""What of a principal can change an answer to it: all but what differs between two tokens of
one login."""


def answer_scope(principal: Principal) -> tuple[object, ...]:
    """The principal as far as an answer can depend on it: answers kept or shared for one
    scope (the response cache, multiplexed subscriptions) may go to any principal with it."""
    return tuple(getattr(principal, name) for name in SCOPE_FIELDS)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The principal of verified Keycloak access token claims (`sub`, `azp`, `exp` present),
    acting for the token's `customer_id`; `customer_ids` lists every organization it may
    act for."""
    customer_id = claims.get("customer_id")
    tenants = tuple(dict.fromkeys([*strings(claims.get("customer_ids")), *strings(customer_id)]))
    prices = claims.get("prices_visible")
    username = str(claims.get("preferred_username") or claims["sub"])
    realm_access = claims.get("realm_access")
    roles = strings(realm_access.get("roles")) if isinstance(realm_access, dict) else []
    return Principal(
        subject=claims["sub"],
        username=username,
        display_name=str(claims.get("name") or username),
        email=claims.get("email"),
        locale=claims.get("locale"),
        roles=frozenset(roles),
        tenant=customer_id if isinstance(customer_id, str) else None,
        tenants=tenants,
        client_id=claims["azp"],
        scopes=frozenset(str(claims.get("scope", "")).split()),
        amr=tuple(strings(claims.get("amr"))),
        # Keycloak names a client's service account user after the client, always.
        is_service_account=username == SERVICE_ACCOUNT_PREFIX + claims["azp"],
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        session_id=claims.get("sid"),
        prices_visible=prices if isinstance(prices, bool) else None,
    )


def strings(value: object) -> list[str]:
    """The strings of a claim that may be one string or a list."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
