// An invoice: amounts and dates, the Swiss QR-bill (its SVG and PDF are signed links that need
// the bearer token, so they are fetched and shown through object URLs), and paying the rest
// by card (createPaymentSession; the payment provider's page takes over from there).

import { download, fileUrl, graphql, graphqlData } from "../api.js";
import { badge, errorNotice, h, link, problemNotice, userErrorList } from "../dom.js";
import { date, money } from "../locale.js";

const INVOICE = `query Invoice($id: ID!) {
  invoice(id: $id) {
    id number kind status statusLabel issuedAt dueDate isOverdue daysOverdue
    total { amount currencyCode } amountPaid { amount currencyCode }
    amountResidual { amount currencyCode } paymentReference
    qrBill { svgUrl pdfUrl reference amount { amount currencyCode } language }
  }
}`;
const PAY = `mutation Pay($input: CreatePaymentSessionInput!) {
  createPaymentSession(input: $input) {
    payment { id status statusLabel amount { amount currencyCode } nextAction { redirectUrl } }
    userErrors { field code message }
  }
}`;
const PAYABLE = ["OPEN", "PARTIALLY_PAID"];

export async function show(main, { params: [id], viewer }) {
  const { data, errors } = await graphql(INVOICE, { id });
  const invoice = data?.invoice;
  if (!invoice) {
    main.replaceChildren(h("h1", {}, "Invoice not found"), problemNotice(errors), link("/cases?type=INVOICE", "All invoices"));
    return undefined;
  }
  const qrArea = h("div", { id: "qr-bill-area" });
  const payArea = h("div", { id: "pay-area", "aria-live": "polite" });
  const canPay = PAYABLE.includes(invoice.status) && viewer.permissions.includes("payments:write");
  main.replaceChildren(
    h("h1", {}, `Invoice ${invoice.number}`),
    problemNotice(errors),
    h("section", { class: "card" },
      h("p", {}, invoice.isOverdue ? badge(`Overdue ${invoice.daysOverdue} days`, "OVERDUE") : badge(invoice.statusLabel, invoice.status)),
      h("dl", { class: "figures" },
        h("div", {}, h("dt", {}, "Issued"), h("dd", {}, date(invoice.issuedAt))),
        h("div", {}, h("dt", {}, "Due"), h("dd", {}, date(invoice.dueDate))),
        h("div", {}, h("dt", {}, "Total"), h("dd", {}, money(invoice.total))),
        h("div", {}, h("dt", {}, "Paid"), h("dd", {}, money(invoice.amountPaid))),
        h("div", {}, h("dt", {}, "To pay"), h("dd", {}, money(invoice.amountResidual)))),
      h("div", { class: "actions" },
        invoice.qrBill && h("button", { type: "button", onclick: (e) => showQrBill(e.currentTarget, invoice, qrArea) }, "Show QR-bill"),
        invoice.qrBill && h("button", { type: "button", class: "secondary", onclick: () => download(invoice.qrBill.pdfUrl, `${invoice.number}-qr-bill.pdf`) }, "Download QR-bill PDF"),
        canPay && h("button", { type: "button", onclick: (e) => pay(e.currentTarget, invoice, payArea) }, `Pay ${money(invoice.amountResidual)} by card`)),
      payArea),
    qrArea,
  );
  return undefined;
}

async function showQrBill(button, invoice, area) {
  button.disabled = true;
  try {
    const src = await fileUrl(invoice.qrBill.svgUrl);
    area.replaceChildren(h("section", { class: "card", "aria-labelledby": "qr-title" },
      h("h2", { id: "qr-title" }, "QR-bill"),
      h("img", { class: "qr-bill", id: "qr-bill", src, alt: `Swiss QR-bill payment part for invoice ${invoice.number}, reference ${invoice.qrBill.reference ?? "none"}` }),
      h("p", { class: "muted" }, "Scan the QR code with your banking app.")));
  } catch (error) {
    area.replaceChildren(errorNotice(error));
  } finally {
    button.disabled = false;
  }
}

async function pay(button, invoice, area) {
  button.disabled = true;
  try {
    const { createPaymentSession: result } = await graphqlData(PAY, {
      input: {
        allocations: [{ invoiceId: invoice.id, amount: invoice.amountResidual }],
        method: "CARD",
        returnUrl: location.href,
        idempotencyKey: crypto.randomUUID(),
      },
    });
    const payment = result.payment;
    area.replaceChildren(
      userErrorList(result.userErrors),
      payment ? h("p", { id: "payment" }, `Payment of ${money(payment.amount)}: `, badge(payment.statusLabel, payment.status), " ",
        payment.nextAction && h("a", { class: "button", href: payment.nextAction.redirectUrl }, "Continue to the payment page")) : "");
  } catch (error) {
    area.replaceChildren(errorNotice(error));
  } finally {
    button.disabled = false;
  }
}
