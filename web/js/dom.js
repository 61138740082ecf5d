// A few helpers to build the page from data without HTML strings: text is always set as
// text, so nothing from the graph is ever parsed as markup (message bodies excepted: the
// gateway sanitizes them, see ticket.js).

import { problems } from "./api.js";

/** An element: `h("a", {href: "#/"}, "Home")`; `on*` attributes become listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

const TONES = {
  ok: ["PAID", "DELIVERED", "COMPLETED", "RESOLVED", "CLOSED", "MET", "ON_TRACK", "SHIPPED", "CONFIRMED", "ACCEPTED", "SUCCEEDED"],
  warn: ["PARTIALLY_PAID", "IN_PAYMENT", "AT_RISK", "WAITING_ON_CUSTOMER", "PAUSED", "PARTIALLY_DELIVERED", "READY", "PENDING", "REQUIRES_ACTION"],
  bad: ["BREACHED", "ON_HOLD", "CANCELLED", "FAILED", "OVERDUE"],
};

/** A status badge: the localized label, coloured by the stable status code. */
export function badge(label, status) {
  const tone = Object.keys(TONES).find((name) => TONES[name].includes(status)) ?? "";
  return h("span", { class: `badge ${tone}`, "data-status": status }, label);
}

/** A notice about the parts of a partial answer that failed, or "" (nothing to show). */
export function problemNotice(errors) {
  const text = problems(errors);
  return text ? h("p", { class: "notice", role: "status" }, `Some information is missing: ${text}.`) : "";
}

export function errorNotice(error) {
  return h("p", { class: "notice bad", role: "alert" }, error.message || String(error));
}

/** The user errors of a mutation payload, as a list next to the form, or "" when none. */
export function userErrorList(userErrors) {
  if (!userErrors.length) return "";
  return h("ul", { class: "notice bad", role: "alert" }, userErrors.map((e) => h("li", {}, e.message)));
}

/** Global IDs go into the address as they are (opaque, URL-safe base64). */
export function link(path, text) {
  return h("a", { href: `#${path}` }, text);
}
