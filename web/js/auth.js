// Sign-in with OpenID Connect: the authorization code flow with PKCE (RFC 7636, S256), as a
// public browser client does it. The tokens live in this tab's sessionStorage only; the access
// token is refreshed shortly before it expires, with the refresh token.

const TOKENS = "portal.tokens";
const PENDING = "portal.signin";
const REFRESH_MARGIN_S = 30;

let config = null;
let refreshing = null;

export function configure(portalConfig) {
  config = portalConfig;
}

function endpoint(name) {
  return `${config.issuer}/protocol/openid-connect/${name}`;
}

/** Where the identity provider sends the browser back to: this page, without query or hash. */
function redirectUri() {
  return `${location.origin}${location.pathname}`;
}

function randomString(bytes) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(buffer) {
  const text = String.fromCharCode(...new Uint8Array(buffer));
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Leave for the identity provider's sign-in page; come back to the current view. */
export async function signIn() {
  const verifier = randomString(48);
  const state = randomString(16);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo: location.hash }));
  const url = new URL(endpoint("auth"));
  url.search = new URLSearchParams({
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    response_type: "code",
    scope: "openid",
    state,
    code_challenge: base64url(digest),
    code_challenge_method: "S256",
  });
  location.assign(url);
}

/**
 * On the way back from the identity provider: check `state`, redeem the code with the PKCE
 * verifier, and clean the address bar. Answers false when this is not such a return.
 */
export async function completeSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has("code") && !params.has("error")) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, "", redirectUri() + (pending?.returnTo || ""));
  if (params.has("error")) {
    throw new Error(params.get("error_description") || params.get("error"));
  }
  if (!pending || pending.state !== params.get("state")) {
    throw new Error("This sign-in was not started in this tab. Please sign in again.");
  }
  await tokenRequest({
    grant_type: "authorization_code",
    code: params.get("code"),
    redirect_uri: redirectUri(),
    code_verifier: pending.verifier,
  });
  return true;
}

async function tokenRequest(form) {
  const response = await fetch(endpoint("token"), {
    method: "POST",
    body: new URLSearchParams({ client_id: config.clientId, ...form }),
  });
  const body = await response.json();
  if (!response.ok) {
    sessionStorage.removeItem(TOKENS);
    throw new Error(body.error_description || body.error || `sign-in failed (${response.status})`);
  }
  const tokens = {
    access: body.access_token,
    refresh: body.refresh_token,
    expiresAt: Date.now() / 1000 + body.expires_in,
  };
  sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
  return tokens;
}

function stored() {
  return JSON.parse(sessionStorage.getItem(TOKENS) || "null");
}

export function isSignedIn() {
  return stored() !== null;
}

/** A live access token: the stored one, or a refreshed one when it is about to expire. */
export async function accessToken() {
  const tokens = stored();
  if (!tokens) throw new SignedOut();
  if (tokens.expiresAt - REFRESH_MARGIN_S > Date.now() / 1000) return tokens.access;
  refreshing ??= tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh })
    .catch(() => {
      throw new SignedOut();
    })
    .finally(() => {
      refreshing = null;
    });
  return (await refreshing).access;
}

/** End the session at the identity provider too, then forget the tokens. */
export async function signOut() {
  const tokens = stored();
  sessionStorage.removeItem(TOKENS);
  if (tokens?.refresh) {
    await fetch(endpoint("logout"), {
      method: "POST",
      body: new URLSearchParams({ client_id: config.clientId, refresh_token: tokens.refresh }),
    }).catch(() => undefined);
  }
}

/** The session is over (never signed in, refresh refused): the page offers to sign in. */
export class SignedOut extends Error {
  constructor() {
    super("Your session has ended. Please sign in again.");
  }
}
