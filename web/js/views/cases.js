// The case overview: quotes, orders, invoices, tickets and bookings in one list, filtered by
// type, status and search text (kept in the address, so a filtered list can be bookmarked),
// paged with the connection's cursor ("Show more").

import { badge, h, link } from "../dom.js";
import { dateTime } from "../locale.js";
import { pager } from "../paging.js";

const CASES = `query Cases($filter: CaseFilterInput, $after: String) {
  cases(filter: $filter, first: 20, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      __typename id number title caseType statusLabel updatedAt
      ... on Order { orderStatus: status }
      ... on Invoice { invoiceStatus: status isOverdue }
      ... on Ticket { ticketStatus: status }
      ... on Quote { quoteStatus: status }
      ... on Booking { bookingStatus: status }
    } }
  }
}`;

const TYPES = [["", "All types"], ["ORDER", "Orders"], ["INVOICE", "Invoices"], ["TICKET", "Tickets"],
  ["QUOTE", "Quotes"], ["BOOKING", "Bookings"]];
const TYPE_NAMES = Object.fromEntries(TYPES);
const DETAIL = { ORDER: "orders", INVOICE: "invoices", TICKET: "tickets" };

export async function show(main, { query }) {
  const type = query.get("type") ?? "";
  const search = query.get("q") ?? "";
  const overdue = query.get("overdue") === "1";
  const filter = {
    ...(type && { types: [type] }),
    ...(search && { search }),
    ...(overdue && { overdue: true }),
  };
  const list = h("ul", { class: "list", id: "case-list" });
  const count = h("p", { class: "muted", role: "status" });
  const { more, notices, load } = pager({
    query: CASES,
    variables: { filter },
    field: "cases",
    list,
    row,
    onPage: (connection) => {
      count.textContent = `${connection.totalCount} ${type ? TYPE_NAMES[type].toLowerCase() : "cases"}`;
    },
  });

  main.replaceChildren(
    h("h1", {}, "Cases"),
    filters(type, search, overdue),
    notices,
    h("section", { class: "card", "aria-label": "Results" }, count, list, more),
  );
  await load();
}

function filters(type, search, overdue) {
  const form = h("form", { class: "filters card", role: "search" },
    h("div", {}, h("label", { for: "q" }, "Search"),
      h("input", { id: "q", name: "q", type: "search", value: search, placeholder: "Number, title, reference" })),
    h("div", {}, h("label", { for: "type" }, "Type"),
      h("select", { id: "type", name: "type" }, TYPES.map(([value, label]) =>
        h("option", { value, selected: value === type }, label)))),
    h("label", { class: "inline" },
      h("input", { type: "checkbox", name: "overdue", value: "1", checked: overdue }), "Overdue only"),
    h("button", { type: "submit" }, "Apply"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams(
      [...new FormData(form)].filter(([, value]) => value !== ""));
    location.hash = `/cases?${params}`;
  });
  return form;
}

/** The stable status code, which each case type names with an alias of its own (the types'
 * `status` fields have different enum types, which one selection cannot merge). */
function status(node) {
  return node.orderStatus ?? node.invoiceStatus ?? node.ticketStatus ?? node.quoteStatus ?? node.bookingStatus;
}

function row(node) {
  const detail = DETAIL[node.caseType];
  const title = detail ? link(`/${detail}/${encodeURIComponent(node.id)}`, node.number) : h("strong", {}, node.number);
  return h("li", {},
    h("span", {}, title, " ", node.title !== node.number && h("span", {}, node.title), " ",
      h("span", { class: "muted" }, `updated ${dateTime(node.updatedAt)}`)),
    node.isOverdue ? badge("Overdue", "OVERDUE") : badge(node.statusLabel, status(node)));
}
