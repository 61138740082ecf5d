"""Strawberry permission classes: the graph declares what a type or field needs, the policy
(`auth.policy`) decides whether the caller holds it.

`@strawberry.field(extensions=requires(Permission.INVOICES_READ))` guards a field (a query,
a relation or a mutation alike) and shows `@requires(permission: "invoices:read")` on it in
the SDL; `directives=[type_requires(...)]` documents a type's own requirement, which the
resolvers enforce wherever an object of that type is reached by ID or in a mixed list.

A denied field resolves to null with a `FORBIDDEN` error on its path; a permission that needs
a second factor fails with `MFA_REQUIRED` and a hint how to step up.
"""

from typing import Any, Protocol

import strawberry
from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from auth.policy import grants, needs_second_factor, permissions_of
from auth.principal import Principal

STEP_UP_ACR = "2"
"""The `acr_values` that make the identity provider ask for the second factor."""


@strawberry.schema_directive(
    name="requires",
    locations=[Location.FIELD_DEFINITION, Location.OBJECT],
    description=(
        "The permission the caller needs (README, Access control); with secondFactor the "
        "token must also carry `otp` in `amr`."
    ),
)
class RequiresDirective:
    permission: str
    second_factor: bool = False


class Forbidden(GraphQLError):
    def __init__(self, requirement: str) -> None:
        super().__init__(
            f"Your roles do not permit this ({requirement}).",
            extensions={"code": "FORBIDDEN", "permission": requirement},
        )


class MfaRequired(GraphQLError):
    def __init__(self, requirement: str) -> None:
        super().__init__(
            "This needs a second factor: sign in again with your authenticator app "
            f"(authorization request with acr_values={STEP_UP_ACR}) and retry with the new token.",
            extensions={
                "code": "MFA_REQUIRED",
                "permission": requirement,
                "stepUp": {"acrValues": STEP_UP_ACR, "amr": "otp"},
            },
        )


class HasPrincipal(Protocol):
    @property
    def principal(self) -> Principal | None: ...


def check(principal: Principal | None, requirement: str) -> None:
    """Raise Forbidden or MfaRequired unless `principal` meets `requirement`."""
    if principal is None or not grants(permissions_of(principal), requirement):
        raise Forbidden(requirement)
    if needs_second_factor(requirement) and not principal.has_mfa:
        raise MfaRequired(requirement)


def allows(principal: Principal | None, requirement: str) -> bool:
    """Whether `principal` may read what `requirement` guards (no step-up asked for reads
    that filter instead of failing)."""
    return principal is not None and grants(permissions_of(principal), requirement)


class Requires(BasePermission):
    """The caller needs `requirement` (a permission, or `documents:read:*` for any audience).

    Example:
        @strawberry.field(extensions=requires(Permission.INVOICES_READ))
    """

    def __init__(self, requirement: str) -> None:
        self.requirement = requirement

    @property
    def schema_directive(self) -> object:
        return type_requires(self.requirement)

    def has_permission(
        self, source: Any, info: strawberry.Info[HasPrincipal, Any], **_: Any
    ) -> bool:
        check(info.context.principal, self.requirement)
        return True


def requires(requirement: str) -> list[FieldExtension]:
    """The field extensions that guard a field with `requirement`."""
    return [PermissionExtension([Requires(requirement)])]


def type_requires(requirement: str) -> RequiresDirective:
    """The `@requires` directive of a type or field, as the SDL shows it."""
    return RequiresDirective(permission=requirement, second_factor=needs_second_factor(requirement))


def requirement_of(cls: type) -> str | None:
    """The requirement a schema type declares with `type_requires`, if any."""
    definition = getattr(cls, "__strawberry_definition__", None)
    for directive in getattr(definition, "directives", None) or ():
        if isinstance(directive, RequiresDirective):
            return directive.permission
    return None
