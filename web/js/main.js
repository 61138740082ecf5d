// The portal page: sign-in, the header, and a hash router that shows one view at a time.
// Each view is a module with `show(main, context)`; it may answer a function that stops what
// it started (subscriptions) when the user leaves it.

import { graphqlData } from "./api.js";
import { SignedOut, completeSignIn, configure, isSignedIn, signIn, signOut } from "./auth.js";
import { errorNotice, h } from "./dom.js";
import * as cases from "./views/cases.js";
import * as dashboard from "./views/dashboard.js";
import * as documents from "./views/documents.js";
import * as invoice from "./views/invoice.js";
import * as order from "./views/order.js";
import * as preferences from "./views/preferences.js";
import * as ticket from "./views/ticket.js";

const ROUTES = [
  [/^\/?$/, dashboard],
  [/^\/cases$/, cases],
  [/^\/orders\/([^/]+)$/, order],
  [/^\/invoices\/([^/]+)$/, invoice],
  [/^\/tickets\/([^/]+)$/, ticket],
  [/^\/documents$/, documents],
  [/^\/preferences$/, preferences],
];

const VIEWER = `query Viewer {
  viewer { user { name username } permissions organization { legalName number } }
}`;

const main = document.getElementById("main");
let leave = null;
let viewer = null;

function showSignIn(error) {
  document.getElementById("nav").hidden = true;
  document.getElementById("account").hidden = true;
  main.replaceChildren(
    h("h1", {}, "Welcome to your customer portal"),
    h("p", {}, "Orders, invoices, tickets and documents of your organization in one place."),
    error ? errorNotice(error) : null,
    h("button", { type: "button", onclick: () => signIn() }, "Sign in"),
  );
  main.setAttribute("aria-busy", "false");
}

async function route() {
  leave?.();
  leave = null;
  const [path, search = ""] = location.hash.slice(1).split("?");
  const [pattern, view] = ROUTES.find(([p]) => p.test(path)) ?? ROUTES[0];
  const params = (path.match(pattern) ?? []).slice(1).map(decodeURIComponent);
  for (const anchor of document.querySelectorAll("#nav a")) {
    const target = anchor.getAttribute("href").slice(1);
    const current = target === "/" ? path === "/" || path === "" : path.startsWith(target);
    if (current) anchor.setAttribute("aria-current", "page");
    else anchor.removeAttribute("aria-current");
  }
  main.setAttribute("aria-busy", "true");
  main.replaceChildren(h("p", {}, "Loading …"));
  try {
    const context = { params, query: new URLSearchParams(search), viewer };
    leave = (await view.show(main, context)) ?? null;
  } catch (error) {
    if (error instanceof SignedOut) return showSignIn(error);
    main.replaceChildren(errorNotice(error));
  } finally {
    main.setAttribute("aria-busy", "false");
  }
  main.focus({ preventScroll: true });
}

async function start() {
  configure(await (await fetch("config.json")).json());
  try {
    await completeSignIn();
  } catch (error) {
    return showSignIn(error);
  }
  if (!isSignedIn()) return showSignIn();
  try {
    viewer = (await graphqlData(VIEWER)).viewer;
  } catch (error) {
    return showSignIn(error);
  }
  document.getElementById("who").textContent =
    `${viewer.user.name ?? viewer.user.username} · ${viewer.organization?.legalName ?? ""}`;
  document.getElementById("nav").hidden = false;
  document.getElementById("account").hidden = false;
  document.getElementById("sign-out").addEventListener("click", async () => {
    leave?.();
    await signOut();
    showSignIn();
  });
  window.addEventListener("hashchange", route);
  await route();
}

start();
