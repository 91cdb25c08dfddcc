// The session and every API request. The access token lives only in this module's memory: a reload or a
// new tab gets a fresh one from POST /auth/session/refresh, which reads the HttpOnly refresh cookie this page
// never sees. A 401 from a data route refreshes once and retries once, then the session is over.

const CSRF_HEADER = { "X-Requested-With": "storeintel" };
const REFRESH_EARLY_S = 60; // renew this long before the token expires
const MIN_TOKEN_LEFT_MS = 10_000; // a request never leaves with a token closer than this to expiry
const RETRY_REFRESH_MS = 15_000; // after a network error during a scheduled refresh

/** An API failure: `status` (HTTP, 0 for a network error), `code`, `message`, `fields` [{field, message}],
 * and `retryAfter` (seconds, from a 429's Retry-After header, or null). */
export class ApiError extends Error {
  constructor(status, code, message, fields = [], retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfter = retryAfter;
  }
}

let accessToken = null;
let expiresAt = 0; // epoch ms
let refreshTimer = null;
let refreshing = null; // the refresh in flight, shared by every caller
let meCache = null;
let active = false; // signed in as far as the pages know; false again only on sign-out or a refused refresh
const endedListeners = new Set();

/** Call `fn()` when the session ends by itself (refresh refused): the app then shows the sign-in page. */
export function onSessionEnded(fn) {
  endedListeners.add(fn);
}

export function isSignedIn() {
  return accessToken !== null;
}

function adopt(answer) {
  accessToken = answer.access_token;
  active = true;
  const lifetimeS = Math.max(1, Number(answer.expires_in) || 0);
  expiresAt = Date.now() + lifetimeS * 1000;
  clearTimeout(refreshTimer);
  // Renew a minute early; a very short-lived token is renewed at half its life instead.
  const inS = lifetimeS > 2 * REFRESH_EARLY_S ? lifetimeS - REFRESH_EARLY_S : lifetimeS / 2;
  refreshTimer = setTimeout(scheduledRefresh, inS * 1000);
}

function drop() {
  accessToken = null;
  expiresAt = 0;
  meCache = null;
  clearTimeout(refreshTimer);
  refreshTimer = null;
}

function ended() {
  const wasActive = active;
  active = false;
  drop();
  if (wasActive) for (const fn of endedListeners) fn();
}

async function scheduledRefresh() {
  try {
    if (!(await refresh())) ended();
  } catch (exc) {
    // Offline for a moment: try again soon; a request in between refreshes by itself.
    refreshTimer = setTimeout(scheduledRefresh, RETRY_REFRESH_MS);
  }
}

/**
 * POST /auth/session/refresh: true with a new access token, false when the session has ended (401).
 * Concurrent callers share one request; across tabs a Web Lock serializes them, because each refresh
 * rotates the cookie and a second tab must send the rotated one, not the one it read before.
 * Raises ApiError(0) when the server cannot be reached.
 */
export function refresh() {
  if (!refreshing) {
    const run = () => refreshOnce();
    const locked = navigator.locks ? navigator.locks.request("storeintel-session-refresh", run) : run();
    refreshing = locked.finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function refreshOnce() {
  const response = await send("POST", "/auth/session/refresh", { headers: { ...CSRF_HEADER } });
  if (response.status === 401 || response.status === 403) {
    drop();
    return false;
  }
  if (!response.ok) throw await errorOf(response);
  adopt(await response.json());
  return true;
}

/** On page load: restore the session from the refresh cookie. True when signed in. */
export async function restore() {
  try {
    return await refresh();
  } catch (exc) {
    return false; // server unreachable: the sign-in page says so when it is used
  }
}

async function authCall(path, body) {
  const answer = await request("POST", path, { body, auth: false, headers: CSRF_HEADER });
  meCache = null;
  if (answer && answer.access_token) adopt(answer);
  return answer;
}

/** POST /auth/session. ApiError 401 wrong credentials, 429 throttled (retryAfter), 422. */
export const signIn = (email, password) => authCall("/auth/session", { email, password });

/** POST /auth/invites/accept: sets the password and signs in. 404 invalid or expired invite, 422. */
export function acceptInvite(token, password, fullName) {
  const body = { token, password };
  if (fullName) body.full_name = fullName;
  return authCall("/auth/invites/accept", body);
}

/** POST /auth/password-reset/confirm: sets the new password and signs in. 404 invalid or expired link. */
export const confirmReset = (token, password) => authCall("/auth/password-reset/confirm", { token, password });

/** POST /auth/password-reset: answers 202 {detail} whether or not the email has an account; 429. */
export const requestReset = (email) => request("POST", "/auth/password-reset", { body: { email }, auth: false, headers: CSRF_HEADER });

/** POST /auth/password (signed in): a new token comes back. 422 on `current_password` when it is wrong. */
export async function changePassword(currentPassword, newPassword) {
  const answer = await request("POST", "/auth/password", {
    body: { current_password: currentPassword, new_password: newPassword },
    headers: CSRF_HEADER,
  });
  if (answer && answer.access_token) adopt(answer);
  return answer;
}

/** DELETE /auth/session, then forget the token (also when the server cannot be reached). */
export async function signOut() {
  try {
    await send("DELETE", "/auth/session", { headers: { ...CSRF_HEADER, ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}) } });
  } catch (exc) {
    // Offline: the cookie outlives this page, but the token is gone from memory.
  }
  active = false;
  drop();
}

/** GET /me, kept for the session (roles decide whether the POS upload is shown). */
export async function me() {
  if (!meCache) meCache = await get("/me");
  return meCache;
}

/** The user's role ("owner" | "viewer") in organization `orgId`, or null. */
export async function roleIn(orgId) {
  const user = await me();
  const membership = user.organizations.find((o) => o.org_id === orgId);
  return membership ? membership.role : null;
}

function send(method, url, { headers = {}, body, signal } = {}) {
  return fetch(url, { method, headers, body, signal, credentials: "same-origin", cache: "no-store" }).catch((exc) => {
    if (exc && exc.name === "AbortError") throw exc;
    throw new ApiError(0, "network_error", "The server cannot be reached. Check the connection and try again.");
  });
}

async function errorOf(response) {
  let error = { code: "http_error", message: `${response.status} ${response.statusText}`.trim(), fields: [] };
  try {
    const doc = await response.json();
    if (doc && doc.error) error = doc.error;
  } catch (exc) {
    // Not our JSON error shape (a proxy's page): keep the status line.
  }
  const retry = Number.parseInt(response.headers.get("Retry-After") || "", 10);
  return new ApiError(response.status, error.code, error.message, error.fields || [], Number.isFinite(retry) ? retry : null);
}

function urlOf(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== "") params.set(k, v);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function bearer() {
  if (!accessToken || expiresAt - Date.now() < MIN_TOKEN_LEFT_MS) {
    if (!(await refresh())) {
      ended();
      throw new ApiError(401, "not_authenticated", "Your session has ended. Please sign in again.");
    }
  }
  return `Bearer ${accessToken}`;
}

/**
 * One API call. `body` goes as JSON, `form` (FormData) as multipart; `query` is an object of query
 * parameters (null/"" dropped). Returns parsed JSON (null for 204), or {blob, headers} with `blob: true`.
 * Raises ApiError; an aborted `signal` raises the DOMException AbortError.
 */
export async function request(method, path, { body, form, query, auth = true, blob = false, headers = {}, signal } = {}) {
  const url = urlOf(path, query);
  const base = { Accept: blob ? "*/*" : "application/json", ...headers };
  if (body !== undefined) base["Content-Type"] = "application/json";
  const payload = form !== undefined ? form : body !== undefined ? JSON.stringify(body) : undefined;
  let response;
  for (let attempt = 0; ; attempt++) {
    const h = { ...base };
    if (auth) h.Authorization = await bearer();
    response = await send(method, url, { headers: h, body: payload, signal });
    if (response.status !== 401 || !auth || attempt > 0) break;
    // The token was refused (expired in transit, keys rotated): one refresh, one retry.
    if (!(await refresh())) break;
  }
  if (response.status === 401 && auth) {
    ended();
    throw new ApiError(401, "not_authenticated", "Your session has ended. Please sign in again.");
  }
  if (!response.ok) throw await errorOf(response);
  if (blob) return { blob: await response.blob(), headers: response.headers };
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

export const get = (path, query, options = {}) => request("GET", path, { query, ...options });
