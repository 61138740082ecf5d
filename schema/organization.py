"""The viewer, their organization, its addresses and contact persons."""

import strawberry

from auth.permissions import requires
from auth.policy import MEMBERS_READ, Permission, is_staff, permissions_of
from auth.principal import Principal
from connectors.base import records as r
from resolvers import members
from resolvers import organization as resolve
from resolvers import preferences as resolve_preferences
from resolvers import recommendations as resolve_recommendations
from resolvers.context import Context
from schema.common import (
    Connection,
    Money,
    Node,
    StructuredAddress,
    Synced,
    connection,
    global_id,
)
from schema.enums import (
    AddressType,
    ChangeRequestStatus,
    CreditStatus,
    InvoiceDeliveryChannel,
    OrganizationKind,
)
from schema.features import Feature, features, gated
from schema.members import Member
from schema.paging import AfterArg, BeforeArg, FirstArg, LastArg, page_args
from schema.preferences import Preferences
from schema.recommendations import Recommendation, recommendation_of

Info = strawberry.Info[Context, None]


@strawberry.type(description="A postal address; fields map 1:1 to a QR-bill structured address.")
class Address(Node, StructuredAddress):
    type: AddressType = strawberry.field(description="Billing, shipping or postal.")
    is_default: bool = strawberry.field(description="The default address of its type.")
    change_request_status: ChangeRequestStatus = strawberry.field(
        description="A billing address's changes await the provider's approval."
    )

    @classmethod
    def of(cls, address: r.Address) -> "Address":
        return cls(
            id=global_id("Address", "erp", address.id),
            type=AddressType(address.type),
            name=address.name,
            street=address.street,
            house_number=address.house_number,
            postal_code=address.postal_code,
            city=address.city,
            country_code=address.country_code,
            is_default=address.is_default,
            change_request_status=ChangeRequestStatus(address.change_request_status),
        )


@strawberry.type(description="A contact person at the organization (CRM).")
class ContactPerson(Node):
    first_name: str = strawberry.field(description="First name.")
    last_name: str = strawberry.field(description="Last name.")
    email: str = strawberry.field(description="E-mail address.")
    phone: str | None = strawberry.field(description="Phone number.")
    job_title: str | None = strawberry.field(description="Function in the organization.")

    @classmethod
    def of(cls, contact: r.Contact) -> "ContactPerson":
        return cls(
            id=global_id("ContactPerson", "crm", contact.id),
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email,
            phone=contact.phone,
            job_title=contact.job_title,
        )


@strawberry.type(description="A customer organization (ERP customer master).")
class Organization(Node, Synced):
    number: str = strawberry.field(description="The customer number in the ERP.")
    kind: OrganizationKind = strawberry.field(description="Company or private person.")
    legal_name: str = strawberry.field(description="The legal name.")
    vat_id: str | None = strawberry.field(description="UID / VAT number (CHE-…).")
    default_locale: str = strawberry.field(description="The organization's language.")
    currency: str = strawberry.field(description="The currency it is invoiced in.")
    credit_status: CreditStatus = strawberry.field(
        description="Whether deliveries on credit go on."
    )
    invoice_delivery_channel: InvoiceDeliveryChannel = strawberry.field(
        description="How invoices are sent."
    )
    ebill_recipient_id: str | None = strawberry.field(description="The eBill recipient ID.")
    credit_limit: Money | None = strawberry.field(
        description="The credit limit.", extensions=requires(Permission.INVOICES_READ)
    )
    change_request_status: ChangeRequestStatus = strawberry.field(
        description="A change of the legal name or the UID awaits the provider's approval."
    )
    record: strawberry.Private[r.Customer]

    @classmethod
    def of(cls, customer: r.Customer) -> "Organization":
        return cls(
            id=global_id("Organization", "erp", customer.number),
            number=customer.number,
            kind=OrganizationKind(customer.kind),
            legal_name=customer.legal_name,
            vat_id=customer.vat_id,
            default_locale=customer.default_locale,
            currency=customer.currency,
            credit_status=CreditStatus(customer.credit_status),
            invoice_delivery_channel=InvoiceDeliveryChannel(customer.invoice_delivery_channel),
            ebill_recipient_id=customer.ebill_recipient_id,
            credit_limit=Money.of(customer.credit_limit),
            change_request_status=ChangeRequestStatus(customer.change_request_status),
            record=customer,
        )

    @strawberry.field(description="Billing and shipping addresses.")
    async def addresses(self, info: Info) -> list[Address] | None:
        return [Address.of(a) for a in await resolve.addresses(info.context, self.record)]

    @strawberry.field(description="Contact persons (CRM).")
    async def contacts(self, info: Info) -> list[ContactPerson] | None:
        return [ContactPerson.of(c) for c in await resolve.contacts(info.context, self.record)]

    @strawberry.field(
        description="The people with access to the organization's portal, by name "
        "(identity provider); invitations show as INVITED.",
        extensions=requires(MEMBERS_READ),
    )
    async def members(
        self,
        info: Info,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[Member] | None:
        page = await members.member_page(
            info.context, self.number, page_args(first, after, last, before)
        )
        return connection(page, lambda account: Member.of(account, self.number))


@strawberry.type(description="The signed-in user, from the identity provider's token.")
class PortalUser:
    username: str = strawberry.field(description="The login name.")
    name: str | None = strawberry.field(description="The display name.")
    email: str | None = strawberry.field(description="The e-mail address.")
    locale: str | None = strawberry.field(description="The preferred language.")
    mfa_enabled: bool = strawberry.field(description="Signed in with a second factor.")


@strawberry.type(description="An organization the viewer may act for.")
class Membership:
    number: str = strawberry.field(description="The organization's customer number.")
    active: bool = strawberry.field(
        description="The organization this request acts for (`X-Portal-Organization`)."
    )

    @strawberry.field(description="The organization's master data.")
    async def organization(self, info: Info) -> Organization | None:
        customer = await resolve.member_organization(info.context, self.number)
        return Organization.of(customer) if customer is not None else None


@strawberry.type(description="Who is asking, and for which organization.")
class Viewer:
    user: PortalUser = strawberry.field(description="The signed-in user or service account.")
    roles: list[str] = strawberry.field(description="The user's roles in the organization.")
    organization_numbers: list[str] = strawberry.field(
        description="Every organization the token grants; the active one is `organization`."
    )
    is_service_account: bool = strawberry.field(description="An integrator's client.")
    is_staff: bool = strawberry.field(
        description="Provider staff acting for a chosen customer; every access is audited."
    )
    permissions: list[str] = strawberry.field(
        description="What the roles (or an integrator's scopes) permit, e.g. `orders:read`."
    )
    memberships: list[Membership] = strawberry.field(
        description=(
            "The organizations the viewer may act for; pick one per request with the header "
            "`X-Portal-Organization` (or `connection_init` payload on a WebSocket)."
        )
    )

    @classmethod
    def of(cls, principal: Principal) -> "Viewer":
        return cls(
            user=PortalUser(
                username=principal.username,
                name=principal.display_name,
                email=principal.email,
                locale=principal.locale,
                mfa_enabled=principal.has_mfa,
            ),
            roles=sorted(principal.roles),
            organization_numbers=list(principal.tenants),
            is_service_account=principal.is_service_account,
            is_staff=is_staff(principal),
            permissions=sorted(permissions_of(principal)),
            memberships=[
                Membership(number=number, active=number == principal.tenant)
                for number in principal.tenants
            ],
        )

    @strawberry.field(description="The active organization this request acts for.")
    async def organization(self, info: Info) -> Organization | None:
        customer = await resolve.organization(info.context)
        return Organization.of(customer) if customer is not None else None

    @strawberry.field(
        description="What the portal remembers for the viewer: language, time zone, "
        "notification channels, dashboard, saved views, pinned documents.",
        extensions=requires(Permission.PREFERENCES_MANAGE),
    )
    async def preferences(self, info: Info) -> Preferences | None:
        return Preferences.of(await resolve_preferences.preferences(info.context))

    @strawberry.field(
        description="The feature flags on for the viewer, each with the variant it gets (an "
        "A/B test's arm): what the client may show."
    )
    async def features(self, info: Info) -> list[Feature]:
        return await features(info)

    @strawberry.field(
        description="Suggestions such as products to order again and invoices due this week; "
        "only for a viewer who granted the PERSONALIZATION consent (empty otherwise), each "
        "from what their roles may read.",
        extensions=gated("recommendations"),
    )
    async def recommendations(self, info: Info) -> list[Recommendation] | None:
        found = await resolve_recommendations.recommendations(info.context)
        return [recommendation_of(recommendation, info) for recommendation in found]
