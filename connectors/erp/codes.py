"""The ERP's raw codes (Odoo's selection values) and what they mean in the portal's terms:
`Code` tables give the unified value and Odoo's English label, for `source_status`."""

Code = tuple[str, str]
"""A raw code's unified value and English label."""

CUSTOMER_KIND = {"company": "COMPANY", "person": "PERSON"}
CREDIT_STATUS = {"ok": "OK", "hold": "ON_HOLD", "blocked": "BLOCKED"}
CHANNEL = {"portal": "PORTAL", "email": "EMAIL_PDF", "ebill": "EBILL", "paper": "PAPER"}
ADDRESS_TYPE = {"invoice": "BILLING", "delivery": "SHIPPING", "contact": "POSTAL"}
APPROVAL_STATE = {"approved": "APPLIED", "pending": "PENDING_APPROVAL", "rejected": "REJECTED"}
QUOTE_STATE: dict[str, Code] = {
    "draft": ("DRAFT", "Quotation"),
    "sent": ("SENT", "Quotation Sent"),
    "sale": ("ACCEPTED", "Sales Order"),
    "cancel": ("CANCELLED", "Cancelled"),  # DECLINED when the customer gave a reason
}
ORDER_STATE = {"sale": "Sales Order", "cancel": "Cancelled"}
DELIVERY_STATUS: dict[str, Code] = {
    "pending": ("NOT_DELIVERED", "Not Delivered"),
    "started": ("NOT_DELIVERED", "Started"),
    "partial": ("PARTIALLY_DELIVERED", "Partially Delivered"),
    "full": ("DELIVERED", "Fully Delivered"),
    "none": ("NOT_APPLICABLE", "No Delivery"),
}
ORDER_INVOICE_STATUS: dict[str, Code] = {
    "no": ("NOTHING_TO_INVOICE", "Nothing to Invoice"),
    "to invoice": ("TO_INVOICE", "To Invoice"),
    "invoiced": ("INVOICED", "Fully Invoiced"),
    "upselling": ("INVOICED", "Upselling Opportunity"),
}
PICKING_STATE: dict[str, Code] = {
    "waiting": ("PLANNED", "Waiting"),
    "assigned": ("READY", "Ready"),
    "shipped": ("SHIPPED", "Shipped"),
    "done": ("DELIVERED", "Done"),
    "cancel": ("CANCELLED", "Cancelled"),
}
MOVE_STATE: dict[str, Code] = {
    "draft": ("DRAFT", "Draft"),
    "posted": ("", "Posted"),  # the payment state decides
    "cancel": ("CANCELLED", "Cancelled"),
}
PAYMENT_STATE: dict[str, Code] = {
    "not_paid": ("OPEN", "Not Paid"),
    "partial": ("PARTIALLY_PAID", "Partially Paid"),
    "in_payment": ("IN_PAYMENT", "In Payment"),
    "paid": ("PAID", "Paid"),
    "reversed": ("REVERSED", "Reversed"),
}
MOVE_TYPE = {"out_invoice": "INVOICE", "out_refund": "CREDIT_NOTE"}
REFUND_REASON = {
    "return": "RETURN",
    "price": "PRICE_CORRECTION",
    "duplicate": "DUPLICATE",
    "goodwill": "GOODWILL",
}
REFUND_SETTLEMENT = {
    "offset": "OFFSET_AGAINST_INVOICE",
    "refund": "REFUND",
    "credit": "CUSTOMER_CREDIT",
}
REFERENCE_TYPE = {"QRR": "QRR", "SCOR": "SCOR", "NON": "NON"}
LOCATION = {"onsite": "ONSITE", "online": "REMOTE", "provider": "PROVIDER_SITE"}
BOOKING_STATE: dict[str, Code] = {
    "request": ("REQUESTED", "Request"),
    "booked": ("CONFIRMED", "Booked"),
    "rescheduled": ("RESCHEDULED", "Rescheduled"),
    "cancelled": ("CANCELLED", "Cancelled"),
    "attended": ("COMPLETED", "Attended"),
    "no_show": ("NO_SHOW", "No Show"),
}

# -- writes ------------------------------------------------------------------------------

CHANNEL_CODE = {unified: code for code, unified in CHANNEL.items()}
ADDRESS_TYPE_CODE = {unified: code for code, unified in ADDRESS_TYPE.items()}
REFUSALS = {
    "CUSTOMER_UNKNOWN": "NOT_FOUND",
    "ADDRESS_UNKNOWN": "NOT_FOUND",
    "QUOTE_UNKNOWN": "NOT_FOUND",
    "ORDER_UNKNOWN": "NOT_FOUND",
    "FIELD_REQUIRED": "REQUIRED",
    "FIELD_TOO_LONG": "TOO_LONG",
    "TYPE_UNKNOWN": "INVALID",
    "COUNTRY_UNKNOWN": "INVALID_COUNTRY_CODE",
    "ZIP_FORMAT": "INVALID_POSTAL_CODE",
    "VAT_FORMAT": "INVALID_VAT_ID",
    "LANG_NOT_INSTALLED": "INVALID_LOCALE",
    "CHANNEL_UNKNOWN": "INVALID",
    "EBILL_ID_REQUIRED": "EBILL_RECIPIENT_REQUIRED",
    "EBILL_ID_FORMAT": "INVALID_EBILL_RECIPIENT_ID",
    "EBILL_ID_NOT_ALLOWED": "EBILL_RECIPIENT_NOT_ALLOWED",
    "CHANGE_PENDING": "CHANGE_REQUEST_PENDING",
    "IS_DEFAULT": "DEFAULT_ADDRESS",
    "LAST_INVOICE_ADDRESS": "LAST_BILLING_ADDRESS",
    "REQUEST_EMPTY": "EMPTY_REQUEST",
    "TOO_MANY_LINES": "TOO_MANY_LINES",
    "QUANTITY_INVALID": "INVALID_QUANTITY",
    "PRODUCT_UNKNOWN": "UNKNOWN_PRODUCT",
    "PRODUCT_DISCONTINUED": "PRODUCT_DISCONTINUED",
    "DATE_IN_PAST": "DATE_IN_PAST",
    "QUOTE_NOT_OPEN": "QUOTE_NOT_OPEN",
    "QUOTE_EXPIRED": "QUOTE_EXPIRED",
    "ORDER_CANCELLED": "ORDER_ALREADY_CANCELLED",
    "ORDER_SHIPPED": "ORDER_SHIPPED",
    "ORDER_INVOICED": "ORDER_INVOICED",
    "ORDER_LOCKED": "ORDER_LOCKED",
    "CUSTOMER_BLOCKED": "CUSTOMER_BLOCKED",
    "SLOT_UNKNOWN": "NOT_FOUND",
    "BOOKING_UNKNOWN": "NOT_FOUND",
    "SLOT_STARTED": "SLOT_IN_PAST",
    "SLOT_FULL": "SLOT_FULL",
    "TOO_MANY_ATTENDEES": "TOO_MANY_PARTICIPANTS",
    "ATTENDEE_INVALID": "INVALID",
    "OFFERING_MISMATCH": "OFFERING_MISMATCH",
    "SAME_SLOT": "SAME_SLOT",
    "BOOKING_CLOSED": "BOOKING_NOT_CHANGEABLE",
    "BOOKING_STARTED": "BOOKING_ALREADY_STARTED",
    "KEY_REUSED": "IDEMPOTENCY_KEY_REUSED",
}
"""The ERP's codes of a refused write (its `Return` lines of type E) → the portal's
user-error codes (any other: REFUSED)."""
CUSTOMER_FIELDS = {
    "Name": "legal_name",
    "Vat": "vat_id",
    "Lang": "default_locale",
    "InvoiceChannel": "channel",
    "EbillRecipientId": "ebill_recipient_id",
}
"""The request elements of a customer write → the fields they set, in the portal's terms."""
ADDRESS_FIELDS = {
    "AddressId": "address_id",
    "Type": "type",
    "Name": "name",
    "Street": "street",
    "HouseNumber": "house_number",
    "PostalCode": "postal_code",
    "City": "city",
    "Country": "country_code",
}
"""The request elements of an address write → the fields they set, in the portal's terms."""
SALES_FIELDS = {
    "QuoteId": "quote_id",
    "OrderId": "order_id",
    "SignedBy": "signer_name",
    "ClientOrderRef": "customer_reference",
    "Reason": "reason",
    "Note": "note",
    "CommitmentDate": "desired_date",
    "Line": "lines",
    "ProductCode": "product_code",
    "Quantity": "quantity",
}
"""The request elements of a sales write → the fields they come from, in the portal's terms
(RequestedBy is the viewer's name, no field of theirs)."""
BOOKING_FIELDS = {
    "SlotId": "slot_id",
    "BookingId": "booking_id",
    "Attendee": "participants",
    "Name": "name",
    "Email": "email",
    "Reason": "reason",
    "IdempotencyKey": "idempotency_key",
}
"""The request elements of a booking write → the fields they come from, in the portal's
terms (`Attendee[2]/Email` is `participants.1.email`)."""

ERASURE_CLASSES = {"PROFILE": "PARTNER", "SALES": "SALES", "INVOICES": "BILLING"}
"""The privacy categories the ERP holds → its object classes (EraseCustomerData)."""
