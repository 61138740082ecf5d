"""The identity provider's user directory as the resolvers use it: the admin client
(`auth.admin`) behind the `idp` system's guard (deadline, circuit breaker, bulkhead, timeout),
its failures as upstream errors of that system. Reads are retried, writes get one attempt.
Keycloak's refusals are `UpstreamRefused` in the portal's terms.

    directory.read(lambda admin: admin.account(user_id))
    directory.write(lambda admin: admin.logout(user_id))
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from auth.admin import Account, UserAdmin
from auth.admin_errors import AdminRejected, AdminUnavailable, Reason
from connectors.base.errors import Refusal, UpstreamRefused, UpstreamUnavailable
from connectors.base.guard import Guard
from connectors.base.records import System

T = TypeVar("T")
Call = Callable[[UserAdmin], Awaitable[T]]

FIELDS = {"email": "email", "username": "email", "firstName": "first_name",
          "lastName": "last_name", "locale": "locale", "zoneinfo": "timezone",
          "portal_notifications": "notifications", "portal_dashboard": "dashboard_widgets",
          "portal_views": "name", "portal_pins": "document_id"}  # fmt: skip
"""The attributes Keycloak names → the portal's fields (the login is the e-mail address)."""
MESSAGES = {
    "error-invalid-email": "This is not a valid e-mail address.",
    "error-invalid-length": "This is too long.",
    "error-person-name-invalid-character": (
        'A name may not contain characters such as < > & " $ % ! # ? ; * / \\ | ^ = [ ] { } ( ).'
    ),
    "error-username-invalid-character": "This address cannot serve as a login name.",
    "error-invalid-multivalued-size": "There are too many of these.",
}
"""Keycloak's message keys, for the user."""
TAKEN = Refusal("email", "EMAIL_TAKEN", "A portal account with this e-mail address exists already.")


def refused(error: AdminRejected) -> UpstreamRefused:
    """Keycloak's refusal: a conflict is an e-mail address in use; an attribute it names is
    INVALID; any other reason concerns the request as a whole (REFUSED)."""
    if error.conflict:
        return UpstreamRefused(System.IDP, (TAKEN,))
    reasons = error.refusals or (Reason(None, str(error)),)
    return UpstreamRefused(System.IDP, tuple(_refusal(reason) for reason in reasons))


def _refusal(reason: Reason) -> Refusal:
    field = FIELDS.get(reason.field or "")
    if field is None:
        return Refusal(None, "REFUSED", reason.reason)
    text = f"The identity provider refused this value ({reason.reason})."
    return Refusal(field, "INVALID", MESSAGES.get(reason.reason, text))


class Directory:
    def __init__(self, admin: UserAdmin, guard: Guard) -> None:
        self._admin = admin
        self._guard = guard

    async def read(self, call: Call[T]) -> T:
        return await self._guard.read(lambda: self._translated(call))

    async def write(self, call: Call[T]) -> T:
        return await self._guard.write(lambda: self._translated(call))

    async def accounts(self, user_ids: list[str]) -> list[Account | None]:
        """Each user's account, None for an unknown one (the loaders' batch function)."""

        def account(user_id: str) -> Call[Account | None]:
            return lambda admin: admin.account(user_id)

        return list(await asyncio.gather(*(self.read(account(u)) for u in user_ids)))

    async def members_of(self, organizations: list[str]) -> list[list[Account]]:
        """Each organization's members (the loaders' batch function)."""

        def members(organization: str) -> Call[list[Account]]:
            return lambda admin: admin.members_of(organization)

        return list(await asyncio.gather(*(self.read(members(o)) for o in organizations)))

    async def aclose(self) -> None:
        await self._admin.aclose()

    async def _translated(self, call: Call[T]) -> T:
        try:
            return await call(self._admin)
        except AdminUnavailable as error:
            raise UpstreamUnavailable(System.IDP, str(error)) from error
        except AdminRejected as error:
            raise refused(error) from error
