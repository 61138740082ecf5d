"""The ERP's raw codes (Odoo's selection values) and what they mean in the portal's terms:
`Code` tables give the unified value and Odoo's English label, for `source_status`."""

Code = tuple[str, str]
"""A raw code's unified value and English label."""

CUSTOMER_KIND = {"company": "COMPANY", "person": "PERSON"}
CREDIT_STATUS = {"ok": "OK", "hold": "ON_HOLD", "blocked": "BLOCKED"}
CHANNEL = {"portal": "PORTAL", "email": "EMAIL_PDF", "ebill": "EBILL", "paper": "PAPER"}
ADDRESS_TYPE = {"invoice": "BILLING", "delivery": "SHIPPING", "contact": "POSTAL"}
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
