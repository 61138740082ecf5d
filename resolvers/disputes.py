"""Disputing an invoice (S7, S9): a billing ticket about the invoice, in the viewer's
language, with the customer's message as its description.

The invoice must be one of the organization's invoices the viewer may read (ERP); a cancelled
or reversed invoice, a credit note, and an invoice whose dispute is still open cannot be
disputed (again).
"""

from dataclasses import replace

from connectors.base import records as r
from resolvers import cases, tickets
from resolvers.context import Context
from resolvers.labels import LANGUAGES, language_of
from resolvers.sales_rules import problem, requester, restated, text_problems
from resolvers.ticket_writes import RELATED_CASE_ID, Outcome, send
from resolvers.writes import Problem

INVOICE_ID = ("input", "invoiceId")
MESSAGE = ("input", "message")
AS_DISPUTED: dict[tuple[str, ...], tuple[str, ...]] = {
    RELATED_CASE_ID: INVOICE_ID,
    ("input", "description"): MESSAGE,
}
"""Where the CRM's refusal of the ticket lands in the dispute's input."""
NOT_DISPUTABLE = frozenset({"CANCELLED", "REVERSED"})
SUBJECTS = ("Einwand zu Rechnung {number}: {reason}", "Contestation de la facture {number} : "
            "{reason}", "Contestazione della fattura {number}: {reason}",
            "Dispute of invoice {number}: {reason}")  # fmt: skip
REASONS: dict[str, tuple[str, str, str, str]] = {
    "WRONG_AMOUNT": ("Betrag falsch", "montant erroné", "importo errato", "wrong amount"),
    "NOT_DELIVERED": ("nicht geliefert", "non livré", "non consegnato", "not delivered"),
    "DEFECTIVE": ("mangelhafte Ware", "marchandise défectueuse", "merce difettosa",
                  "defective goods"),
    "DUPLICATE": ("doppelt verrechnet", "facturé deux fois", "fatturato due volte",
                  "billed twice"),
    "OTHER": ("anderer Grund", "autre motif", "altro motivo", "other reason"),
}  # fmt: skip
"""Dispute reason → its label in LANGUAGES order (de, fr, it, en)."""


def dispute_subject(locale: str, number: str, reason: str) -> str:
    language = LANGUAGES.index(language_of(locale))
    return SUBJECTS[language].format(number=number, reason=REASONS[reason][language])


async def dispute(
    ctx: Context, invoice_id: str | None, reason: str, message: str, readable: frozenset[str]
) -> Outcome:
    ref = r.CaseRef("INVOICE", invoice_id or "")
    invoice = await cases.case(ctx, ref, readable) if invoice_id else None
    found = await _invoice_problem(ctx, invoice if isinstance(invoice, r.Invoice) else None)
    problems = [*([found] if found else []), *text_problems(message, "message", required=True)]
    if problems or not isinstance(invoice, r.Invoice):
        return problems
    new = r.NewTicket(
        customer=ctx.tenant,
        subject=dispute_subject(ctx.locale, invoice.number, reason),
        description=message.strip(),
        category="billing",
        priority="HIGH",
        created_by=requester(ctx),
        related_case=ref,
    )
    return await send(ctx, ctx.writes.upstreams.tickets.create_ticket(new), restate=_as_disputed)


def _as_disputed(found: Problem) -> Problem:
    """A refusal of the ticket as a refusal of the dispute."""
    return restated(replace(found, field=AS_DISPUTED.get(found.field, found.field)))


async def _invoice_problem(ctx: Context, invoice: r.Invoice | None) -> Problem | None:
    if invoice is None:
        return problem(INVOICE_ID, "NOT_FOUND")
    if invoice.kind != "INVOICE" or invoice.status in NOT_DISPUTABLE:
        state = "a credit note" if invoice.kind != "INVOICE" else invoice.status
        return Problem(
            INVOICE_ID,
            "INVOICE_NOT_DISPUTABLE",
            f"Invoice {invoice.number} is {state}; it cannot be disputed.",
        )
    ref = r.CaseRef("INVOICE", invoice.id)
    for ticket in await tickets.all_tickets(ctx):
        if ticket.related_case == ref and ticket.status in tickets.OPEN_TICKET_STATES:
            return Problem(
                INVOICE_ID,
                "ALREADY_DISPUTED",
                f"Ticket {ticket.number} about invoice {invoice.number} is still open; write "
                "your message there.",
            )
    return None
