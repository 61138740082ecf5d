"""The deterministic seed of domain.md §7.

Every date is an offset from `now` (the sandbox's start, Europe/Zurich), so the demo always
looks current; `PORTALGRAPH_SANDBOX_NOW` pins it. IDs are stable. Tests compute their
expectations from this module, never from literals.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sandbox.history import closed_tickets
from sandbox.model import (
    CENT,
    Address,
    Attendee,
    Booking,
    Comment,
    ConsentRecord,
    Contact,
    Customer,
    Delivery,
    Document,
    DocumentVersion,
    Invoice,
    Line,
    Order,
    PaymentIntent,
    PrivacyRequestRecord,
    Product,
    Quote,
    Refund,
    RetentionHold,
    Seed,
    ServiceOffering,
    ServiceSlot,
    Ticket,
)
from sandbox.pdf import render_pdf
from sandbox.references import creditor_reference, qr_reference
from sandbox.retention import BOOKKEEPING_REASON, bookkeeping_until

ZURICH = ZoneInfo("Europe/Zurich")
VAT_RATE = {"CHF": Decimal("0.081"), "EUR": Decimal("0.19")}
MUSTER, LUMIERE, NORDLICHT, TICINO, SOPHIE = (
    "0000100001",
    "0000100002",
    "0000100003",
    "0000100004",
    "0000100005",
)
FILLER_ORDERS = 18
"""Historical, completed Muster orders (each with a paid invoice), so paging has pages."""
SLA_RESPONSE = timedelta(hours=4)
SLA_RESOLUTION = timedelta(days=2)
MAINTENANCE, TRAINING, ACCEPTANCE = "70000001", "70000002", "70000003"
"""The service offerings: on-site maintenance, an online course, an acceptance test in Biel."""
BOOKING_HORIZON_DAYS = 14
"""Maintenance slots are offered on the weekdays of this many days ahead."""


def parse_now(value: str | None) -> datetime:
    """`PORTALGRAPH_SANDBOX_NOW` (ISO 8601) or the current time, in Europe/Zurich."""
    if not value:
        return datetime.now(ZURICH).replace(microsecond=0)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZURICH)
    return parsed.astimezone(ZURICH)


def build_seed(now: datetime) -> Seed:
    seed = Seed(now=now)
    _Fixtures(seed).populate()
    return seed


def line_total(lines: list[Line]) -> Decimal:
    return sum((line.subtotal for line in lines), Decimal(0))


def vat(amount: Decimal, currency: str) -> Decimal:
    return (amount * VAT_RATE[currency]).quantize(CENT)


def dispute_reason(ticket_subject: str) -> str:
    """Why the CRM keeps the messages of an open dispute (a legal claim)."""
    return f"Part of an open dispute ({ticket_subject}), a legal claim: kept until it is settled."


def money(value: str) -> Decimal:
    return Decimal(value)


def minor(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


class _Fixtures:
    """Writes the fixtures into a Seed; one method per area."""

    def __init__(self, seed: Seed) -> None:
        self.seed = seed
        self.now = seed.now
        self.today = seed.now.date()

    def at(self, days: float = 0, hours: float = 0) -> datetime:
        return self.now + timedelta(days=days, hours=hours)

    def day(self, days: int) -> date:
        return self.today + timedelta(days=days)

    def populate(self) -> None:
        self.customers()
        self.contacts()
        self.products()
        self.quotes()
        self.orders()
        self.deliveries()
        self.invoices()
        self.payments()
        self.tickets()
        self.documents()
        self.consents()
        self.privacy_requests()
        self.bookings()

    # -- organizations -------------------------------------------------------------------

    def customers(self) -> None:
        self.seed.customers += [
            Customer(
                MUSTER,
                "company",
                "Muster Maschinenbau AG",
                "Industriestrasse",
                "12",
                "8400",
                "Winterthur",
                "CH",
                "de_CH",
                "CHF",
                "CHE-123.456.789 MWST",
                "ok",
                "portal",
                None,
                money("50000.00"),
                segment="key_account",
            ),
            Customer(
                LUMIERE,
                "company",
                "Lumière Services SA",
                "Avenue de la Gare",
                "5",
                "1003",
                "Lausanne",
                "CH",
                "fr_CH",
                "CHF",
                "CHE-234.567.890 TVA",
                "ok",
                "ebill",
                "41101000000123456",
                money("20000.00"),
                segment="sme",
            ),
            Customer(
                NORDLICHT,
                "company",
                "Nordlicht Handels GmbH",
                "Seestrasse",
                "8",
                "78462",
                "Konstanz",
                "DE",
                "de_DE",
                "EUR",
                "DE123456789",
                "hold",
                "email",
                None,
                money("10000.00"),
                segment="sme",
            ),
            Customer(
                TICINO,
                "company",
                "Logistica Ticino SA",
                "Via Nassa",
                "3",
                "6900",
                "Lugano",
                "CH",
                "it_CH",
                "CHF",
                "CHE-345.678.901 IVA",
                "ok",
                "portal",
                None,
                money("15000.00"),
                segment="sme",
            ),
            Customer(
                SOPHIE,
                "person",
                "Sophie Rossi",
                "Kramgasse",
                "10",
                "3011",
                "Bern",
                "CH",
                "de_CH",
                "CHF",
                None,
                "ok",
                "portal",
                None,
                money("2000.00"),
                segment="consumer",
            ),
        ]
        for index, customer in enumerate(self.seed.customers, start=1):
            self.seed.addresses.append(
                Address(
                    f"ADR-{index}01",
                    customer.number,
                    "invoice",
                    customer.name,
                    customer.street,
                    customer.house_number,
                    customer.postal_code,
                    customer.city,
                    customer.country,
                    True,
                )
            )
            self.seed.addresses.append(
                Address(
                    f"ADR-{index}02",
                    customer.number,
                    "delivery",
                    customer.name,
                    customer.street,
                    customer.house_number,
                    customer.postal_code,
                    customer.city,
                    customer.country,
                    True,
                )
            )
        self.seed.addresses.append(
            Address(
                "ADR-103",
                MUSTER,
                "delivery",
                "Muster Maschinenbau AG, Werk 2",
                "Zürcherstrasse",
                "250",
                "8406",
                "Winterthur",
                "CH",
                False,
            )
        )

    def contacts(self) -> None:
        self.seed.contacts += [
            Contact(
                "CT-1001",
                MUSTER,
                "Anna",
                "Keller",
                "anna.keller@muster-maschinenbau.ch",
                "+41 52 260 10 01",
                "Leiterin Einkauf",
            ),
            Contact(
                "CT-1002",
                MUSTER,
                "Daniel",
                "Huber",
                "daniel.huber@muster-maschinenbau.ch",
                "+41 52 260 10 02",
                "Buchhaltung",
            ),
            Contact(
                "CT-1003",
                MUSTER,
                "Carla",
                "Meier",
                "carla.meier@muster-maschinenbau.ch",
                "+41 52 260 10 03",
                "Konstruktion",
            ),
            Contact(
                "CT-2001",
                LUMIERE,
                "Luc",
                "Favre",
                "luc.favre@lumiere-services.ch",
                "+41 21 310 20 01",
                "Directeur",
            ),
            Contact(
                "CT-3001",
                NORDLICHT,
                "Jonas",
                "Weber",
                "jonas.weber@nordlicht-handel.de",
                "+49 7531 30 01",
                "Geschäftsführer",
            ),
            Contact(
                "CT-4001",
                TICINO,
                "Marco",
                "Bernasconi",
                "marco.bernasconi@logistica-ticino.ch",
                "+41 91 400 40 01",
                "Direttore",
            ),
            Contact(
                "CT-5001",
                SOPHIE,
                "Sophie",
                "Rossi",
                "sophie.rossi@example.ch",
                "+41 79 500 50 01",
                "Privatkundin",
            ),
        ]

    # -- quotes and orders ---------------------------------------------------------------

    def products(self) -> None:
        """The price list: the spindle has become dearer since the seeded orders (a reorder
        of them is quoted anew), the home care kit is no longer sold."""
        self.seed.products += [
            Product(
                "FR-200", "Fräsmodul FR-200", {"CHF": money("4800.00"), "EUR": money("4950.00")}
            ),
            Product("SP-15", "Spindel SP-15", {"CHF": money("680.00"), "EUR": money("700.00")}),
            Product(
                "SRV-INST",
                "Installation vor Ort (Stunden)",
                {"CHF": money("145.00"), "EUR": money("150.00")},
            ),
            Product("DR-08", "Dichtungsring DR-08", {"CHF": money("89.50"), "EUR": money("79.00")}),
            Product("KIT-HOME", "Pflegeset Heimgerät", {"CHF": money("149.00")}, sale_ok=False),
        ]

    @staticmethod
    def machine_lines() -> list[Line]:
        return [
            Line(10, "FR-200", "Fräsmodul FR-200", Decimal(2), money("4800.00")),
            Line(20, "SP-15", "Spindel SP-15", Decimal(4), money("650.00")),
            Line(30, "SRV-INST", "Installation vor Ort (Stunden)", Decimal(8), money("145.00")),
        ]

    @staticmethod
    def spare_lines(position_price: str = "89.50", quantity: int = 10) -> list[Line]:
        return [Line(10, "DR-08", "Dichtungsring DR-08", Decimal(quantity), money(position_price))]

    def quote(
        self,
        index: int,
        customer: str,
        state: str,
        created_days: int,
        valid_days: int,
        lines: list[Line],
        currency: str = "CHF",
        **extra: object,
    ) -> Quote:
        quote = Quote(
            id=f"{30000000 + index}",
            number=f"AN-2026-{index:04d}",
            customer=customer,
            state=state,
            created_at=self.at(-created_days),
            updated_at=self.at(-created_days + 1),
            validity_date=self.day(valid_days),
            currency=currency,
            lines=lines,
            **extra,  # type: ignore[arg-type]
        )
        self.seed.quotes.append(quote)
        return quote

    def quotes(self) -> None:
        self.quote(1, MUSTER, "draft", 1, 30, self.spare_lines())
        self.quote(2, MUSTER, "sent", 2, 14, self.machine_lines())
        self.quote(3, MUSTER, "sent", 29, 1, self.spare_lines("92.00", 40))
        self.quote(
            4,
            MUSTER,
            "sale",
            20,
            10,
            self.machine_lines(),
            signed_by="Anna Keller",
            signed_on=self.at(-12),
            order_id="10000001",
        )
        self.quote(
            5,
            MUSTER,
            "cancel",
            25,
            5,
            self.spare_lines("95.00", 20),
            decline_reason="Preis zu hoch, Alternativangebot erhalten",
        )
        self.quote(6, MUSTER, "sent", 45, -15, self.spare_lines("88.00", 15))
        self.quote(7, MUSTER, "sent", 10, 20, self.machine_lines())
        self.quote(8, MUSTER, "cancel", 40, -5, self.spare_lines(), cancelled_by_provider=True)
        self.quote(9, LUMIERE, "sent", 3, 27, self.spare_lines("89.50", 5))
        self.quote(10, NORDLICHT, "sent", 4, 26, self.spare_lines("79.00", 25), currency="EUR")

    def order(
        self,
        index: int,
        customer: str,
        ordered_days: int,
        lines: list[Line],
        delivery_status: str,
        invoice_status: str,
        state: str = "sale",
        locked: bool = False,
        currency: str = "CHF",
        **extra: object,
    ) -> Order:
        order = Order(
            id=f"{10000000 + index}",
            number=f"SO-2026-{index:04d}",
            customer=customer,
            state=state,
            delivery_status=delivery_status,
            invoice_status=invoice_status,
            locked=locked,
            client_order_ref=extra.pop("client_order_ref", f"PO-{4500 + index}"),  # type: ignore[arg-type]
            date_order=self.at(-ordered_days),
            commitment_date=self.day(-ordered_days + 21),
            updated_at=self.at(-ordered_days + min(ordered_days, 2) / 2),
            currency=currency,
            lines=lines,
            **extra,  # type: ignore[arg-type]
        )
        self.seed.orders.append(order)
        return order

    def orders(self) -> None:
        self.order(1, MUSTER, 12, self.machine_lines(), "pending", "no", quote_id="30000004")
        in_progress = self.machine_lines()
        for line in in_progress[:2]:
            line.qty_delivered = line.quantity
        self.order(2, MUSTER, 9, in_progress, "partial", "to invoice")
        delivered = self.spare_lines("89.50", 30)
        delivered[0].qty_delivered = delivered[0].quantity
        self.order(3, MUSTER, 6, delivered, "full", "to invoice")
        completed = self.spare_lines("89.50", 20)
        completed[0].qty_delivered = completed[0].qty_invoiced = completed[0].quantity
        self.order(4, MUSTER, 40, completed, "full", "invoiced", locked=True)
        self.order(
            5,
            NORDLICHT,
            5,
            self.spare_lines("79.00", 40),
            "pending",
            "no",
            currency="EUR",
            hold_reason="Kreditlimite überschritten",
        )
        self.order(6, MUSTER, 15, self.spare_lines("89.50", 5), "pending", "no", state="cancel")
        lumiere = self.spare_lines("89.50", 12)
        lumiere[0].qty_delivered = lumiere[0].qty_invoiced = lumiere[0].quantity
        self.order(7, LUMIERE, 30, lumiere, "full", "invoiced", locked=True)
        web = [Line(10, "KIT-HOME", "Pflegeset Heimgerät", Decimal(1), money("149.00"))]
        web[0].qty_delivered = web[0].qty_invoiced = web[0].quantity
        self.order(8, SOPHIE, 20, web, "full", "invoiced", locked=True, client_order_ref=None)
        self.order(9, TICINO, 3, self.spare_lines("89.50", 8), "pending", "no")
        for n in range(FILLER_ORDERS):
            lines = self.spare_lines("89.50", 2 + n)
            lines[0].qty_delivered = lines[0].qty_invoiced = lines[0].quantity
            self.order(20 + n, MUSTER, 60 + 7 * n, lines, "full", "invoiced", locked=True)

    def deliveries(self) -> None:
        def add(
            index: int,
            order: str,
            customer: str,
            state: str,
            shipped: float | None,
            delivered: float | None,
            lines: list[tuple[int, Decimal]],
            carrier: str | None = None,
            tracking: str | None = None,
        ) -> None:
            self.seed.deliveries.append(
                Delivery(
                    id=f"{80000000 + index}",
                    number=f"LS-2026-{index:04d}",
                    order_id=order,
                    customer=customer,
                    state=state,
                    scheduled_date=self.day(int(shipped) if shipped is not None else 5),
                    shipped_at=self.at(shipped) if shipped is not None else None,
                    delivered_at=self.at(delivered) if delivered is not None else None,
                    carrier=carrier,
                    tracking_ref=tracking,
                    lines=lines,
                )
            )

        add(
            1,
            "10000002",
            MUSTER,
            "shipped",
            -1,
            None,
            [(10, Decimal(2)), (20, Decimal(4))],
            "Swiss Post",
            "99.00.123456.12345678",
        )
        add(2, "10000002", MUSTER, "waiting", None, None, [(30, Decimal(8))])
        add(3, "10000003", MUSTER, "done", -4, -3, [(10, Decimal(30))], "Planzer", "PLZ-778812")
        add(
            4,
            "10000004",
            MUSTER,
            "done",
            -35,
            -34,
            [(10, Decimal(20))],
            "Swiss Post",
            "99.00.123456.22222222",
        )
        add(5, "10000007", LUMIERE, "done", -25, -24, [(10, Decimal(12))], "DHL", "JD0146000")
        add(
            6,
            "10000008",
            SOPHIE,
            "done",
            -18,
            -17,
            [(10, Decimal(1))],
            "Swiss Post",
            "99.00.123456.33333333",
        )

    # -- invoices ------------------------------------------------------------------------

    def invoice(
        self,
        index: int,
        customer: str,
        total_untaxed: Decimal,
        issued_days: int,
        due_days: int,
        payment_state: str,
        state: str = "posted",
        currency: str = "CHF",
        paid: Decimal | None = None,
        move_type: str = "out_invoice",
        reference_type: str = "QRR",
        **extra: object,
    ) -> Invoice:
        tax = vat(total_untaxed, currency)
        total = total_untaxed + tax
        if paid is None:
            paid = total if payment_state in {"paid", "reversed"} else Decimal(0)
        residual = Decimal(0) if state == "cancel" else total - paid
        invoice_id = f"{90000000 + index}"
        prefix = "GS" if move_type == "out_refund" else "RE"
        if reference_type == "QRR":
            reference = qr_reference(f"{int(customer)}{invoice_id}")
        elif reference_type == "SCOR":
            reference = creditor_reference(invoice_id)
        else:
            reference = ""
        invoice = Invoice(
            id=invoice_id,
            number=f"{prefix}-2026-{index:04d}",
            customer=customer,
            move_type=move_type,
            state=state,
            payment_state=payment_state,
            invoice_date=self.day(-issued_days),
            due_date=self.day(due_days),
            currency=currency,
            amount_untaxed=total_untaxed,
            amount_tax=tax,
            amount_total=total,
            amount_residual=residual,
            payment_reference=reference,
            reference_type=reference_type,
            updated_at=self.at(-min(issued_days, 1)),
            **extra,  # type: ignore[arg-type]
        )
        self.seed.invoices.append(invoice)
        return invoice

    def invoices(self) -> None:
        order4 = self.seed_order("10000004")
        self.invoice(1, MUSTER, line_total(order4.lines), 34, -4, "paid", order_id="10000004")
        self.invoice(2, MUSTER, money("1200.00"), 50, -20, "paid")  # QR bank transfer, no PSP
        partial = self.invoice(
            3, MUSTER, money("3237.74"), 40, -10, "partial", paid=money("2300.00")
        )
        assert partial.amount_residual == money("1200.00"), partial.amount_residual
        self.invoice(4, MUSTER, money("850.00"), 20, 10, "in_payment", paid=Decimal(0))
        self.invoice(5, MUSTER, money("2150.00"), 5, 25, "not_paid", order_id="10000002")
        self.invoice(6, MUSTER, money("640.00"), 27, 3, "not_paid")
        self.invoice(7, MUSTER, money("1780.00"), 45, -15, "not_paid", dunning_level=1)
        self.invoice(8, MUSTER, money("4200.00"), 75, -45, "not_paid", dunning_level=2)
        self.invoice(9, MUSTER, money("300.00"), 60, -30, "not_paid", state="cancel")
        reversed_invoice = self.invoice(10, MUSTER, money("990.00"), 50, -20, "reversed")
        self.invoice(
            11,
            MUSTER,
            money("990.00"),
            48,
            0,
            "paid",
            move_type="out_refund",
            reference_type="NON",
            refund_reason="return",
            refund_settlement="offset",
            reversed_invoice_id=reversed_invoice.id,
        )
        offset_target = self.invoice(
            12, MUSTER, money("1500.00"), 10, 20, "partial", paid=money("162.15")
        )
        self.invoice(
            13,
            MUSTER,
            money("150.00"),
            8,
            22,
            "paid",
            move_type="out_refund",
            reference_type="NON",
            refund_reason="price",
            refund_settlement="offset",
            reversed_invoice_id=offset_target.id,
        )
        self.invoice(
            14,
            MUSTER,
            money("100.00"),
            6,
            24,
            "not_paid",
            move_type="out_refund",
            reference_type="NON",
            refund_reason="goodwill",
            refund_settlement="refund",
            reversed_invoice_id="90000001",
        )
        self.invoice(
            15,
            NORDLICHT,
            money("2765.00"),
            12,
            18,
            "not_paid",
            currency="EUR",
            reference_type="SCOR",
            delivery_channel="email",
        )
        self.invoice(
            16,
            LUMIERE,
            money("1074.00"),
            24,
            6,
            "paid",
            order_id="10000007",
            delivery_channel="ebill",
        )
        self.invoice(17, LUMIERE, money("560.00"), 4, 26, "not_paid", delivery_channel="ebill")
        self.invoice(18, SOPHIE, money("149.00"), 17, 13, "paid", order_id="10000008")
        self.invoice(19, TICINO, money("0.00"), 2, 28, "not_paid", open_amount_qr=True)
        self.invoice(20, SOPHIE, money("89.00"), 3, 27, "not_paid", reference_type="NON")
        self.invoice(21, SOPHIE, money("249.00"), 130, -100, "paid")  # QR bank transfer
        for n in range(FILLER_ORDERS):
            order = self.seed_order(f"{10000020 + n}")
            issued = 58 + 7 * n
            self.invoice(
                40 + n,
                MUSTER,
                line_total(order.lines),
                issued,
                30 - issued,
                "paid",
                order_id=order.id,
            )

    def seed_order(self, order_id: str) -> Order:
        return next(order for order in self.seed.orders if order.id == order_id)

    def seed_invoice(self, invoice_id: str) -> Invoice:
        return next(invoice for invoice in self.seed.invoices if invoice.id == invoice_id)

    # -- payments ------------------------------------------------------------------------

    def payments(self) -> None:
        def add(
            name: str,
            customer: str,
            status: str,
            method: str,
            created: float,
            allocations: list[tuple[str, Decimal]],
            **extra: object,
        ) -> PaymentIntent:
            amounts = [(invoice, minor(amount)) for invoice, amount in allocations]
            currency = self.seed_invoice(allocations[0][0]).currency.lower()
            intent = PaymentIntent(
                id=f"pi_{name}",
                customer=customer,
                amount=sum(amount for _, amount in amounts),
                currency=currency,
                status=status,
                payment_method_type=method,
                created=self.at(created),
                allocations=amounts,
                **extra,  # type: ignore[arg-type]
            )
            self.seed.payment_intents.append(intent)
            return intent

        card = add(
            "3MusterCard0001",
            MUSTER,
            "succeeded",
            "card",
            -33,
            [("90000001", self.seed_invoice("90000001").amount_total)],
        )
        add("3MusterTwint001", MUSTER, "succeeded", "twint", -30, [("90000003", money("1300.00"))])
        add("3MusterTwint002", MUSTER, "succeeded", "twint", -20, [("90000003", money("1000.00"))])
        add(
            "3MusterPfin0001",
            MUSTER,
            "processing",
            "postfinance",
            -1,
            [("90000004", self.seed_invoice("90000004").amount_total)],
        )
        add(
            "3MusterFail0001",
            MUSTER,
            "requires_payment_method",
            "card",
            -10,
            [("90000007", self.seed_invoice("90000007").amount_total)],
            last_payment_error=("card_declined", "Your card was declined."),
        )
        add(
            "3Muster3ds00001",
            MUSTER,
            "requires_action",
            "card",
            -0.1,
            [("90000006", self.seed_invoice("90000006").amount_total)],
            next_action_url="https://hooks.stripe.test/3d_secure_2/authenticate/pi_3Muster3ds00001",
        )
        add(
            "3MusterMulti001",
            MUSTER,
            "processing",
            "card",
            -0.5,
            [("90000005", money("1000.00")), ("90000012", money("500.00"))],
        )
        lumiere = add(
            "3LumiereCard001",
            LUMIERE,
            "succeeded",
            "card",
            -5,
            [("90000016", self.seed_invoice("90000016").amount_total)],
            amount_refunded=5000,
        )
        add(
            "3SophieCard0001",
            SOPHIE,
            "succeeded",
            "card",
            -16,
            [("90000018", self.seed_invoice("90000018").amount_total)],
        )
        self.seed.refunds += [
            Refund(
                "re_3LumierePart01",
                lumiere.id,
                5000,
                "succeeded",
                "requested_by_customer",
                self.at(-3),
            ),
            Refund(
                "re_3MusterGood001",
                card.id,
                minor(self.seed_invoice("90000014").amount_total),
                "pending",
                "goodwill",
                self.at(-0.2),
            ),
        ]

    # -- tickets -------------------------------------------------------------------------

    def ticket(
        self,
        index: int,
        customer: str,
        subject: str,
        stage: str,
        priority: str,
        created_hours_ago: float,
        first_response_after_h: float | None = None,
        resolved_after_h: float | None = None,
        **extra: object,
    ) -> Ticket:
        created = self.at(hours=-created_hours_ago)
        ticket = Ticket(
            id=f"TCK-{1000 + index}",
            number=f"T-2026-{index:04d}",
            customer=customer,
            subject=subject,
            description=extra.pop("description", f"{subject}. Bitte um Rückmeldung."),  # type: ignore[arg-type]
            category=extra.pop("category", "general"),  # type: ignore[arg-type]
            priority=priority,
            stage=stage,
            channel=extra.pop("channel", "portal"),  # type: ignore[arg-type]
            created_by=extra.pop("created_by", "Anna Keller"),  # type: ignore[arg-type]
            assignee=extra.pop("assignee", "Sandra Brunner"),  # type: ignore[arg-type]
            created_at=created,
            updated_at=extra.pop("updated_at", created + timedelta(hours=1)),  # type: ignore[arg-type]
            sla_response_due=created + SLA_RESPONSE,
            sla_resolution_due=created + SLA_RESOLUTION,
            first_response_at=(
                created + timedelta(hours=first_response_after_h)
                if first_response_after_h is not None
                else None
            ),
            resolved_at=(
                created + timedelta(hours=resolved_after_h)
                if resolved_after_h is not None
                else None
            ),
            **extra,  # type: ignore[arg-type]
        )
        self.seed.tickets.append(ticket)
        return ticket

    def comment(
        self,
        ticket: Ticket,
        index: int,
        author: str,
        staff: bool,
        body: str,
        after_hours: float,
        internal: bool = False,
    ) -> None:
        self.seed.comments.append(
            Comment(
                f"{ticket.id}-C{index}",
                ticket.id,
                author,
                staff,
                body,
                ticket.created_at + timedelta(hours=after_hours),
                internal,
            )
        )

    def tickets(self) -> None:
        hours_at_risk = SLA_RESOLUTION.total_seconds() / 3600 * 0.85
        new = self.ticket(
            1, MUSTER, "Fräsmodul vibriert beim Anlauf", "new", "2", 1, category="technical"
        )
        self.comment(new, 1, "Anna Keller", False, "Die Vibration tritt nur kalt auf.", 0.5)
        risk = self.ticket(
            2,
            MUSTER,
            "Ersatzteil falsch geliefert",
            "in_progress",
            "2",
            hours_at_risk,
            2,
            related_type="order",
            related_id="10000002",
            updated_at=self.at(hours=-2),
        )
        self.comment(risk, 1, "Sandra Brunner", True, "Wir prüfen die Lieferung.", 2)
        self.comment(risk, 2, "Beat Frei", False, "Danke, wir warten auf Ersatz.", 3)
        waiting = self.ticket(
            3,
            MUSTER,
            "Zugang für neue Mitarbeiterin",
            "on_hold",
            "1",
            30,
            1,
            sla_paused_since=self.at(hours=-20),
        )
        self.comment(waiting, 1, "Sandra Brunner", True, "Bitte senden Sie uns die E-Mail.", 1)
        breached = self.ticket(
            4, MUSTER, "Maschine steht still", "in_progress", "3", 60, 5, category="technical"
        )
        self.comment(breached, 1, "Sandra Brunner", True, "Techniker ist eingeplant.", 5)
        resolved = self.ticket(5, MUSTER, "Rechnungskopie benötigt", "solved", "1", 50, 1, 20)
        self.comment(resolved, 1, "Sandra Brunner", True, "Die Kopie liegt im Portal.", 20)
        closed = self.ticket(6, MUSTER, "Schulungstermin", "closed", "1", 300, 2, 30, rating=5)
        self.comment(closed, 1, "Sandra Brunner", True, "Termin ist bestätigt.", 30)
        self.ticket(7, MUSTER, "Doppelte Anfrage", "cancelled", "0", 200, 3, 4)
        french = self.ticket(
            8,
            LUMIERE,
            "Question sur la facture eBill",
            "in_progress",
            "1",
            10,
            2,
            created_by="Luc Favre",
            description="La facture n'apparaît pas dans notre eBanking.",
        )
        self.comment(french, 1, "Sandra Brunner", True, "Nous vérifions l'envoi eBill.", 2)
        internal = self.ticket(9, MUSTER, "Reklamation Oberfläche", "in_progress", "2", 5, 1)
        self.comment(internal, 1, "Sandra Brunner", True, "Fotos erhalten, danke.", 1)
        self.comment(
            internal,
            2,
            "Sandra Brunner",
            True,
            "INTERN: Kulanz bis CHF 500 freigegeben, nicht dem Kunden nennen.",
            2,
            internal=True,
        )
        drawing = self.ticket(
            10,
            MUSTER,
            "Rückfrage zur Zeichnung Halterung",
            "in_progress",
            "1",
            8,
            2,
            created_by="Carla Meier",
            category="technical",
            related_type="order",
            related_id="10000002",
        )
        self.comment(drawing, 1, "Carla Meier", False, "Neue Version v1.1 hochgeladen.", 1)
        self.comment(drawing, 2, "Sandra Brunner", True, "Version 2.0 folgt.", 2)
        dispute = self.ticket(
            11,
            MUSTER,
            "Einwand zu Rechnung RE-2026-0008",
            "in_progress",
            "2",
            20,
            3,
            created_by="Daniel Huber",
            category="billing",
            related_type="invoice",
            related_id="90000008",
        )
        self.comment(dispute, 1, "Daniel Huber", False, "Position 20 wurde nie geliefert.", 0)
        self.ticket(12, NORDLICHT, "Kreditlimite erhöhen", "new", "1", 3, created_by="Jonas Weber")
        private = self.ticket(
            13,
            SOPHIE,
            "Ersatzfilter für das Pflegeset",
            "solved",
            "1",
            240,
            3,
            30,
            created_by="Sophie Rossi",
            related_type="order",
            related_id="10000008",
        )
        self.comment(private, 1, "Sophie Rossi", False, "Gibt es passende Ersatzfilter?", 0.5)
        self.comment(private, 2, "Sandra Brunner", True, "Ja, sie folgen mit der Post.", 3)
        self.case_messages()
        self.ticket_history()

    def case_messages(self) -> None:
        """Messages on ERP records (S9: on the case instead of e-mail), kept by the CRM."""
        order = self.seed_order("10000002")
        for index, (author, staff, body, hours) in enumerate(
            [
                ("Beat Frei", False, "Wann kommt die dritte Position?", 6.0),
                ("Sandra Brunner", True, "Die Position 30 liefern wir nächste Woche.", 8.0),
            ],
            start=1,
        ):
            self.seed.comments.append(
                Comment(
                    f"ORDER-{order.id}-C{index}",
                    order.id,
                    author,
                    staff,
                    body,
                    order.date_order + timedelta(hours=hours),
                    subject_type="order",
                )
            )

    def ticket_history(self) -> None:
        """The closed tickets behind the SLA report (`sandbox.history`)."""
        for n, closed in enumerate(closed_tickets(self.now, SLA_RESOLUTION / timedelta(hours=1))):
            resolved = closed.created_at + timedelta(hours=closed.resolved_after_h)
            self.ticket(
                100 + n,
                closed.customer,
                closed.subject,
                "closed",
                closed.priority,
                (self.now - closed.created_at) / timedelta(hours=1),
                closed.first_response_after_h,
                closed.resolved_after_h,
                created_by=closed.created_by,
                updated_at=resolved,
            )

    # -- documents -----------------------------------------------------------------------

    def version(
        self,
        doc_id: str,
        n: int,
        label: str,
        title: str,
        created_by: str,
        created_days: float,
        comment: str = "",
        mime: str = "application/pdf",
        thumbnail: str = "ready",
        content: bytes | None = None,
    ) -> DocumentVersion:
        created = self.at(created_days)
        extension = {
            "application/pdf": "pdf",
            "image/svg+xml": "svg",
            "application/xml": "xml",
            "image/vnd.dwg": "dwg",
        }[mime]
        if content is None:
            content = self.content(mime, f"{title} ({label})", comment)
        return DocumentVersion(
            id=f"{doc_id}-v{n}",
            label=label,
            is_major=label.endswith(".0"),
            comment=comment,
            created_by=created_by,
            created_at=created,
            mime_type=mime,
            filename=f"{title.replace(' ', '_')}_{label}.{extension}",
            content=content,
            thumbnail=thumbnail,
        )

    def content(self, mime: str, title: str, comment: str) -> bytes:
        if mime == "application/pdf":
            created = datetime.combine(self.today, time(8), ZURICH)
            return render_pdf(title, [comment], created)
        if mime == "image/svg+xml":
            return (
                '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="105mm">'
                f"<text x='10' y='20'>{title}</text></svg>"
            ).encode()
        if mime == "application/xml":
            return f"<Invoice><Title>{title}</Title></Invoice>".encode()
        return b"AC1032" + title.encode()  # a DWG file starts with its version magic

    def document(
        self,
        index: int,
        title: str,
        doc_type: str,
        audience: str,
        references: list[tuple[str, str]],
        versions: list[tuple[str, str, float, str]],
        customer: str = MUSTER,
        uploaded_by: str = "provider",
        tags: list[str] | None = None,
        mime: str = "application/pdf",
        thumbnail: str = "ready",
        deleted: bool = False,
    ) -> Document:
        doc_id = f"doc-{index:04d}"
        document = Document(
            id=doc_id,
            customer=customer,
            title=title,
            doc_type=doc_type,
            audience=audience,
            tags=tags or [],
            uploaded_by=uploaded_by,
            references=references,
            versions=[
                self.version(doc_id, n, label, title, author, created, comment, mime, thumbnail)
                for n, (label, author, created, comment) in enumerate(versions, start=1)
            ],
            deleted=deleted,
        )
        self.seed.documents.append(document)
        return document

    def documents(self) -> None:
        provider = "Beispiel Lieferant AG"
        self.document(
            1,
            "Zeichnung Halterung H-12",
            "technical",
            "technical",
            [("order", "10000002"), ("ticket", "TCK-1010")],
            [
                ("1.0", provider, -20, "Erstausgabe"),
                ("1.1", "Carla Meier", -1, "Bohrung angepasst"),
                ("2.0", provider, -0.2, "Freigegeben für Fertigung"),
            ],
            uploaded_by="customer",
            tags=["zeichnung", "halterung"],
        )
        self.document(
            2,
            "Auftragsbestätigung SO-2026-0001",
            "order_confirmation",
            "commercial",
            [("order", "10000001")],
            [("1.0", provider, -12, "")],
        )
        self.document(
            3,
            "Auftragsbestätigung SO-2026-0002",
            "order_confirmation",
            "commercial",
            [("order", "10000002")],
            [("1.0", provider, -9, "")],
        )
        self.document(
            4,
            "Lieferschein LS-2026-0001",
            "delivery_note",
            "commercial",
            [("order", "10000002"), ("delivery", "80000001")],
            [("1.0", provider, -1, "")],
        )
        self.document(
            5,
            "Lieferschein LS-2026-0005 (unterschrieben)",
            "delivery_note",
            "commercial",
            [("order", "10000007"), ("delivery", "80000005")],
            [("1.0", provider, -24, "Scan mit Unterschrift")],
            customer=LUMIERE,
            tags=["proof-of-delivery"],
        )
        for invoice in self.seed.invoices:
            if invoice.state == "draft":
                continue
            kind = "credit_note" if invoice.move_type == "out_refund" else "invoice"
            self.document(
                100 + int(invoice.id) % 1000,
                f"{'Gutschrift' if kind == 'credit_note' else 'Rechnung'} {invoice.number}",
                kind,
                "financial",
                [("invoice", invoice.id)],
                [("1.0", provider, (invoice.invoice_date - self.today).days, "")],
                customer=invoice.customer,
            )
        self.document(
            6,
            "QR-Rechnung RE-2026-0005",
            "invoice",
            "financial",
            [("invoice", "90000005")],
            [("1.0", provider, -5, "")],
            mime="image/svg+xml",
            tags=["qr-bill"],
        )
        self.document(
            7,
            "E-Rechnung RE-2026-0005",
            "invoice",
            "financial",
            [("invoice", "90000005")],
            [("1.0", provider, -5, "")],
            mime="application/xml",
            thumbnail="unavailable",
            tags=["e-invoice"],
        )
        self.document(
            8,
            "Rahmenvertrag 2026",
            "contract",
            "contract",
            [],
            [("1.0", provider, -90, "Unterzeichnet")],
        )
        self.document(
            9,
            "Preisanhang Rahmenvertrag",
            "other",
            "financial",
            [],
            [("1.0", provider, -90, "")],
            tags=["preise"],
        )
        self.document(
            10,
            "CAD-Modell Halterung",
            "technical",
            "technical",
            [("order", "10000002")],
            [("1.0", "Carla Meier", -3, "")],
            uploaded_by="customer",
            mime="image/vnd.dwg",
            thumbnail="unavailable",
        )
        self.document(
            11,
            "Veraltete Preisliste",
            "other",
            "commercial",
            [],
            [("1.0", provider, -200, "")],
            deleted=True,
        )
        self.document(
            12,
            "Offerte AN-2026-0007",
            "quote",
            "commercial",
            [("quote", "30000007")],
            [("1.0", provider, -10, "Erstangebot"), ("2.0", provider, -4, "Preise angepasst")],
        )
        self.document(
            13,
            "Offerte AN-2026-0002",
            "quote",
            "commercial",
            [("quote", "30000002")],
            [("1.0", provider, -2, "")],
        )
        self.document(
            14,
            "Documentation technique",
            "certificate",
            "technical",
            [("order", "10000007")],
            [("1.0", provider, -24, "")],
            customer=LUMIERE,
        )

    # -- consents (CRM) --------------------------------------------------------------------

    def consents(self) -> None:
        """Sophie: marketing e-mails granted on text v1, again on v2; analytics granted, then
        revoked. Anna: personalization granted."""
        sophie, anna = "sophie.rossi@example.ch", "anna.keller@muster-maschinenbau.ch"
        decisions = [
            (SOPHIE, sophie, "marketing_email", True, "v1", -300),
            (SOPHIE, sophie, "analytics", True, "v1", -300),
            (SOPHIE, sophie, "marketing_email", True, "v2", -120),
            (SOPHIE, sophie, "analytics", False, "v1", -30),
            (MUSTER, anna, "personalization", True, "v1", -60),
        ]
        for n, (company, email, purpose, granted, version, days) in enumerate(decisions, 1):
            self.seed.consents.append(
                ConsentRecord(
                    f"CNS-{n:04d}", company, email, purpose, granted, version, self.at(days)
                )
            )

    # -- privacy requests (CRM) ------------------------------------------------------------

    def privacy_requests(self) -> None:
        """Sophie: an export completed ten days ago (its download still open), and an erasure
        of her invoices two days ago that the ERP refused for all three (bookkeeping records).
        Daniel: an erasure of his messages, one of them kept as part of an open dispute."""
        sophie = "sophie.rossi@example.ch"
        every = ["profile", "sales", "invoices", "payments", "support", "documents",
                 "consents", "account"]  # fmt: skip
        exported = self.at(-10)
        self.seed.privacy_requests.append(
            PrivacyRequestRecord(
                "PRQ-0001", SOPHIE, sophie, None, "export", "completed", every, exported,
                exported + timedelta(minutes=2), exported + timedelta(minutes=2), self.at(20),
                dict.fromkeys(("erp", "crm", "dms", "payments", "idp"), "done"),
            )
        )  # fmt: skip
        kept = [i for i in self.seed.invoices if i.customer == SOPHIE]
        erased = self.at(-2)
        self.seed.privacy_requests.append(
            PrivacyRequestRecord(
                "PRQ-0002", SOPHIE, sophie, None, "erasure", "partially_completed",
                ["invoices"], erased, erased + timedelta(hours=1),
                erased + timedelta(hours=1), None, {"erp": "held"},
                [
                    RetentionHold("erp", "invoice", i.id, BOOKKEEPING_REASON,
                                  bookkeeping_until(i.invoice_date))
                    for i in kept
                ],
            )
        )  # fmt: skip
        dispute = next(t for t in self.seed.tickets if t.related_id == "90000008")
        [message] = [c for c in self.seed.comments if c.subject_id == dispute.id]
        asked = self.at(-1)
        self.seed.privacy_requests.append(
            PrivacyRequestRecord(
                "PRQ-0003", MUSTER, "daniel.huber@muster-maschinenbau.ch", None, "erasure",
                "partially_completed", ["support"], asked, asked + timedelta(minutes=30),
                asked + timedelta(minutes=30), None, {"crm": "held"},
                [RetentionHold("crm", "comment", message.id, dispute_reason(dispute.subject))],
            )
        )  # fmt: skip

    # -- bookings ------------------------------------------------------------------------

    def slot(self, offering: ServiceOffering, days: int, hour: int) -> ServiceSlot:
        start = datetime.combine(self.day(days), time(hour), ZURICH)
        slot = ServiceSlot(
            id=f"{71000001 + len(self.seed.slots)}",
            offering_id=offering.id,
            start=start,
            end=start + timedelta(minutes=offering.duration_minutes),
            capacity=offering.capacity,
        )
        self.seed.slots.append(slot)
        return slot

    def booking(
        self,
        customer: str,
        slot: ServiceSlot,
        state: str,
        attendees: list[Attendee],
        created_days: int,
        **extra: object,
    ) -> Booking:
        index = len(self.seed.bookings) + 1
        booking = Booking(
            id=f"{72000000 + index}",
            number=f"BU-2026-{index:04d}",
            customer=customer,
            offering_id=slot.offering_id,
            slot_id=slot.id,
            state=state,
            attendees=attendees,
            created_at=self.at(-created_days),
            updated_at=self.at(-created_days + 1),
            **extra,  # type: ignore[arg-type]
        )
        self.seed.bookings.append(booking)
        return booking

    def bookings(self) -> None:
        def prices(chf: str, eur: str) -> dict[str, Decimal]:
            return {"CHF": money(chf), "EUR": money(eur)}

        maintenance = ServiceOffering(
            MAINTENANCE, "Wartung vor Ort", 120, "onsite", prices("380.00", "400.00"),
            capacity=1, manage_capacity=False, max_attendees=3, auto_confirm=False,
        )  # fmt: skip
        training = ServiceOffering(
            TRAINING, "Online-Schulung", 90, "online", prices("250.00", "260.00"),
            capacity=8, manage_capacity=True, max_attendees=8, auto_confirm=True,
        )  # fmt: skip
        acceptance = ServiceOffering(
            ACCEPTANCE, "Maschinenabnahme im Werk", 240, "provider", prices("1200.00", "1250.00"),
            capacity=1, manage_capacity=False, max_attendees=6, auto_confirm=False,
        )  # fmt: skip
        self.seed.offerings += [maintenance, training, acceptance]
        weekdays = [
            days
            for days in range(1, BOOKING_HORIZON_DAYS + 1)
            if self.day(days).weekday() < 5  # Monday to Friday
        ]
        past_visit = self.slot(maintenance, -20, 8)
        visits = [self.slot(maintenance, days, hour) for days in weekdays for hour in (8, 13)]
        thursday = (3 - self.today.weekday()) % 7 or 7  # the next course, never today
        past_course = self.slot(training, thursday - 14, 14)
        courses = [self.slot(training, thursday + 7 * week, 14) for week in range(4)]
        tests = [self.slot(acceptance, days, 9) for days in weekdays[4::3]]

        beat = Attendee("Beat Frei", "beat.frei@muster-maschinenbau.ch")
        anna = Attendee("Anna Keller", "anna.keller@muster-maschinenbau.ch")
        carla = Attendee("Carla Meier", "carla.meier@muster-maschinenbau.ch")
        self.booking(MUSTER, visits[2], "booked", [beat], 3, order_id="10000002")
        self.booking(
            MUSTER, visits[7], "cancelled", [anna], 5,
            cancel_reason="Maschine noch nicht geliefert",
        )  # fmt: skip
        self.booking(MUSTER, past_visit, "attended", [beat], 30, order_id="10000004")
        self.booking(MUSTER, courses[0], "booked", [carla, beat], 8)
        self.booking(MUSTER, past_course, "attended", [carla], 12)
        self.booking(MUSTER, tests[0], "request", [anna, beat], 1, order_id="10000001")
        self.booking(
            LUMIERE, courses[0], "booked",
            [Attendee("Luc Favre", "luc.favre@lumiere-services.ch"),
             Attendee("Chloé Roux"), Attendee("Julien Morel")],
            6,
        )  # fmt: skip
        self.booking(
            TICINO, courses[0], "booked",
            [Attendee("Marco Bernasconi", "marco.bernasconi@logistica-ticino.ch"),
             Attendee("Giulia Rossi")],
            4,
        )  # fmt: skip
