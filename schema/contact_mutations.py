"""The organization's contact persons in the CRM: `createContactPerson`,
`updateContactPerson` and `deleteContactPerson`."""

import strawberry

from auth.permissions import requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import contact_persons as resolve
from resolvers.context import Context
from schema.common import UserError, global_id
from schema.organization import ContactPerson
from schema.payloads import external_id_of, user_errors

Info = strawberry.Info[Context, None]


@strawberry.input(description="A new contact person of the organization.")
class CreateContactPersonInput:
    first_name: str = strawberry.field(description="First name.")
    last_name: str = strawberry.field(description="Last name.")
    email: str = strawberry.field(description="E-mail address, one per person.")
    phone: str | None = strawberry.field(default=None, description="Phone number.")
    job_title: str | None = strawberry.field(default=None, description="Function.")


@strawberry.input(
    description="Change a contact person; fields left out stay as they are, an empty phone or "
    "job title clears it."
)
class UpdateContactPersonInput:
    contact_id: strawberry.ID = strawberry.field(description="The contact person's global ID.")
    first_name: str | None = strawberry.field(default=None, description="First name.")
    last_name: str | None = strawberry.field(default=None, description="Last name.")
    email: str | None = strawberry.field(default=None, description="E-mail address.")
    phone: str | None = strawberry.field(default=None, description="Phone number.")
    job_title: str | None = strawberry.field(default=None, description="Function.")


@strawberry.input(description="Delete a contact person.")
class DeleteContactPersonInput:
    contact_id: strawberry.ID = strawberry.field(description="The contact person's global ID.")


@strawberry.type(description="The new contact person.")
class CreateContactPersonPayload:
    contact_person: ContactPerson | None = strawberry.field(
        description="The contact person; null on user errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="The changed contact person.")
class UpdateContactPersonPayload:
    contact_person: ContactPerson | None = strawberry.field(
        description="The contact person; null on user errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Which contact person was deleted.")
class DeleteContactPersonPayload:
    deleted_contact_person_id: strawberry.ID | None = strawberry.field(
        description="The deleted contact person's ID; null on user errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


def contact_fields(given: CreateContactPersonInput | UpdateContactPersonInput) -> r.ContactFields:
    return r.ContactFields(
        given.first_name, given.last_name, given.email, given.phone, given.job_title
    )


@strawberry.type
class ContactPersonMutations:
    @strawberry.mutation(
        description="Add a contact person to the organization in the CRM.",
        extensions=requires(Permission.MASTERDATA_WRITE),
    )
    async def create_contact_person(
        self, info: Info, input: CreateContactPersonInput
    ) -> CreateContactPersonPayload:
        outcome = await resolve.create(info.context, contact_fields(input))
        if isinstance(outcome, list):
            return CreateContactPersonPayload(contact_person=None, user_errors=user_errors(outcome))
        return CreateContactPersonPayload(contact_person=ContactPerson.of(outcome), user_errors=[])

    @strawberry.mutation(
        description="Change a contact person in the CRM.",
        extensions=requires(Permission.MASTERDATA_WRITE),
    )
    async def update_contact_person(
        self, info: Info, input: UpdateContactPersonInput
    ) -> UpdateContactPersonPayload:
        contact_id = external_id_of(input.contact_id, "ContactPerson")
        outcome = await resolve.update(info.context, contact_id, contact_fields(input))
        if isinstance(outcome, list):
            return UpdateContactPersonPayload(contact_person=None, user_errors=user_errors(outcome))
        return UpdateContactPersonPayload(contact_person=ContactPerson.of(outcome), user_errors=[])

    @strawberry.mutation(
        description="Delete a contact person in the CRM.",
        extensions=requires(Permission.MASTERDATA_WRITE),
    )
    async def delete_contact_person(
        self, info: Info, input: DeleteContactPersonInput
    ) -> DeleteContactPersonPayload:
        contact_id = external_id_of(input.contact_id, "ContactPerson")
        outcome = await resolve.delete(info.context, contact_id)
        if isinstance(outcome, list):
            return DeleteContactPersonPayload(
                deleted_contact_person_id=None, user_errors=user_errors(outcome)
            )
        return DeleteContactPersonPayload(
            deleted_contact_person_id=global_id("ContactPerson", "crm", outcome), user_errors=[]
        )
