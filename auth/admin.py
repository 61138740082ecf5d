"""User management through Keycloak's admin REST API, as the gateway's own service account
(client credentials of its confidential client, whose service account holds realm-management's
`view-users` and `manage-users`), with python-keycloak's async API.

Only the async methods are used: they send each request once through httpx (python-keycloak's
synchronous methods retry POSTs through requests' adapter). The one repeat is python-keycloak's
after HTTP 401, when the service account's token had expired and nothing was done.

Organization membership is modeled by user attributes (`auth.membership`) and roles are realm
roles, so everything here speaks Keycloak's terms: users, attributes, realm roles, required
actions. Failures are the errors of `auth.admin_errors`.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError

from auth import membership
from auth.admin_errors import AdminRejected, translated

T = TypeVar("T")
ROLE_LOOKUPS_AT_ONCE = 8
"""Concurrent role-mapping reads while listing an organization's members."""


@dataclass(frozen=True)
class Account:
    """A user of the realm with its realm roles."""

    id: str
    username: str
    email: str | None
    first_name: str | None
    last_name: str | None
    enabled: bool
    required_actions: tuple[str, ...]
    attributes: dict[str, list[str]]
    roles: tuple[str, ...]
    has_totp: bool

    @property
    def organizations(self) -> tuple[str, ...]:
        return membership.organizations(self.attributes)

    @property
    def locale(self) -> str | None:
        return next(iter(self.attributes.get("locale", ())), None)


@dataclass(frozen=True)
class NewAccount:
    username: str
    email: str
    first_name: str
    last_name: str
    attributes: dict[str, list[str]]
    required_actions: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ActionsLink:
    """Where the link of an "execute actions" e-mail leads, and how long it lives."""

    client_id: str | None = None
    redirect_uri: str | None = None
    lifespan_s: int | None = None


class UserAdmin:
    def __init__(
        self,
        *,
        server_url: str,
        realm: str,
        client_id: str,
        client_secret: str,
        link: ActionsLink,
        timeout_s: int = 10,
    ) -> None:
        self._keycloak = KeycloakAdmin(
            server_url=server_url,
            realm_name=realm,
            client_id=client_id,
            client_secret_key=client_secret,
            timeout=timeout_s,
        )
        self._link = link

    async def members_of(self, organization: str) -> list[Account]:
        """The users whose attributes make them members of `organization`, by username."""
        if not organization or any(c.isspace() or c == ":" for c in organization):
            return []  # not a customer number: a search for it would mean something else
        found = await asyncio.gather(
            *(self._call(self._keycloak.a_get_users, {"q": f"{name}:{organization}"})
              for name in (membership.CUSTOMER_ID, membership.CUSTOMER_IDS))
        )  # fmt: skip
        users = {user["id"]: user for user in (*found[0], *found[1])}
        slots = asyncio.Semaphore(ROLE_LOOKUPS_AT_ONCE)

        async def with_roles(user: Mapping[str, Any]) -> Account:
            async with slots:
                return await self._with_roles(user)

        accounts = await asyncio.gather(*(with_roles(u) for u in users.values()))
        return sorted(accounts, key=lambda a: a.username)

    async def account(self, user_id: str) -> Account | None:
        try:
            user = await self._call(self._keycloak.a_get_user, user_id)
        except AdminRejected as rejected:
            if rejected.status == 404:
                return None
            raise
        return await self._with_roles(user)

    async def create(self, new: NewAccount) -> str:
        """Create the user (enabled, e-mail not yet verified); its ID."""
        user_id: str = await self._call(
            self._keycloak.a_create_user,
            {
                "username": new.username,
                "email": new.email,
                "firstName": new.first_name,
                "lastName": new.last_name,
                "enabled": True,
                "emailVerified": False,
                "attributes": new.attributes,
                "requiredActions": list(new.required_actions),
            },
        )
        return user_id

    async def delete(self, user_id: str) -> None:
        await self._call(self._keycloak.a_delete_user, user_id)

    async def update(self, user_id: str, changes: Mapping[str, Any]) -> None:
        """Replace the fields in `changes` (`enabled`, `attributes`...). The whole stored
        representation is sent back, so the update means the same whatever Keycloak's
        partial-update rules (they changed with the declarative user profile)."""
        current = await self._call(self._keycloak.a_get_user, user_id)
        await self._call(self._keycloak.a_update_user, user_id, {**current, **changes})

    async def set_attributes(self, user_id: str, values: Mapping[str, Sequence[str]]) -> None:
        """Replace the attributes named in `values` (an empty list removes one) and keep the
        others, sending the whole stored representation as `update` does."""
        current = await self._call(self._keycloak.a_get_user, user_id)
        attributes = {**(current.get("attributes") or {}), **values}
        kept = {name: list(v) for name, v in attributes.items() if v}
        await self._call(self._keycloak.a_update_user, user_id, {**current, "attributes": kept})

    async def set_roles(self, user_id: str, grant: Iterable[str], revoke: Iterable[str]) -> None:
        """Map and unmap realm roles. Their representations come from the user's available
        and current mappings, which `manage-users` may read (the realm's role list needs
        `view-realm`)."""
        grant, revoke = set(grant), set(revoke)
        keycloak = self._keycloak
        if grant:
            available = await self._call(keycloak.a_get_available_realm_roles_of_user, user_id)
            await self._call(
                self._keycloak.a_assign_realm_roles,
                user_id,
                [role for role in available if role["name"] in grant],
            )
        if revoke:
            current = await self._call(self._keycloak.a_get_realm_roles_of_user, user_id)
            await self._call(
                self._keycloak.a_delete_realm_roles_of_user,
                user_id,
                [role for role in current if role["name"] in revoke],
            )

    async def send_actions_email(self, user_id: str, actions: Sequence[str]) -> None:
        """Keycloak's `execute-actions-email`: a link to perform `actions` (set a password,
        verify the e-mail address), sent to the user's e-mail address."""
        await self._call(
            self._keycloak.a_send_update_account,
            user_id,
            list(actions),
            client_id=self._link.client_id,
            lifespan=self._link.lifespan_s,
            redirect_uri=self._link.redirect_uri,
        )

    async def logout(self, user_id: str) -> None:
        """End the user's sessions: their refresh tokens stop working."""
        await self._call(self._keycloak.a_user_logout, user_id)

    async def aclose(self) -> None:
        connection = self._keycloak.connection
        await connection.keycloak_openid.connection.aclose()
        await connection.aclose()

    async def _with_roles(self, user: Mapping[str, Any]) -> Account:
        roles = await self._call(self._keycloak.a_get_realm_roles_of_user, user["id"])
        return Account(
            id=user["id"],
            username=user["username"],
            email=user.get("email"),
            first_name=user.get("firstName"),
            last_name=user.get("lastName"),
            enabled=bool(user.get("enabled", True)),
            required_actions=tuple(user.get("requiredActions", ())),
            attributes={k: list(v) for k, v in (user.get("attributes") or {}).items()},
            roles=tuple(sorted(role["name"] for role in roles)),
            has_totp=bool(user.get("totp")),
        )

    async def _call(self, method: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        try:
            return await method(*args, **kwargs)
        except KeycloakError as error:
            raise translated(error) from error
