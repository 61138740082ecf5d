"""Personal recommendations (`viewer.recommendations`), only for viewers who granted the
PERSONALIZATION consent, in the viewer's language."""

from enum import Enum

import strawberry

from resolvers import recommendations as resolve
from resolvers.context import Context
from schema.common import Money, priced
from schema.invoices import Invoice
from schema.orders import Order

Info = strawberry.Info[Context, None]


@strawberry.enum(description="What a recommendation suggests.")
class RecommendationKind(Enum):
    REORDER = "REORDER"
    INVOICES_DUE = "INVOICES_DUE"


@strawberry.interface(description="A suggestion for the viewer, in their language.")
class Recommendation:
    kind: RecommendationKind = strawberry.field(description="What it suggests.")
    title: str = strawberry.field(description="A short heading.")
    message: str = strawberry.field(description="One sentence saying why.")


@strawberry.type(description="A product the organization orders often: order it again.")
class ReorderRecommendation(Recommendation):
    product_code: str = strawberry.field(description="The product's code.")
    description: str = strawberry.field(description="The product as last ordered.")
    times_ordered: int = strawberry.field(description="In how many recent orders it was.")
    last_order: Order = strawberry.field(
        description="The latest order with it; `reorder` takes its ID."
    )


@strawberry.type(description="Open invoices that fall due within the next 7 days.")
class InvoicesDueRecommendation(Recommendation):
    invoices: list[Invoice] = strawberry.field(description="Soonest due first.")
    totals: list[Money] | None = priced("The residual amounts due, one per currency.")


RECOMMENDATIONS = (ReorderRecommendation, InvoicesDueRecommendation)
"""The implementations of `Recommendation`, which the schema must be given."""


def recommendation_of(found: resolve.Recommendation, info: Info) -> Recommendation:
    locale = info.context.locale
    title, message = resolve.title(found, locale), resolve.message(found, locale)
    if isinstance(found, resolve.Reorder):
        return ReorderRecommendation(
            kind=RecommendationKind.REORDER,
            title=title,
            message=message,
            product_code=found.product_code,
            description=found.description,
            times_ordered=found.times_ordered,
            last_order=Order.of(found.last_order, info),
        )
    return InvoicesDueRecommendation(
        kind=RecommendationKind.INVOICES_DUE,
        title=title,
        message=message,
        invoices=[Invoice.of(invoice, info) for invoice in found.invoices],
        totals=[Money.of(total) for total in found.totals],
    )
