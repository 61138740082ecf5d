"""The ERP adapter's writes: a customer's own master data (profile, invoice channel,
addresses). Each is one SOAP call through the guard as a write, never retried; the ERP
answers its messages and the record as it now stands (`mapping.written`)."""

from connectors.base.guard import Guard
from connectors.base.records import Address, AddressFields, Customer, ProfileChange, System
from connectors.base.soap import Fields, SoapService
from connectors.erp import codes, mapping


class MasterDataWrites:
    """The writes of `OrganizationPort`, for `ErpAdapter`."""

    _soap: SoapService
    _guard: Guard

    async def _write(self, operation: str, **params: object) -> object:
        return await self._guard.write(lambda: self._soap.call(operation, **params))

    async def _customer(self, operation: str, **params: object) -> Customer:
        answer = await self._write(operation, **params)
        return mapping.customer(
            mapping.written(answer, operation, "Customer", codes.CUSTOMER_FIELDS)
        )

    async def _address(self, operation: str, **params: object) -> Address:
        answer = await self._write(operation, **params)
        return mapping.address(mapping.written(answer, operation, "Address", codes.ADDRESS_FIELDS))

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
        answer = await self._write("DeleteAddress", CustomerNumber=customer, AddressId=address_id)
        messages = Fields.each(System.ERP, answer, "DeleteAddress")
        mapping.refuse(messages, codes.ADDRESS_FIELDS)

    async def set_default_address(self, customer: str, address_id: str) -> Address:
        return await self._address(
            "SetDefaultAddress", CustomerNumber=customer, AddressId=address_id
        )
