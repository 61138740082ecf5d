"""The rules of the quote and order mutations as user errors, whichever side finds a broken
one: the gateway checks what it can before it writes (texts, quantities, the quote's state as
it reads it), the ERP checks everything again when it writes and refuses, which
`write_through` turns into problems. `restated` words those in the gateway's own messages, so
that a rule reads the same whoever finds it broken; only a rule the gateway has no words for
keeps the ERP's text.
"""

from resolvers.context import Context
from resolvers.writes import Problem

INPUT = ("input",)
MESSAGES = {
    "NOT_FOUND": "No {what} with this ID exists.",
    "REQUIRED": "Please fill this in.",
    "TOO_LONG": "Use at most {limit} characters.",
    "EMPTY_REQUEST": "Name at least one product or describe what you need.",
    "TOO_MANY_LINES": "Ask for at most {limit} products at once.",
    "INVALID_QUANTITY": "The quantity must be positive, with at most three decimals.",
    "UNKNOWN_PRODUCT": "No product with this article number is for sale.",
    "PRODUCT_DISCONTINUED": "A product is no longer sold; ask for a quote for a replacement.",
    "DATE_IN_PAST": "The desired date must not be in the past.",
    "QUOTE_NOT_OPEN": "Only a sent quote can be accepted or declined; this one is {status}.",
    "QUOTE_EXPIRED": "This quote expired; ask for a new one.",
    "ORDER_ALREADY_CANCELLED": "This order is cancelled already.",
    "CUSTOMER_BLOCKED": "Your organization cannot place orders now; please contact us.",
}
LIMITS = {"signerName": 100, "customerReference": 35, "note": 2000, "reason": 1000,
          "lines": 100}  # fmt: skip
"""What the ERP accepts (its SAP-style purchase order number has 35 characters)."""
SUBJECTS = {"quoteId": "quote", "orderId": "order"}
"""What the ID in an input field names, for NOT_FOUND."""


def problem(path: tuple[str, ...], code: str, status: str = "no longer open") -> Problem:
    """The problem `code` on `path`; `status` is the state a quote is in."""
    what = SUBJECTS.get(path[-1], "object")
    limit = LIMITS.get(path[-1], "")
    return Problem(path, code, MESSAGES[code].format(what=what, status=status, limit=limit))


def restated(found: Problem) -> Problem:
    """A problem the ERP found, in the gateway's words where it has them."""
    if found.code not in MESSAGES or (found.code == "TOO_LONG" and found.field[-1] not in LIMITS):
        return found
    return problem(found.field, found.code)


def text_problems(value: str | None, name: str, required: bool = False) -> list[Problem]:
    """A text input's problems: missing (only spaces) or longer than the ERP takes."""
    path = (*INPUT, name)
    if value is None or not value.strip():
        return [problem(path, "REQUIRED")] if required else []
    return [problem(path, "TOO_LONG")] if len(value) > LIMITS[name] else []


def requester(ctx: Context) -> str:
    """Who the ERP and the CRM record as having asked: the viewer's name."""
    principal = ctx.principal
    return principal.display_name if principal is not None else ctx.tenant
