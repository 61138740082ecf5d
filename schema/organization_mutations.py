"""The organization's own master data in the ERP: `updateOrganizationProfile` and
`setInvoiceDeliveryChannel`."""

import strawberry

from auth.permissions import requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import masterdata as resolve
from resolvers.context import Context
from schema.common import UserError
from schema.enums import InvoiceDeliveryChannel
from schema.organization import Organization
from schema.payloads import user_errors

Info = strawberry.Info[Context, None]


@strawberry.input(description="Change the organization's profile; fields left out stay.")
class UpdateOrganizationProfileInput:
    legal_name: str | None = strawberry.field(
        default=None, description="The legal name; takes effect once the provider approves it."
    )
    vat_id: str | None = strawberry.field(
        default=None,
        description="The UID / VAT number (in Switzerland CHE-123.456.789, optionally with "
        "MWST, TVA or IVA); takes effect once the provider approves it.",
    )
    default_locale: str | None = strawberry.field(
        default=None, description="The organization's language, such as de-CH or fr-CH."
    )


@strawberry.type(description="The organization as it now stands.")
class UpdateOrganizationProfilePayload:
    organization: Organization | None = strawberry.field(
        description="PENDING_APPROVAL while a change awaits the provider; null on user errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Choose how the organization receives its invoices.")
class SetInvoiceDeliveryChannelInput:
    channel: InvoiceDeliveryChannel = strawberry.field(description="The new channel.")
    ebill_recipient_id: str | None = strawberry.field(
        default=None,
        description="With EBILL, and only then: the recipient's eBill ID (17 digits, from the "
        "eBill portal of the organization's bank).",
    )


@strawberry.type(description="The organization with its new invoice channel.")
class SetInvoiceDeliveryChannelPayload:
    organization: Organization | None = strawberry.field(
        description="The organization; null on user errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type
class OrganizationMutations:
    @strawberry.mutation(
        description="Change the organization's legal name, UID or language in the ERP. A new "
        "legal name or UID is a change request: it takes effect once the provider approves it.",
        extensions=requires(Permission.MASTERDATA_WRITE),
    )
    async def update_organization_profile(
        self, info: Info, input: UpdateOrganizationProfileInput
    ) -> UpdateOrganizationProfilePayload:
        change = r.ProfileChange(input.legal_name, input.vat_id, input.default_locale)
        outcome = await resolve.update_profile(info.context, change)
        if isinstance(outcome, list):
            return UpdateOrganizationProfilePayload(
                organization=None, user_errors=user_errors(outcome)
            )
        return UpdateOrganizationProfilePayload(
            organization=Organization.of(outcome), user_errors=[]
        )

    @strawberry.mutation(
        description="Switch between invoices in the portal, PDF by e-mail, eBill and paper.",
        extensions=requires(Permission.MASTERDATA_WRITE),
    )
    async def set_invoice_delivery_channel(
        self, info: Info, input: SetInvoiceDeliveryChannelInput
    ) -> SetInvoiceDeliveryChannelPayload:
        outcome = await resolve.set_invoice_channel(
            info.context, input.channel.value, input.ebill_recipient_id
        )
        if isinstance(outcome, list):
            return SetInvoiceDeliveryChannelPayload(
                organization=None, user_errors=user_errors(outcome)
            )
        return SetInvoiceDeliveryChannelPayload(
            organization=Organization.of(outcome), user_errors=[]
        )
