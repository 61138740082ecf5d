"""The ERP adapter's writes to a customer's own master data (profile, invoice channel,
addresses), sent as `ErpWriter` sends every write; the ERP answers the record as it now
stands."""

from connectors.base.records import Address, AddressFields, Customer, ProfileChange
from connectors.erp import codes, mapping
from connectors.erp.writes import ErpWriter


class MasterDataWrites(ErpWriter):
    """The writes of `OrganizationPort`."""

    async def _customer(self, operation: str, **params: object) -> Customer:
        written = await self._write(operation, codes.CUSTOMER_FIELDS, **params)
        return written.record("Customer", mapping.customer)

    async def _address(self, operation: str, **params: object) -> Address:
        written = await self._write(operation, codes.ADDRESS_FIELDS, **params)
        return written.record("Address", mapping.address)

    async def update_customer(self, number: str, change: ProfileChange) -> Customer:
        return await self._customer(
            "UpdateCustomer",
            CustomerNumber=number,
            Name=change.legal_name,
            Vat=change.vat_id,
            Lang=mapping.erp_language(change.default_locale),
        )

    async def set_invoice_channel(
        self, number: str, channel: str, ebill_recipient_id: str | None
    ) -> Customer:
        return await self._customer(
            "SetInvoiceChannel",
            CustomerNumber=number,
            InvoiceChannel=codes.CHANNEL_CODE[channel],
            EbillRecipientId=ebill_recipient_id,
        )

    async def create_address(
        self, customer: str, address_type: str, fields: AddressFields
    ) -> Address:
        """A missing required value is sent empty: the ERP names it in its refusal."""
        return await self._address(
            "CreateAddress",
            CustomerNumber=customer,
            Type=codes.ADDRESS_TYPE_CODE[address_type],
            Name=fields.name or "",
            Street=fields.street or "",
            HouseNumber=fields.house_number,
            PostalCode=fields.postal_code or "",
            City=fields.city or "",
            Country=fields.country_code or "",
        )

    async def update_address(
        self, customer: str, address_id: str, fields: AddressFields
    ) -> Address:
        return await self._address(
            "UpdateAddress",
            CustomerNumber=customer,
            AddressId=address_id,
            Name=fields.name,
            Street=fields.street,
            HouseNumber=fields.house_number,
            PostalCode=fields.postal_code,
            City=fields.city,
            Country=fields.country_code,
        )

    async def delete_address(self, customer: str, address_id: str) -> None:
        await self._write(
            "DeleteAddress", codes.ADDRESS_FIELDS, CustomerNumber=customer, AddressId=address_id
        )

    async def set_default_address(self, customer: str, address_id: str) -> Address:
        return await self._address(
            "SetDefaultAddress", CustomerNumber=customer, AddressId=address_id
        )
