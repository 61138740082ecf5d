// The dashboard: what is owed, open invoices, recent orders and open tickets. Each widget is
// asked for only when the viewer's permissions allow it, all in one request; a widget whose
// system is down shows as missing while the others show.

import { graphql } from "../api.js";
import { badge, h, link, problemNotice } from "../dom.js";
import { date, dateTime, money } from "../locale.js";

const WIDGETS = {
  "invoices:read": `
    accountBalance { totalOpen { amount currencyCode } totalOverdue { amount currencyCode }
      dueWithin30Days { amount currencyCode } asOf }
    openInvoices: invoices(filter: {statuses: [OPEN, PARTIALLY_PAID]}, first: 5) {
      totalCount
      edges { node { id number dueDate isOverdue status statusLabel amountResidual { amount currencyCode } } }
    }`,
  "orders:read": `
    orders(first: 5) {
      edges { node { id number status statusLabel updatedAt } }
    }`,
  "tickets:read": `
    openTickets: tickets(filter: {statuses: [NEW, IN_PROGRESS, WAITING_ON_CUSTOMER]}, first: 5) {
      totalCount
      edges { node { id number subject status statusLabel sla { status resolutionDueAt } } }
    }`,
};

export async function show(main, { viewer }) {
  const fields = Object.entries(WIDGETS)
    .filter(([permission]) => viewer.permissions.includes(permission))
    .map(([, selection]) => selection);
  const { data, errors } = fields.length
    ? await graphql(`query Dashboard { ${fields.join("\n")} }`)
    : { data: {}, errors: [] };
  main.replaceChildren(
    h("h1", {}, `Hello ${viewer.user.name ?? viewer.user.username}`),
    problemNotice(errors),
    h("div", { class: "grid two" },
      data?.accountBalance && balance(data.accountBalance),
      data?.openInvoices && invoices(data.openInvoices),
      data?.orders && orders(data.orders),
      data?.openTickets && tickets(data.openTickets)),
  );
}

function card(title, ...content) {
  const id = `card-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...content);
}

function balance(b) {
  return card("Account balance",
    h("dl", { class: "figures" },
      h("div", {}, h("dt", {}, "Open"), h("dd", {}, money(b.totalOpen))),
      h("div", {}, h("dt", {}, "Overdue"), h("dd", {}, money(b.totalOverdue))),
      h("div", {}, h("dt", {}, "Due within 30 days"), h("dd", {}, money(b.dueWithin30Days)))),
    h("p", { class: "muted" }, `As of ${dateTime(b.asOf)}`));
}

function invoices(connection) {
  return card(`Open invoices (${connection.totalCount})`,
    h("ul", { class: "list" }, connection.edges.map(({ node }) =>
      h("li", {},
        h("span", {}, link(`/invoices/${encodeURIComponent(node.id)}`, node.number), " ",
          h("span", { class: "muted" }, `due ${date(node.dueDate)}`)),
        h("span", {}, money(node.amountResidual), " ",
          node.isOverdue ? badge("Overdue", "OVERDUE") : badge(node.statusLabel, node.status))))),
    h("p", {}, link("/cases?type=INVOICE", "All invoices")));
}

function orders(connection) {
  return card("Recent orders",
    h("ul", { class: "list" }, connection.edges.map(({ node }) =>
      h("li", {},
        h("span", {}, link(`/orders/${encodeURIComponent(node.id)}`, node.number), " ",
          h("span", { class: "muted" }, `updated ${date(node.updatedAt)}`)),
        badge(node.statusLabel, node.status)))),
    h("p", {}, link("/cases?type=ORDER", "All orders")));
}

function tickets(connection) {
  return card(`Open tickets (${connection.totalCount})`,
    h("ul", { class: "list" }, connection.edges.map(({ node }) =>
      h("li", {},
        h("span", {}, link(`/tickets/${encodeURIComponent(node.id)}`, node.number), " ",
          h("span", { class: "muted" }, node.subject)),
        h("span", {}, badge(node.statusLabel, node.status), " ",
          badge(`SLA ${node.sla.status.replace("_", " ").toLowerCase()}`, node.sla.status))))),
    h("p", {}, link("/cases?type=TICKET", "All tickets")));
}
