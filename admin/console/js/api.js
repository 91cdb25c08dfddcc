// The admin API client: the bearer token, JSON in and out, and the one error shape turned into ApiError.
// The token lives in sessionStorage (see docs/admin-console.md for why): it survives a reload of this tab
// and is gone when the tab closes. A 401 anywhere clears it and sends the admin back to the login form.

const TOKEN_KEY = "storeintel.admin.token";
const EXPIRES_KEY = "storeintel.admin.expires_at";

/** An API failure: `status` (HTTP, 0 for a network error), `code`, `message`, `fields` [{field, message}]. */
export class ApiError extends Error {
  constructor(status, code, message, fields = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

const listeners = new Set();

/** Call `fn()` whenever the session ends (logout, expiry, a 401). */
export function onSignedOut(fn) {
  listeners.add(fn);
}

export function token() {
  const value = sessionStorage.getItem(TOKEN_KEY);
  const expires = Number(sessionStorage.getItem(EXPIRES_KEY) || 0);
  if (!value || (expires && Date.now() >= expires)) return null;
  return value;
}

/** Drop the token without telling anyone (the login form refusing a non-admin account). */
export function forget() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(EXPIRES_KEY);
}

/** End the session: drop the token and let the listeners show the login form. */
export function signOut() {
  forget();
  for (const fn of listeners) fn();
}

/** POST /auth/token; stores the token. Raises ApiError (401 wrong password, 429 throttled, 422). */
export async function login(email, password) {
  const body = await request("POST", "/auth/token", { email, password }, { auth: false });
  sessionStorage.setItem(TOKEN_KEY, body.access_token);
  // A little early, so a request never leaves with a token that expires on the way.
  sessionStorage.setItem(EXPIRES_KEY, String(Date.now() + (body.expires_in - 5) * 1000));
  return body;
}

/**
 * One API call. `body` is sent as JSON; `query` is an object of query parameters (null/"" dropped).
 * Returns the parsed JSON (null for 204), or a Blob when `blob` is set. Raises ApiError.
 */
export async function request(method, path, body = undefined, { query, auth = true, blob = false } = {}) {
  const headers = { Accept: blob ? "image/jpeg" : "application/json" };
  if (auth) {
    const t = token();
    if (!t) {
      signOut();
      throw new ApiError(401, "not_authenticated", "Your session has ended. Please log in again.");
    }
    headers.Authorization = `Bearer ${t}`;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== "") params.set(k, v);
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (exc) {
    throw new ApiError(0, "network_error", "The server cannot be reached. Check the connection and retry.");
  }
  if (response.status === 401 && auth) {
    signOut();
    throw new ApiError(401, "not_authenticated", "Your session has ended. Please log in again.");
  }
  if (!response.ok) {
    let error = { code: "http_error", message: `${response.status} ${response.statusText}`, fields: [] };
    try {
      const doc = await response.json();
      if (doc && doc.error) error = doc.error;
    } catch (exc) {
      // Not our JSON error shape (a proxy's page): keep the status line.
    }
    throw new ApiError(response.status, error.code, error.message, error.fields || []);
  }
  if (blob) return { blob: await response.blob(), headers: response.headers };
  if (response.status === 204) return null;
  return response.json();
}

export const get = (path, query) => request("GET", path, undefined, { query });
export const post = (path, body) => request("POST", path, body === undefined ? {} : body);
export const patch = (path, body) => request("PATCH", path, body);
export const put = (path, body) => request("PUT", path, body);
export const del = (path) => request("DELETE", path);

/** Every organization (the first 200 by name) for filters and pickers. */
export async function allOrganizations() {
  const page = await get("/admin/organizations", { limit: 200, sort: "name" });
  return page.items;
}
