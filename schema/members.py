"""The people with access to an organization's portal (identity provider): their names,
roles and where their membership stands."""

import strawberry

from auth.admin import Account
from auth.permissions import type_requires
from auth.policy import MEMBERS_READ
from resolvers.members import display_name, portal_roles, status_of
from schema.common import Node, global_id
from schema.enums import MemberRole, MembershipStatus


@strawberry.type(
    description="A person with access to the organization's portal.",
    directives=[type_requires(MEMBERS_READ)],
)
class Member(Node):
    username: str = strawberry.field(description="The login name.")
    email: str | None = strawberry.field(description="The e-mail address.")
    first_name: str | None = strawberry.field(description="First name.")
    last_name: str | None = strawberry.field(description="Last name.")
    name: str = strawberry.field(description="The display name.")
    locale: str | None = strawberry.field(description="The preferred language.")
    roles: list[MemberRole] = strawberry.field(description="The member's roles.")
    status: MembershipStatus = strawberry.field(
        description="INVITED until the invitation is accepted; DEACTIVATED once access ended."
    )
    mfa_enabled: bool = strawberry.field(description="Has an authenticator app (TOTP).")

    @classmethod
    def of(cls, account: Account, organization: str) -> "Member":
        """The member as `organization` sees them."""
        return cls(
            id=global_id("Member", "idp", account.id),
            username=account.username,
            email=account.email,
            first_name=account.first_name,
            last_name=account.last_name,
            name=display_name(account),
            locale=account.locale,
            roles=[MemberRole(role.upper()) for role in portal_roles(account)],
            status=MembershipStatus(status_of(account, organization)),
            mfa_enabled=account.has_totp,
        )
