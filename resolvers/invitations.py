"""Inviting people into the viewer's organization: the identity provider creates the user
(member of the organization, e-mail not verified, a password still to choose), maps the
roles, and sends Keycloak's "execute actions" e-mail with the link to do both. Until then the
member is INVITED. The invitation can be sent again while it is pending.

The gateway checks only what it needs itself (an address, names, roles, a portal locale); the
realm's user profile is the authority on the values, and its refusals come back as user
errors on the input field they concern. If mapping the roles or sending the e-mail fails, the
new user is deleted again, so that a retry starts from nothing.
"""

import logging
from dataclasses import dataclass

from auth import membership
from auth.admin import Account, NewAccount
from connectors.base.errors import UpstreamError, UpstreamRefused
from resolvers.context import Context
from resolvers.directory import MESSAGES, Directory
from resolvers.errors import UpstreamFailure, client_failure
from resolvers.members import (
    INVITATION_ACTIONS,
    MEMBER_NOT_FOUND,
    NO_ROLE,
    after_change,
    current_member,
    display_name,
    status_of,
    upstream,
)
from resolvers.writes import EMAIL, Problem, refusal_problems

log = logging.getLogger("portalgraph.members")

EMAIL_MAX = 254
NAME_MAX = 255
LOCALES = ("de-CH", "fr-CH", "it-CH", "en", "de-DE")


@dataclass(frozen=True)
class Invitation:
    email: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]
    """Realm role names."""
    locale: str | None


async def invite(ctx: Context, invitation: Invitation) -> Account | list[Problem]:
    problems = _check(invitation)
    if problems:
        return problems
    attributes = membership.joining(ctx.tenant)
    locale = invitation.locale or await _organization_locale(ctx)
    if locale:
        attributes["locale"] = [locale]
    email = invitation.email.strip()
    new = NewAccount(
        username=email.lower(),
        email=email,
        first_name=invitation.first_name.strip(),
        last_name=invitation.last_name.strip(),
        attributes=attributes,
        required_actions=INVITATION_ACTIONS,
    )
    directory = ctx.writes.upstreams.directory
    try:
        user_id = await directory.write(lambda admin: admin.create(new))
    except UpstreamRefused as refused:
        if any(refusal.field is None for refusal in refused.refusals):
            raise client_failure(refused) from refused  # no input field explains it
        return refusal_problems(refused)
    except UpstreamError as error:
        raise client_failure(error) from error
    try:
        await directory.write(lambda admin: admin.set_roles(user_id, invitation.roles, ()))
        await directory.write(lambda admin: admin.send_actions_email(user_id, INVITATION_ACTIONS))
    except UpstreamError as error:
        await _forget(directory, user_id)
        raise client_failure(error) from error
    return await after_change(ctx, user_id, [ctx.tenant])


async def resend(ctx: Context, member_id: str | None) -> Account | list[Problem]:
    found = await current_member(ctx, member_id)
    if found is None:
        return [MEMBER_NOT_FOUND]
    status = status_of(found, ctx.tenant)
    if status != "INVITED":
        return [
            Problem(
                ("input", "memberId"),
                "NOT_INVITED",
                f"{display_name(found)} is {status.lower()}; only a pending "
                "invitation can be sent again.",
            )
        ]
    directory = ctx.writes.upstreams.directory
    pending = found.required_actions
    await upstream(directory.write(lambda admin: admin.send_actions_email(found.id, pending)))
    return found


def _check(invitation: Invitation) -> list[Problem]:
    problems = []
    email = invitation.email.strip()
    if not EMAIL.fullmatch(email) or len(email) > EMAIL_MAX:
        problems.append(
            Problem(("input", "email"), "INVALID", "Enter an e-mail address (name@example.ch).")
        )
    for field, value in (("firstName", invitation.first_name), ("lastName", invitation.last_name)):
        if not value.strip():
            problems.append(Problem(("input", field), "REQUIRED", "Enter the name."))
        elif len(value.strip()) > NAME_MAX:
            problems.append(Problem(("input", field), "INVALID", MESSAGES["error-invalid-length"]))
    if not invitation.roles:
        problems.append(NO_ROLE)
    if invitation.locale is not None and invitation.locale not in LOCALES:
        problems.append(
            Problem(("input", "locale"), "INVALID", f"Choose one of {', '.join(LOCALES)}.")
        )
    return problems


async def _organization_locale(ctx: Context) -> str | None:
    """The organization's language, for the invitation e-mail; None when the ERP cannot say."""
    try:
        customer = await ctx.loaders.customer.load(ctx.tenant)
    except UpstreamFailure:
        return None
    return customer.default_locale if customer is not None else None


async def _forget(directory: Directory, user_id: str) -> None:
    try:
        await directory.write(lambda admin: admin.delete(user_id))
    except UpstreamError:
        log.exception("an invited user %s could not be deleted after a failed invitation", user_id)
