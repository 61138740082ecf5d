"""Changing memberships: a member's roles, deactivating a member, and a member's own choice of
default organization.

The organization keeps at least one active administrator: the last one can be neither
demoted nor deactivated (LAST_ADMIN). Roles are realm roles, the same in every organization
of a user, so the roles of a member of several organizations are not changed from one of them
(SHARED_ACCOUNT). Deactivating disables a member of one organization; a member of several
leaves this one and keeps the others. Either way their sessions end, so no refresh token
outlives the change; access tokens already issued expire by themselves (minutes).

The default organization is the `customer_id` attribute the token mapper reads: tokens
issued after `switchOrganization` act for the new one unless a request names another.
"""

from auth import membership
from auth.admin import Account
from connectors.base import records as r
from resolvers.context import Context
from resolvers.errors import Unauthenticated
from resolvers.members import (
    ADMIN,
    MEMBER_NOT_FOUND,
    NO_ROLE,
    PORTAL_ROLES,
    active_admins,
    after_change,
    current_member,
    display_name,
    portal_roles,
    status_of,
    upstream,
)
from resolvers.writes import Problem


async def update_roles(
    ctx: Context, member_id: str | None, roles: tuple[str, ...]
) -> Account | list[Problem]:
    wanted = {role for role in roles if role in PORTAL_ROLES}
    if not wanted:
        return [NO_ROLE]
    found = await current_member(ctx, member_id)
    if found is None:
        return [MEMBER_NOT_FOUND]
    current = set(portal_roles(found))
    if ADMIN in current - wanted and await _last_admin(ctx, found):
        return [_last_admin_problem(found, "roles")]
    if len(found.organizations) > 1:
        return [
            Problem(
                ("input", "memberId"),
                "SHARED_ACCOUNT",
                f"{display_name(found)} is also a member of another organization, where the same "
                "roles apply; the provider changes them.",
            )
        ]
    if wanted != current:
        grant, revoke = wanted - current, current - wanted
        directory = ctx.writes.upstreams.directory
        await upstream(directory.write(lambda admin: admin.set_roles(found.id, grant, revoke)))
    return await after_change(ctx, found.id, found.organizations)


async def deactivate(ctx: Context, member_id: str | None) -> Account | list[Problem]:
    found = await current_member(ctx, member_id)
    if found is None:
        return [MEMBER_NOT_FOUND]
    if status_of(found, ctx.tenant) == "DEACTIVATED":
        return found
    if await _last_admin(ctx, found):
        return [_last_admin_problem(found, "memberId")]
    change = (
        {"attributes": membership.leaving(found.attributes, ctx.tenant)}
        if len(found.organizations) > 1
        else {"enabled": False}
    )
    directory = ctx.writes.upstreams.directory
    await upstream(directory.write(lambda admin: admin.update(found.id, change)))
    await upstream(directory.write(lambda admin: admin.logout(found.id)))
    return await after_change(ctx, found.id, found.organizations)


async def switch(ctx: Context, organization: str | None) -> r.Customer | list[Problem]:
    """Make `organization`, one of the viewer's own, their default organization."""
    if ctx.principal is None:
        raise Unauthenticated()
    subject = ctx.principal.subject
    directory = ctx.writes.upstreams.directory
    account = customer = None
    if organization is not None:
        account = await upstream(directory.read(lambda admin: admin.account(subject)))
    if organization is not None and account is not None and organization in account.organizations:
        customer = await ctx.loaders.customer.load(organization)
    if organization is None or account is None or customer is None:
        message = "No organization with this ID exists."
        return [Problem(("input", "organizationId"), "NOT_FOUND", message)]
    if membership.default(account.attributes) != (organization,):
        change = {"attributes": membership.switched(account.attributes, organization)}
        await upstream(directory.write(lambda admin: admin.update(subject, change)))
        await after_change(ctx, subject, account.organizations)
    return customer


async def _last_admin(ctx: Context, account: Account) -> bool:
    """Whether `account` is the organization's only active administrator (read afresh)."""
    directory = ctx.writes.upstreams.directory
    tenant = ctx.tenant
    everyone = await upstream(directory.read(lambda admin: admin.members_of(tenant)))
    return active_admins(everyone, tenant) == {account.id}


def _last_admin_problem(account: Account, field: str) -> Problem:
    return Problem(
        ("input", field),
        "LAST_ADMIN",
        f"{display_name(account)} is the organization's last administrator; make another member an "
        "administrator first.",
    )
