// GraphQL over HTTP (POST, JSON) with the user's bearer token, and the gateway's signed file
// links, which also need the token: a link is fetched as a blob and shown or saved through an
// object URL, so that the token never travels in a URL.

import { accessToken } from "./auth.js";
import { acceptLanguage } from "./locale.js";

/**
 * Run an operation. Answers `{data, errors}` as the gateway sent them: `data` may be partial,
 * with an error for each field that failed (an upstream outage, a missing permission);
 * `problems(errors)` turns those into a message to show next to what did load.
 */
export async function graphql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      Authorization: `Bearer ${await accessToken()}`,
      "Accept-Language": acceptLanguage(),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => ({}));
  if (!body.data && !body.errors) {
    throw new Error(`The portal service answered ${response.status}.`);
  }
  return { data: body.data ?? null, errors: body.errors ?? [] };
}

/** Like `graphql`, for operations whose whole answer is needed: any error throws. */
export async function graphqlData(query, variables = {}) {
  const { data, errors } = await graphql(query, variables);
  if (errors.length || !data) throw new Error(problems(errors) || "No data.");
  return data;
}

const EXPLAINED = {
  UPSTREAM_UNAVAILABLE: (e) => `${e.extensions.system?.toUpperCase() ?? "A system"} is not reachable right now`,
  FORBIDDEN: () => "your role does not include this",
  MFA_REQUIRED: () => "this needs a sign-in with your second factor",
  NOT_FOUND: () => "not found",
  RATE_LIMITED: () => "too many requests, try again in a moment",
};

/** One sentence about the errors of a partial answer, or "" when there are none. */
export function problems(errors) {
  const parts = errors.map((error) => {
    const explain = EXPLAINED[error.extensions?.code];
    const where = error.path ? `${error.path.filter((p) => typeof p === "string").join(" › ")}: ` : "";
    return where + (explain ? explain(error) : error.message);
  });
  return [...new Set(parts)].join("; ");
}

/** The bytes behind a signed link, as an object URL (revoke it when done). */
export async function fileUrl(link) {
  const response = await fetch(link, { headers: { Authorization: `Bearer ${await accessToken()}` } });
  if (!response.ok) throw new Error(`The file could not be loaded (${response.status}).`);
  return URL.createObjectURL(await response.blob());
}

/** Save the file behind a signed link under `filename`. */
export async function download(link, filename) {
  const url = await fileUrl(link);
  const anchor = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
