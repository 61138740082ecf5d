"""The rules of the quote and order mutations as user errors, whichever side finds a broken
one: the gateway checks what it can before it writes (texts, quantities, the quote's state as
it reads it), the ERP checks everything again when it writes and refuses by naming its rules
(`UpstreamRefused`). Both come out as the same code and message, on the mutation's input
field; the ERP's own texts stay in the logs.
"""

import re
from collections.abc import Awaitable, Mapping
from typing import TypeVar

from connectors.base.errors import Refusal, UpstreamError, UpstreamRefused
from resolvers.context import Context
from resolvers.errors import client_failure
from resolvers.writes import Problem

T = TypeVar("T")

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
    "REFUSED": "The ERP refused this change ({rule}).",
}
RULES = {
    "QUOTE_UNKNOWN": "NOT_FOUND",
    "ORDER_UNKNOWN": "NOT_FOUND",
    "FIELD_REQUIRED": "REQUIRED",
    "FIELD_TOO_LONG": "TOO_LONG",
    "REQUEST_EMPTY": "EMPTY_REQUEST",
    "TOO_MANY_LINES": "TOO_MANY_LINES",
    "QUANTITY_INVALID": "INVALID_QUANTITY",
    "PRODUCT_UNKNOWN": "UNKNOWN_PRODUCT",
    "PRODUCT_DISCONTINUED": "PRODUCT_DISCONTINUED",
    "DATE_IN_PAST": "DATE_IN_PAST",
    "QUOTE_NOT_OPEN": "QUOTE_NOT_OPEN",
    "QUOTE_EXPIRED": "QUOTE_EXPIRED",
    "ORDER_CANCELLED": "ORDER_ALREADY_CANCELLED",
    "CUSTOMER_BLOCKED": "CUSTOMER_BLOCKED",
}
"""The ERP's rules → the gateway's codes."""
UNKNOWN = {"QUOTE_UNKNOWN": "quote", "ORDER_UNKNOWN": "order"}
LIMITS = {"signerName": 100, "customerReference": 35, "note": 2000, "reason": 1000,
          "lines": 100}  # fmt: skip
"""What the ERP accepts (its SAP-style purchase order number has 35 characters)."""
LINE_FIELD = re.compile(r"Line\[(\d+)\](?:/(\w+))?")


def problem(
    path: tuple[str, ...], code: str, what: str = "object", status: str = "no longer open"
) -> Problem:
    """The problem `code` on `path`; `what` names the object a NOT_FOUND is about, `status`
    the state a quote is in."""
    limit = LIMITS.get(path[-1], "")
    return Problem(path, code, MESSAGES[code].format(what=what, status=status, limit=limit))


def text_problems(value: str | None, name: str, required: bool = False) -> list[Problem]:
    """A text input's problems: missing (only spaces) or longer than the ERP takes."""
    path = (*INPUT, name)
    if value is None or not value.strip():
        return [problem(path, "REQUIRED")] if required else []
    return [problem(path, "TOO_LONG")] if len(value) > LIMITS[name] else []


async def written(write: Awaitable[T], fields: Mapping[str, str]) -> T | list[Problem]:
    """The result of a write to the ERP, or its refusal as problems (see `refusal_problems`);
    any other failure is the client's top-level upstream error."""
    try:
        return await write
    except UpstreamRefused as refused:
        return refusal_problems(refused, fields)
    except UpstreamError as error:
        raise client_failure(error) from error


def requester(ctx: Context) -> str:
    """Who the ERP and the CRM record as having asked: the viewer's name."""
    principal = ctx.principal
    return principal.display_name if principal is not None else ctx.tenant


def refusal_problems(refused: UpstreamRefused, fields: Mapping[str, str]) -> list[Problem]:
    """The ERP's refusal as problems; `fields` names the input field of each request field
    the ERP may name (`QuoteId` → `quoteId`); a line's fields are `lines.<index>.<field>`."""
    return [refusal_problem(refusal, fields) for refusal in refused.refusals]


def refusal_problem(refusal: Refusal, fields: Mapping[str, str]) -> Problem:
    """One refused rule as a problem (REFUSED for a rule the gateway does not know)."""
    path = _input_path(refusal.field, fields)
    code = RULES.get(refusal.rule)
    if code is None:
        return Problem(path, "REFUSED", MESSAGES["REFUSED"].format(rule=refusal.rule))
    return problem(path, code, what=UNKNOWN.get(refusal.rule, "object"))


def _input_path(erp_field: str | None, fields: Mapping[str, str]) -> tuple[str, ...]:
    if erp_field is None:
        return INPUT
    line = LINE_FIELD.fullmatch(erp_field)
    if line is not None:
        inner = fields.get(line[2]) if line[2] else None
        return (*INPUT, "lines", str(int(line[1]) - 1), *([inner] if inner else []))
    return (*INPUT, fields[erp_field]) if erp_field in fields else INPUT
