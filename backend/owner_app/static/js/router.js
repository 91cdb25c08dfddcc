// History API routing under /app/: every page is a real path (the backend answers index.html for all of
// them), links inside the app are followed without a reload, back/forward re-render. One-time tokens
// arrive in the URL fragment (/app/invite#token=…) and are taken out of the URL as soon as they are read.

export const BASE = "/app";

const routes = []; // [{pattern: RegExp, name, view, isPublic}]
let onRoute = () => {};
let fragmentToken = null;

/** Register a page: `pattern` matches the path below /app (e.g. /^\/stores\/([^/]+)$/). */
export function add(pattern, name, view, { isPublic = false } = {}) {
  routes.push({ pattern, name, view, isPublic });
}

/** The route for the current URL: {name, view, isPublic, params, query}; name "notfound" when none. */
export function current(notFound) {
  const below = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) || "/" : location.pathname;
  const path = below.length > 1 ? below.replace(/\/+$/, "") : below;
  for (const route of routes) {
    const m = path.match(route.pattern);
    if (m) return { ...route, params: m.slice(1).map(decodeURIComponent), query: new URLSearchParams(location.search) };
  }
  return { ...notFound, params: [], query: new URLSearchParams(location.search) };
}

/** Go to `href` (a path under /app/), adding a history entry unless `replace`. */
export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  onRoute();
}

/** Change the query string of the current page without a new history entry or a re-render. */
export function setQuery(params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") qs.set(k, v);
  const s = qs.toString();
  history.replaceState(null, "", `${location.pathname}${s ? `?${s}` : ""}`);
}

/** A safe place to return to after signing in: a path under /app/ (never another origin). */
export function safeNext(value) {
  if (typeof value !== "string" || !value.startsWith(`${BASE}/`) || value.startsWith("//") || value.includes("\\")) return null;
  if (/^\/app\/(signin|forgot|reset|invite)\b/.test(value)) return null;
  return value;
}

/** The token from a `#token=…` fragment, read once; the fragment is removed from the URL and history. */
export function takeFragmentToken() {
  const t = fragmentToken;
  fragmentToken = null;
  return t;
}

function captureFragment() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = params.get("token");
  if (!token) return false;
  fragmentToken = token;
  history.replaceState(null, "", `${location.pathname}${location.search}`);
  return true;
}

/** Start: `render()` runs now and on every navigation. */
export function start(render) {
  onRoute = render;
  captureFragment();
  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || !(url.pathname === BASE || url.pathname.startsWith(`${BASE}/`))) return;
    if (url.pathname.startsWith(`${BASE}/vendor/`) || /\.[a-z0-9]+$/i.test(url.pathname)) return; // a file, not a page
    event.preventDefault();
    if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
    navigate(`${url.pathname}${url.search}`);
  });
  window.addEventListener("popstate", () => render());
  // A new invite or reset link pasted into this tab only changes the fragment: no reload, so catch it here.
  window.addEventListener("hashchange", () => {
    if (captureFragment()) render();
  });
  render();
}
