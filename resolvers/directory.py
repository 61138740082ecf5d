"""The identity provider's user directory as the resolvers use it: the admin client
(`auth.admin`) behind the `idp` system's guard (deadline, circuit breaker, bulkhead, timeout),
its failures as upstream errors of that system. Reads are retried, writes get one attempt.

    directory.read(lambda admin: admin.account(user_id))
    directory.write(lambda admin: admin.logout(user_id))
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from auth.admin import Account, UserAdmin
from auth.admin_errors import AdminRejected, AdminUnavailable, Refusal
from connectors.base.errors import UpstreamRejected, UpstreamUnavailable
from connectors.base.guard import Guard
from connectors.base.records import System

T = TypeVar("T")
Call = Callable[[UserAdmin], Awaitable[T]]


class DirectoryRejected(UpstreamRejected):
    """The identity provider refused a request; its reasons say which attribute and why."""

    def __init__(self, error: AdminRejected) -> None:
        super().__init__(System.IDP, str(error))
        self.refusals: tuple[Refusal, ...] = error.refusals
        self.conflict = error.conflict


class Directory:
    def __init__(self, admin: UserAdmin, guard: Guard) -> None:
        self._admin = admin
        self._guard = guard

    async def read(self, call: Call[T]) -> T:
        return await self._guard.read(lambda: self._translated(call))

    async def write(self, call: Call[T]) -> T:
        return await self._guard.write(lambda: self._translated(call))

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
            raise DirectoryRejected(error) from error
