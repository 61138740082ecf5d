"""Consents (CRM): what the viewer agreed to, the history of their decisions, and
`grantConsent` / `revokeConsent`."""

from datetime import datetime
from enum import Enum

import strawberry

from auth.permissions import requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import consents as resolve
from resolvers.context import Context
from schema.common import Node, UserError, global_id
from schema.payloads import user_errors

Info = strawberry.Info[Context, None]


@strawberry.enum(description="What a consent is for.")
class ConsentPurpose(Enum):
    MARKETING_EMAIL = "MARKETING_EMAIL"
    ANALYTICS = "ANALYTICS"
    PERSONALIZATION = "PERSONALIZATION"
    EBILL_DATA_SHARING = "EBILL_DATA_SHARING"


@strawberry.type(description="One consent decision of the viewer, as the CRM keeps it.")
class Consent(Node):
    purpose: ConsentPurpose = strawberry.field(description="What it is for.")
    granted: bool = strawberry.field(description="Granted, or revoked (refused).")
    text_version: str = strawberry.field(description="The version of the text decided on.")
    at: datetime = strawberry.field(description="When the decision was made.")

    @classmethod
    def of(cls, consent: r.Consent) -> "Consent":
        return cls(
            id=global_id("Consent", "crm", consent.id),
            purpose=ConsentPurpose(consent.purpose),
            granted=consent.granted,
            text_version=consent.text_version,
            at=consent.decided_at,
        )


@strawberry.type
class ConsentQueries:
    @strawberry.field(
        description="The viewer's consent in force for each purpose decided on (CRM).",
        extensions=requires(Permission.PRIVACY_REQUEST),
    )
    async def consents(self, info: Info) -> list[Consent] | None:
        return [Consent.of(found) for found in await resolve.current(info.context)]

    @strawberry.field(
        description="Every consent decision of the viewer, newest first (append-only).",
        extensions=requires(Permission.PRIVACY_REQUEST),
    )
    async def consent_history(self, info: Info) -> list[Consent] | None:
        return [Consent.of(found) for found in await resolve.history(info.context)]


@strawberry.input(description="Agree to a purpose, on the text version the viewer was shown.")
class GrantConsentInput:
    purpose: ConsentPurpose = strawberry.field(description="What the consent is for.")
    text_version: str = strawberry.field(
        description="The version of the consent text shown (the CRM's current one)."
    )


@strawberry.input(description="Withdraw a consent given earlier.")
class RevokeConsentInput:
    purpose: ConsentPurpose = strawberry.field(description="What the consent was for.")


@strawberry.type(description="The consent granted.")
class GrantConsentPayload:
    consent: Consent | None = strawberry.field(description="The decision; null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="The consent revoked.")
class RevokeConsentPayload:
    consent: Consent | None = strawberry.field(description="The decision; null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type
class ConsentMutations:
    @strawberry.mutation(
        description="Grant a consent; recorded in the CRM with the text version and the time.",
        extensions=requires(Permission.PRIVACY_REQUEST),
    )
    async def grant_consent(self, info: Info, input: GrantConsentInput) -> GrantConsentPayload:
        outcome = await resolve.grant(info.context, input.purpose.value, input.text_version)
        if isinstance(outcome, list):
            return GrantConsentPayload(consent=None, user_errors=user_errors(outcome))
        return GrantConsentPayload(consent=Consent.of(outcome), user_errors=[])

    @strawberry.mutation(
        description="Revoke a consent in force; the CRM keeps the earlier grant in its history.",
        extensions=requires(Permission.PRIVACY_REQUEST),
    )
    async def revoke_consent(self, info: Info, input: RevokeConsentInput) -> RevokeConsentPayload:
        outcome = await resolve.revoke(info.context, input.purpose.value)
        if isinstance(outcome, list):
            return RevokeConsentPayload(consent=None, user_errors=user_errors(outcome))
        return RevokeConsentPayload(consent=Consent.of(outcome), user_errors=[])
