"""The organization's addresses in the ERP: `createAddress`, `updateAddress`,
`deleteAddress` and `setDefaultAddress`. Every payload also answers the organization, whose
`addresses` then show the change (a new default, a deleted address)."""

import strawberry

from auth.permissions import requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import masterdata as resolve
from resolvers import organization
from resolvers.context import Context
from schema.common import UserError, global_id
from schema.enums import AddressType
from schema.organization import Address, Organization
from schema.payloads import external_id_of, user_errors

Info = strawberry.Info[Context, None]


async def organization_now(info: Info) -> Organization | None:
    customer = await organization.organization(info.context)
    return Organization.of(customer) if customer is not None else None


def organization_field() -> Organization | None:
    return strawberry.field(
        resolver=organization_now, description="The organization, its addresses as they now are."
    )


@strawberry.type(description="The new address.")
class CreateAddressPayload:
    address: Address | None = strawberry.field(description="The address; null on user errors.")
    organization: Organization | None = organization_field()
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="The changed address.")
class UpdateAddressPayload:
    address: Address | None = strawberry.field(
        description="PENDING_APPROVAL (with the values in effect) for a billing address; null "
        "on user errors."
    )
    organization: Organization | None = organization_field()
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="The new default address of its type.")
class SetDefaultAddressPayload:
    address: Address | None = strawberry.field(description="The address; null on user errors.")
    organization: Organization | None = organization_field()
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Which address was deleted.")
class DeleteAddressPayload:
    deleted_address_id: strawberry.ID | None = strawberry.field(
        description="The deleted address's ID; null on user errors."
    )
    organization: Organization | None = organization_field()
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="A new address; the first of its type becomes its default.")
class CreateAddressInput:
    type: AddressType = strawberry.field(description="Billing, shipping or postal.")
    name: str = strawberry.field(description="Name on the address (at most 70 characters).")
    street: str = strawberry.field(description="Street (at most 70 characters).")
    house_number: str | None = strawberry.field(default=None, description="House number.")
    postal_code: str = strawberry.field(description="Postal code (CH: 4 digits).")
    city: str = strawberry.field(description="Town (at most 35 characters).")
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2 country, such as CH.")


@strawberry.input(
    description="Change an address; fields left out stay as they are. A billing address's "
    "change awaits the provider's approval."
)
class UpdateAddressInput:
    address_id: strawberry.ID = strawberry.field(description="The address's global ID.")
    name: str | None = strawberry.field(default=None, description="Name on the address.")
    street: str | None = strawberry.field(default=None, description="Street.")
    house_number: str | None = strawberry.field(default=None, description="House number.")
    postal_code: str | None = strawberry.field(default=None, description="Postal code.")
    city: str | None = strawberry.field(default=None, description="Town.")
    country_code: str | None = strawberry.field(default=None, description="ISO country.")


@strawberry.input(description="An address of the organization.")
class AddressIdInput:
    address_id: strawberry.ID = strawberry.field(description="The address's global ID.")


@strawberry.input(
    description="Delete an address that is neither its type's default nor the last billing one."
)
class DeleteAddressInput(AddressIdInput):
    pass


@strawberry.input(description="Make an address the default of its type.")
class SetDefaultAddressInput(AddressIdInput):
    pass


def address_fields(given: CreateAddressInput | UpdateAddressInput) -> r.AddressFields:
    return r.AddressFields(
        given.name, given.street, given.house_number, given.postal_code, given.city,
        given.country_code,
    )  # fmt: skip


@strawberry.type
class AddressMutations:
    @strawberry.mutation(
        description="Add a billing, shipping or postal address in the ERP.",
        extensions=requires(Permission.MASTERDATA_WRITE),
    )
    async def create_address(self, info: Info, input: CreateAddressInput) -> CreateAddressPayload:
        outcome = await resolve.create_address(
            info.context, input.type.value, address_fields(input)
        )
        if isinstance(outcome, list):
            return CreateAddressPayload(address=None, user_errors=user_errors(outcome))
        return CreateAddressPayload(address=Address.of(outcome), user_errors=[])

    @strawberry.mutation(
        description="Change an address in the ERP; a billing address's change is a change "
        "request that takes effect once the provider approves it.",
        extensions=requires(Permission.MASTERDATA_WRITE),
    )
    async def update_address(self, info: Info, input: UpdateAddressInput) -> UpdateAddressPayload:
        address_id = external_id_of(input.address_id, "Address")
        outcome = await resolve.update_address(info.context, address_id, address_fields(input))
        if isinstance(outcome, list):
            return UpdateAddressPayload(address=None, user_errors=user_errors(outcome))
        return UpdateAddressPayload(address=Address.of(outcome), user_errors=[])

    @strawberry.mutation(
        description="Delete an address in the ERP.",
        extensions=requires(Permission.MASTERDATA_WRITE),
    )
    async def delete_address(self, info: Info, input: DeleteAddressInput) -> DeleteAddressPayload:
        address_id = external_id_of(input.address_id, "Address")
        outcome = await resolve.delete_address(info.context, address_id)
        if isinstance(outcome, list):
            return DeleteAddressPayload(deleted_address_id=None, user_errors=user_errors(outcome))
        return DeleteAddressPayload(
            deleted_address_id=global_id("Address", "erp", outcome), user_errors=[]
        )

    @strawberry.mutation(
        description="Make an address the default of its type in the ERP.",
        extensions=requires(Permission.MASTERDATA_WRITE),
    )
    async def set_default_address(
        self, info: Info, input: SetDefaultAddressInput
    ) -> SetDefaultAddressPayload:
        address_id = external_id_of(input.address_id, "Address")
        outcome = await resolve.set_default_address(info.context, address_id)
        if isinstance(outcome, list):
            return SetDefaultAddressPayload(address=None, user_errors=user_errors(outcome))
        return SetDefaultAddressPayload(address=Address.of(outcome), user_errors=[])
