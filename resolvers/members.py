"""An organization's members, from the identity provider's user directory: who has access,
with which portal roles, and whether they are INVITED (the invitation's actions are still
pending), ACTIVE, or DEACTIVATED (disabled, or no longer a member of this organization).

Queries read the cached member lists; changes read the directory afresh (`current_member`)
and invalidate the lists they change (`after_change`).
"""

import re
from collections.abc import Awaitable, Iterable
from typing import TypeVar

from auth.admin import Account
from connectors.base.errors import UpstreamError
from connectors.base.records import System
from resolvers.context import Context
from resolvers.errors import client_failure
from resolvers.pagination import PageArgs, Slice, paginate
from resolvers.writes import Problem

ADMIN = "admin"
PORTAL_ROLES = (ADMIN, "purchasing", "specialist", "accounting", "viewer")
"""The realm roles a customer's administrator hands out (not `support-agent`: provider staff)."""
INVITATION_ACTIONS = ("VERIFY_EMAIL", "UPDATE_PASSWORD")
"""What an invitee does first: confirm the e-mail address and choose a password."""
USER_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""Keycloak's user IDs; anything else is unknown (and never reaches an admin API path)."""
MEMBER_NOT_FOUND = Problem(("input", "memberId"), "NOT_FOUND", "No member with this ID exists.")
NO_ROLE = Problem(("input", "roles"), "REQUIRED", "Give the member at least one role.")

T = TypeVar("T")


def status_of(account: Account, organization: str) -> str:
    if not account.enabled or organization not in account.organizations:
        return "DEACTIVATED"
    if set(account.required_actions) & set(INVITATION_ACTIONS):
        return "INVITED"
    return "ACTIVE"


def portal_roles(account: Account) -> list[str]:
    return [role for role in PORTAL_ROLES if role in account.roles]


def display_name(account: Account) -> str:
    full = " ".join(p for p in (account.first_name, account.last_name) if p)
    return full or account.username


def active_admins(accounts: list[Account], organization: str) -> set[str]:
    """The IDs of the organization's administrators who can sign in now."""
    return {a.id for a in accounts if ADMIN in a.roles and status_of(a, organization) == "ACTIVE"}


async def members(ctx: Context, organization: str) -> list[Account]:
    """The organization's members by name (cached; see `resolvers.loaders`)."""
    found: list[Account] = await ctx.loaders.members.load(organization)
    return sorted(found, key=_by_name)


async def member_page(ctx: Context, organization: str, args: PageArgs) -> Slice[Account]:
    return paginate(await members(ctx, organization), lambda a: a.id, "Member", args)


async def member(ctx: Context, user_id: str) -> Account | None:
    """A member of the viewer's organization; None for anyone else, as for an unknown ID."""
    return next((a for a in await members(ctx, ctx.tenant) if a.id == user_id), None)


async def current_member(ctx: Context, user_id: str | None) -> Account | None:
    """A member of the viewer's organization as the directory has it now; None for anyone
    else, as for an unknown ID."""
    if user_id is None or not USER_ID.fullmatch(user_id):
        return None
    directory = ctx.writes.upstreams.directory
    found = await upstream(directory.read(lambda admin: admin.account(user_id)))
    return found if found is not None and ctx.tenant in found.organizations else None


async def after_change(ctx: Context, user_id: str, organizations: Iterable[str]) -> Account:
    """The changed account, read back, once the member lists of `organizations` (every one
    it belonged to before or after the change) are invalidated."""
    await ctx.writes.invalidate({"members": sorted(set(organizations))})
    directory = ctx.writes.upstreams.directory
    changed = await upstream(directory.read(lambda admin: admin.account(user_id)))
    if changed is None:
        raise client_failure(UpstreamError(System.IDP, f"user {user_id} vanished"))
    return changed


async def upstream(call: Awaitable[T]) -> T:
    """The call's result; an upstream failure as the client's error."""
    try:
        return await call
    except UpstreamError as error:
        raise client_failure(error) from error


def _by_name(account: Account) -> tuple[str, str, str]:
    return (
        (account.last_name or "").casefold(),
        (account.first_name or "").casefold(),
        account.username,
    )
