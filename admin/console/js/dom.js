// The DOM helpers the console shares with the owner app (backend/web_common/dom.js), and the console's own
// formatting of times, ages and camera status.
import { h } from "/static/dom.js";

export * from "/static/dom.js";

/** "2026-11-21 14:03" in the browser's local time, or "—". */
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A duration in seconds as "42 s", "3 min", "5 h", "2 d", or "—". */
export function age(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

/** A status badge: online (green), stale (amber), offline (red). */
export function statusBadge(status) {
  return h("span", { class: `badge badge-${status}`, text: status });
}

/** The breadcrumb line above a page's title: links from `[href, text]` pairs, each followed by " / ". */
export function crumbs(...links) {
  return h("p", { class: "crumbs" }, links.map(([href, text]) => [h("a", { href, text }), " / "]));
}
