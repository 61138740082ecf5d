"""The sandbox ERP's master-data checks, as a customer master enforces them: required fields,
the lengths a Swiss QR-bill's structured address allows, ISO 3166 countries, postal codes per
country, VAT numbers (the Swiss UID `CHE-123.456.789`), installed languages and eBill
recipients. Each check answers what it refuses as messages in the ERP's own codes, naming the
request element at fault."""

import re
from collections.abc import Mapping

from sandbox.erp.writes import Message

ADDRESS_ELEMENTS = {
    "Name": "name",
    "Street": "street",
    "HouseNumber": "house_number",
    "PostalCode": "postal_code",
    "City": "city",
    "Country": "country",
}
"""Request element → the address attribute it sets."""
CUSTOMER_ELEMENTS = {"Name": "name", "Vat": "vat", "Lang": "lang"}
"""Request element → the customer attribute it sets (what a customer may change itself)."""
ADDRESS_TYPES = frozenset({"invoice", "delivery", "contact"})
CHANNELS = frozenset({"portal", "email", "ebill", "paper"})
LANGUAGES = frozenset({"de_CH", "fr_CH", "it_CH", "de_DE", "en_US", "en_GB"})
"""The languages installed in the ERP."""
LIMITS = {"Name": 70, "Street": 70, "HouseNumber": 16, "PostalCode": 16, "City": 35}
"""The Swiss Payment Standards' limits of a structured address (QR-bill)."""
LEGAL_NAME_LIMIT = 100
COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO
    DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU
    GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW
    KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU
    MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA
    ZM ZW""".split()  # noqa: SIM905  (as a list literal the 249 codes take 60 lines)
)
"""ISO 3166-1 alpha-2."""
POSTAL_CODES = {
    "CH": (re.compile(r"\d{4}"), "Swiss postal codes have 4 digits."),
    "LI": (re.compile(r"94(8[5-9]|9[0-8])"), "Liechtenstein postal codes are 9485 to 9498."),
    "AT": (re.compile(r"\d{4}"), "Austrian postal codes have 4 digits."),
    "DE": (re.compile(r"\d{5}"), "German postal codes have 5 digits."),
    "FR": (re.compile(r"\d{5}"), "French postal codes have 5 digits."),
    "IT": (re.compile(r"\d{5}"), "Italian postal codes have 5 digits."),
}
ANY_POSTAL_CODE = (re.compile(r"[A-Z0-9][A-Z0-9 -]{1,9}", re.IGNORECASE), "Not a postal code.")
SWISS_UID = re.compile(r"CHE-\d{3}\.\d{3}\.\d{3}( (MWST|TVA|IVA|VAT))?")
VAT_NUMBERS = {
    "CH": (SWISS_UID, "Swiss UIDs read CHE-123.456.789, optionally with MWST, TVA or IVA."),
    "LI": (SWISS_UID, "UIDs read CHE-123.456.789, optionally with MWST, TVA or IVA."),
    "DE": (re.compile(r"DE\d{9}"), "German VAT numbers read DE and 9 digits."),
}
ANY_VAT_NUMBER = (re.compile(r"[A-Z]{2}[0-9A-Z]{2,13}"), "Not a VAT number.")
EBILL_RECIPIENT = re.compile(r"41\d{15}")
"""An eBill participant number: 17 digits, starting with 41."""


def address_type(value: str) -> list[Message]:
    if value in ADDRESS_TYPES:
        return []
    text = f"Address types are {', '.join(sorted(ADDRESS_TYPES))}."
    return [Message("TYPE_UNKNOWN", text, "Type")]


def address(values: Mapping[str, str]) -> list[Message]:
    """`values`: every address attribute, as the address would be after the write."""
    messages = _required_and_limited(values, ADDRESS_ELEMENTS, LIMITS, optional={"HouseNumber"})
    country, postal_code = values["country"], values["postal_code"]
    if country and country not in COUNTRIES:
        messages.append(Message("COUNTRY_UNKNOWN", f"No country has code {country}.", "Country"))
    elif country and postal_code:
        pattern, rule = POSTAL_CODES.get(country, ANY_POSTAL_CODE)
        if not pattern.fullmatch(postal_code):
            messages.append(Message("ZIP_FORMAT", rule, "PostalCode"))
    return messages


def customer(given: Mapping[str, str], country: str) -> list[Message]:
    """`given`: the customer attributes a write sets; `country` the customer's."""
    present = {element: a for element, a in CUSTOMER_ELEMENTS.items() if a in given}
    messages = _required_and_limited(given, present, {"Name": LEGAL_NAME_LIMIT})
    vat = given.get("vat")
    if vat:
        pattern, rule = VAT_NUMBERS.get(country, ANY_VAT_NUMBER)
        if not pattern.fullmatch(vat):
            messages.append(Message("VAT_FORMAT", rule, "Vat"))
    lang = given.get("lang")
    if lang and lang not in LANGUAGES:
        installed = ", ".join(sorted(LANGUAGES))
        messages.append(Message("LANG_NOT_INSTALLED", f"Installed languages: {installed}.", "Lang"))
    return messages


def invoice_channel(channel: str, recipient: str | None) -> list[Message]:
    if channel not in CHANNELS:
        text = f"Channels are {', '.join(sorted(CHANNELS))}."
        return [Message("CHANNEL_UNKNOWN", text, "InvoiceChannel")]
    if channel != "ebill":
        if recipient is None:
            return []
        text = "An eBill recipient ID goes only with the ebill channel."
        return [Message("EBILL_ID_NOT_ALLOWED", text, "EbillRecipientId")]
    if not recipient:
        text = "eBill delivery needs the recipient's eBill ID (from the eBill portal)."
        return [Message("EBILL_ID_REQUIRED", text, "EbillRecipientId")]
    if not EBILL_RECIPIENT.fullmatch(recipient):
        text = "eBill recipient IDs have 17 digits and start with 41."
        return [Message("EBILL_ID_FORMAT", text, "EbillRecipientId")]
    return []


def _required_and_limited(
    values: Mapping[str, str],
    elements: Mapping[str, str],
    limits: Mapping[str, int],
    optional: frozenset[str] | set[str] = frozenset(),
) -> list[Message]:
    messages: list[Message] = []
    for element, attribute in elements.items():
        value = values[attribute]
        if not value and element not in optional:
            messages.append(Message("FIELD_REQUIRED", f"{element} is required.", element))
        elif value and len(value) > limits.get(element, len(value)):
            text = f"{element} takes at most {limits[element]} characters."
            messages.append(Message("FIELD_TOO_LONG", text, element))
    return messages
