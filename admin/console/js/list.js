// Pieces every list page shares: list state kept in the URL hash (so a reload or the back button keeps the
// page, filters and search), a pager, a table builder, and copy-to-clipboard for one-time secrets.

import { h } from "./dom.js";

export const PAGE_SIZE = 25;

/** Navigate to `path` with `query` (null/"" values dropped; `offset` 0 dropped). */
export function go(path, query = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === null || v === undefined || v === "" || (k === "offset" && Number(v) === 0)) continue;
    params.set(k, v);
  }
  const qs = params.toString();
  location.hash = `#${path}${qs ? `?${qs}` : ""}`;
}

/** The current page's offset from the hash query (never negative). */
export function offsetOf(query) {
  return Math.max(0, Number.parseInt(query.get("offset") || "0", 10) || 0);
}

/** "Showing 26–50 of 120" with Previous / Next buttons; `onOffset(newOffset)` moves. */
export function pager(page, onOffset) {
  const { total, limit, offset } = page;
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(total, offset + limit);
  const prev = h("button", { type: "button", class: "btn", text: "Previous", disabled: offset === 0 });
  const next = h("button", { type: "button", class: "btn", text: "Next", disabled: offset + limit >= total });
  prev.addEventListener("click", () => onOffset(Math.max(0, offset - limit)));
  next.addEventListener("click", () => onOffset(offset + limit));
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    h("span", { class: "pager-text", text: total === 0 ? "No results" : `Showing ${first}–${last} of ${total}` }),
    prev,
    next,
  );
}

/**
 * A table inside a horizontally scrollable wrapper (phones). `columns`: [{label, cell(row) → node|string,
 * class?}]. `caption` is for screen readers and names the table.
 */
export function table(caption, columns, rows, { empty = "Nothing here yet.", rowClass } = {}) {
  if (!rows.length) return h("p", { class: "empty", text: empty });
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden", text: caption }),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.class, text: c.label })))),
      h(
        "tbody",
        {},
        rows.map((row) =>
          h("tr", { class: rowClass ? rowClass(row) : null }, columns.map((c) => h("td", { class: c.class, dataset: { label: c.label } }, c.cell(row)))),
        ),
      ),
    ),
  );
}

/**
 * A secret shown once (worker key, invite link): the value, a Copy button and a warning that it will not
 * be shown again. The box stays until the admin dismisses it or leaves the page.
 */
export function secretBox(title, value, warning) {
  const output = h("input", { type: "text", readonly: true, value, class: "secret-value", "aria-label": title });
  const copy = h("button", { type: "button", class: "btn btn-primary", text: "Copy" });
  const status = h("span", { class: "copy-status", role: "status", "aria-live": "polite" });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(value);
      status.textContent = "Copied.";
    } catch (exc) {
      // Clipboard permission denied (or an insecure origin): select it for a manual copy instead.
      output.select();
      status.textContent = "Press Ctrl+C (⌘C) to copy.";
    }
  });
  const dismiss = h("button", { type: "button", class: "btn btn-quiet", text: "I have stored it" });
  const box = h(
    "section",
    { class: "secret", role: "alert", "aria-label": title },
    h("h2", { text: title }),
    h("p", { class: "warning", text: warning }),
    h("div", { class: "secret-row" }, output, copy, status),
    h("div", { class: "actions" }, dismiss),
  );
  dismiss.addEventListener("click", () => box.remove());
  output.addEventListener("focus", () => output.select());
  return box;
}
