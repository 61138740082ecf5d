"""The sandbox ERP's master-data checks: what a customer master refuses, and in which words."""

import pytest

from sandbox.erp import checks
from sandbox.erp.writes import Message

SWISS = {
    "name": "Muster AG",
    "street": "Industriestrasse",
    "house_number": "12",
    "postal_code": "8400",
    "city": "Winterthur",
    "country": "CH",
}


def refused(messages: list[Message]) -> list[tuple[str | None, str]]:
    return [(message.field, message.code) for message in messages]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, []),
        ({"house_number": ""}, []),  # optional in a structured address
        ({"postal_code": "84000"}, [("PostalCode", "ZIP_FORMAT")]),
        ({"postal_code": "840A"}, [("PostalCode", "ZIP_FORMAT")]),
        ({"country": "LI", "postal_code": "9490"}, []),
        ({"country": "LI", "postal_code": "9500"}, [("PostalCode", "ZIP_FORMAT")]),
        ({"country": "DE", "postal_code": "78462"}, []),
        ({"country": "DE", "postal_code": "8400"}, [("PostalCode", "ZIP_FORMAT")]),
        ({"country": "NL", "postal_code": "1012 AB"}, []),
        ({"country": "XX"}, [("Country", "COUNTRY_UNKNOWN")]),
        ({"name": "", "city": ""}, [("Name", "FIELD_REQUIRED"), ("City", "FIELD_REQUIRED")]),
        ({"city": "W" * 36}, [("City", "FIELD_TOO_LONG")]),
        ({"name": "N" * 70, "street": "S" * 70, "house_number": "1" * 16}, []),
    ],
)
def test_addresses(change: dict[str, str], expected: list[tuple[str, str]]) -> None:
    assert refused(checks.address(SWISS | change)) == expected


@pytest.mark.parametrize(
    ("given", "country", "expected"),
    [
        ({"vat": "CHE-123.456.789"}, "CH", []),
        ({"vat": "CHE-123.456.789 MWST"}, "CH", []),
        ({"vat": "CHE-123.456.789 TVA"}, "LI", []),
        ({"vat": "CHE-123456789"}, "CH", [("Vat", "VAT_FORMAT")]),
        ({"vat": "CHE-123.456.789 XYZ"}, "CH", [("Vat", "VAT_FORMAT")]),
        ({"vat": "DE123456789"}, "DE", []),
        ({"vat": "CHE-123.456.789"}, "DE", [("Vat", "VAT_FORMAT")]),
        ({"vat": "ATU12345678"}, "AT", []),
        ({"vat": ""}, "CH", [("Vat", "FIELD_REQUIRED")]),
        ({"name": ""}, "CH", [("Name", "FIELD_REQUIRED")]),
        ({"name": "N" * 101}, "CH", [("Name", "FIELD_TOO_LONG")]),
        ({"lang": "fr_CH"}, "CH", []),
        ({"lang": "xx_XX"}, "CH", [("Lang", "LANG_NOT_INSTALLED")]),
        ({}, "CH", []),
    ],
)
def test_customers(given: dict[str, str], country: str, expected: list[tuple[str, str]]) -> None:
    assert refused(checks.customer(given, country)) == expected


@pytest.mark.parametrize(
    ("channel", "recipient", "expected"),
    [
        ("portal", None, []),
        ("paper", None, []),
        ("ebill", "41101000000123456", []),
        ("ebill", None, [("EbillRecipientId", "EBILL_ID_REQUIRED")]),
        ("ebill", "", [("EbillRecipientId", "EBILL_ID_REQUIRED")]),
        ("ebill", "4110100000012345", [("EbillRecipientId", "EBILL_ID_FORMAT")]),
        ("ebill", "51101000000123456", [("EbillRecipientId", "EBILL_ID_FORMAT")]),
        ("email", "41101000000123456", [("EbillRecipientId", "EBILL_ID_NOT_ALLOWED")]),
        ("fax", None, [("InvoiceChannel", "CHANNEL_UNKNOWN")]),
    ],
)
def test_invoice_channels(
    channel: str, recipient: str | None, expected: list[tuple[str, str]]
) -> None:
    assert refused(checks.invoice_channel(channel, recipient)) == expected


def test_every_message_explains_itself() -> None:
    messages = checks.address(SWISS | {"postal_code": "1", "name": ""})
    messages += checks.customer({"vat": "x", "lang": "x"}, "CH")
    messages += checks.address_type("office")
    assert len(messages) == 5
    assert all(message.text.endswith(".") and len(message.text) > 10 for message in messages)
