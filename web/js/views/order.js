// An order with its lines and deliveries. The order's status and its deliveries' statuses are
// followed over subscriptions while the view is open: a change shows without reloading, and
// is announced to screen readers.

import { graphqlData } from "../api.js";
import { badge, h, link } from "../dom.js";
import { Live } from "../live.js";
import { date, dateTime, money } from "../locale.js";

const DELIVERY = "id number status statusLabel carrier trackingNumber shippedAt deliveredAt scheduledDate";
const ORDER = `query Order($id: ID!) {
  order(id: $id) {
    id number title status statusLabel deliveryStatus customerReference orderedAt
    requestedDeliveryDate total { amount currencyCode }
    lines { position productCode description quantity deliveredQuantity total { amount currencyCode } }
    deliveries { ${DELIVERY} }
    sync { asOf stale }
  }
}`;
const DELIVERY_UPDATED = `subscription Delivery($orderId: ID, $after: String) {
  deliveryUpdated(orderId: $orderId, after: $after) { ${DELIVERY} }
}`;
const ORDER_CHANGED = `subscription OrderStatus($orderId: ID, $after: String) {
  orderStatusChanged(orderId: $orderId, after: $after) { id status statusLabel deliveryStatus }
}`;

export async function show(main, { params: [id] }) {
  const { order } = await graphqlData(ORDER, { id });
  if (!order) {
    main.replaceChildren(h("h1", {}, "Order not found"), link("/cases?type=ORDER", "All orders"));
    return undefined;
  }
  const announce = h("p", { class: "muted", role: "status", id: "live-status" }, "Connecting for live updates …");
  const status = h("span", { id: "order-status" }, badge(order.statusLabel, order.status));
  const deliveries = h("tbody", {}, order.deliveries.map(deliveryRow));
  main.replaceChildren(
    h("h1", {}, `Order ${order.number}`),
    h("section", { class: "card" },
      h("p", {}, order.title !== order.number && `${order.title} `, status),
      h("dl", { class: "figures" },
        field("Ordered", date(order.orderedAt)),
        field("Your reference", order.customerReference ?? "–"),
        field("Requested delivery", date(order.requestedDeliveryDate)),
        field("Total", money(order.total))),
      announce),
    h("section", { class: "card", "aria-labelledby": "deliveries" },
      h("h2", { id: "deliveries" }, "Deliveries"),
      order.deliveries.length
        ? h("div", { class: "table-scroll" }, h("table", {},
          h("thead", {}, h("tr", {}, ["Delivery", "Status", "Carrier", "Tracking", "Shipped"].map((t) => h("th", { scope: "col" }, t)))),
          deliveries))
        : h("p", { class: "muted" }, "No deliveries yet.")),
    h("section", { class: "card", "aria-labelledby": "lines" },
      h("h2", { id: "lines" }, "Lines"),
      h("div", { class: "table-scroll" }, h("table", {},
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "#"), h("th", { scope: "col" }, "Item"),
          h("th", { scope: "col", class: "num" }, "Qty"), h("th", { scope: "col", class: "num" }, "Delivered"),
          h("th", { scope: "col", class: "num" }, "Total"))),
        h("tbody", {}, (order.lines ?? []).map((line) => h("tr", {},
          h("td", {}, String(line.position)), h("td", {}, line.description, h("div", { class: "muted" }, line.productCode)),
          h("td", { class: "num" }, line.quantity), h("td", { class: "num" }, line.deliveredQuantity),
          h("td", { class: "num" }, money(line.total)))))))),
  );

  const live = new Live((state) => {
    announce.textContent = state === "live" ? `Live: changes show here as they happen (as of ${dateTime(order.sync.asOf)}).`
      : state === "offline" ? "Live updates stopped; reload the page to see changes." : "Reconnecting for live updates …";
  });
  live.subscribe(DELIVERY_UPDATED, { orderId: order.id }, ({ deliveryUpdated: delivery }) => {
    const updated = deliveryRow(delivery);
    const existing = deliveries.querySelector(`[data-id="${CSS.escape(delivery.id)}"]`);
    if (existing) existing.replaceWith(updated);
    else deliveries.append(updated);
    announce.textContent = `Delivery ${delivery.number} is now ${delivery.statusLabel}.`;
  });
  live.subscribe(ORDER_CHANGED, { orderId: order.id }, ({ orderStatusChanged: changed }) => {
    status.replaceChildren(badge(changed.statusLabel, changed.status));
    announce.textContent = `Order ${order.number} is now ${changed.statusLabel}.`;
  });
  return () => live.close();
}

function field(label, value) {
  return h("div", {}, h("dt", {}, label), h("dd", {}, value));
}

function deliveryRow(delivery) {
  return h("tr", { "data-id": delivery.id },
    h("td", {}, delivery.number),
    h("td", { class: "delivery-status" }, badge(delivery.statusLabel, delivery.status)),
    h("td", {}, delivery.carrier ?? "–"),
    h("td", {}, delivery.trackingNumber ?? "–"),
    h("td", {}, dateTime(delivery.shippedAt)));
}
