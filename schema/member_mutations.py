"""Managing the organization's members (identity provider): `inviteMember`,
`resendInvitation`, `updateMemberRoles`, `deactivateMember`, and a member's own
`switchOrganization`."""

import strawberry

from auth.admin import Account
from auth.permissions import requires
from auth.policy import Permission
from resolvers import invitations, member_changes
from resolvers.context import Context
from resolvers.writes import Problem
from schema.common import UserError
from schema.enums import MemberRole
from schema.members import Member
from schema.organization import Organization
from schema.payloads import external_id_of, user_errors

Info = strawberry.Info[Context, None]


@strawberry.input(description="Invite a person into the organization.")
class InviteMemberInput:
    email: str = strawberry.field(description="Their e-mail address; it is also their login.")
    first_name: str = strawberry.field(description="First name.")
    last_name: str = strawberry.field(description="Last name.")
    roles: list[MemberRole] = strawberry.field(description="At least one role.")
    locale: str | None = strawberry.field(
        default=None,
        description="The invitation's language (de-CH, fr-CH, it-CH, en, de-DE); by default "
        "the organization's.",
    )


@strawberry.input(description="Send a pending invitation again.")
class ResendInvitationInput:
    member_id: strawberry.ID = strawberry.field(description="The invited member's global ID.")


@strawberry.input(description="Give a member other roles.")
class UpdateMemberRolesInput:
    member_id: strawberry.ID = strawberry.field(description="The member's global ID.")
    roles: list[MemberRole] = strawberry.field(description="The roles from now on (at least one).")


@strawberry.input(description="End a member's access to the organization.")
class DeactivateMemberInput:
    member_id: strawberry.ID = strawberry.field(description="The member's global ID.")


@strawberry.input(description="Choose the organization your sign-ins act for by default.")
class SwitchOrganizationInput:
    organization_id: strawberry.ID = strawberry.field(
        description="One of your organizations (`viewer.memberships.organization.id`)."
    )


@strawberry.type(description="The invited member.")
class InviteMemberPayload:
    member: Member | None = strawberry.field(description="The member; null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="The member whose invitation was sent again.")
class ResendInvitationPayload:
    member: Member | None = strawberry.field(description="The member; null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type(description="The member with their new roles.")
class UpdateMemberRolesPayload:
    member: Member | None = strawberry.field(description="The member; null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type(description="The deactivated member.")
class DeactivateMemberPayload:
    member: Member | None = strawberry.field(description="The member; null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type(description="Your default organization from now on.")
class SwitchOrganizationPayload:
    organization: Organization | None = strawberry.field(
        description="The organization tokens issued from now on act for (refresh the token)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


def member_of(
    outcome: Account | list[Problem], info: Info
) -> tuple[Member | None, list[UserError]]:
    """The payload's member (as the viewer's organization sees them) or the user errors."""
    if isinstance(outcome, list):
        return None, user_errors(outcome)
    return Member.of(outcome, info.context.tenant), []


def role_names(roles: list[MemberRole]) -> tuple[str, ...]:
    """The realm roles behind the schema's role names."""
    return tuple(dict.fromkeys(role.value.lower() for role in roles))


@strawberry.type
class MemberMutations:
    @strawberry.mutation(
        description="Invite a person: the identity provider creates their account with the "
        "roles and e-mails them a link to confirm the address and choose a password.",
        extensions=requires(Permission.USERS_MANAGE),
    )
    async def invite_member(self, info: Info, input: InviteMemberInput) -> InviteMemberPayload:
        invitation = invitations.Invitation(
            email=input.email,
            first_name=input.first_name,
            last_name=input.last_name,
            roles=role_names(input.roles),
            locale=input.locale,
        )
        member, errors = member_of(await invitations.invite(info.context, invitation), info)
        return InviteMemberPayload(member=member, user_errors=errors)

    @strawberry.mutation(
        description="Send a pending invitation (an INVITED member) again.",
        extensions=requires(Permission.USERS_MANAGE),
    )
    async def resend_invitation(
        self, info: Info, input: ResendInvitationInput
    ) -> ResendInvitationPayload:
        member_id = external_id_of(input.member_id, "Member")
        member, errors = member_of(await invitations.resend(info.context, member_id), info)
        return ResendInvitationPayload(member=member, user_errors=errors)

    @strawberry.mutation(
        description="Replace a member's roles; the last administrator keeps ADMIN (LAST_ADMIN).",
        extensions=requires(Permission.USERS_MANAGE),
    )
    async def update_member_roles(
        self, info: Info, input: UpdateMemberRolesInput
    ) -> UpdateMemberRolesPayload:
        member_id = external_id_of(input.member_id, "Member")
        outcome = await member_changes.update_roles(
            info.context, member_id, role_names(input.roles)
        )
        member, errors = member_of(outcome, info)
        return UpdateMemberRolesPayload(member=member, user_errors=errors)

    @strawberry.mutation(
        description="End a member's access (their sessions end too); not the last "
        "administrator (LAST_ADMIN).",
        extensions=requires(Permission.USERS_MANAGE),
    )
    async def deactivate_member(
        self, info: Info, input: DeactivateMemberInput
    ) -> DeactivateMemberPayload:
        member_id = external_id_of(input.member_id, "Member")
        member, errors = member_of(await member_changes.deactivate(info.context, member_id), info)
        return DeactivateMemberPayload(member=member, user_errors=errors)

    @strawberry.mutation(
        description="Choose which of your organizations your sign-ins act for by default "
        "(`X-Portal-Organization` still picks one per request)."
    )
    async def switch_organization(
        self, info: Info, input: SwitchOrganizationInput
    ) -> SwitchOrganizationPayload:
        number = external_id_of(input.organization_id, "Organization")
        outcome = await member_changes.switch(info.context, number)
        if isinstance(outcome, list):
            return SwitchOrganizationPayload(organization=None, user_errors=user_errors(outcome))
        return SwitchOrganizationPayload(organization=Organization.of(outcome), user_errors=[])
