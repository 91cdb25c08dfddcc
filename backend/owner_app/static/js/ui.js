// Pieces several pages share: a figure with its change against the previous period, tables with captions,
// section loading/error states, the password pair, and the messages for throttled or failed requests.

import { ApiError } from "./api.js";
import { field, h } from "./dom.js";
import * as fmt from "./format.js";

/** The value a test (or a script) can read back: the raw number or ISO string, "" for null. */
export const raw = (v) => (v === null || v === undefined ? "" : String(v));

/**
 * "▲ +12.5 % vs 410" for a Figure/CountFigure {value, previous, delta, change_pct}; `format` formats the
 * previous value. Without a comparison (either side null, or previous 0) it says why.
 */
export function change(figure, format, previousLabel) {
  if (!figure || figure.value === null || figure.previous === null || figure.value === undefined || figure.previous === undefined) {
    return h("p", { class: "change change-none", text: figure && figure.previous !== null && figure.previous !== undefined ? `${previousLabel}: ${format(figure.previous)}` : `${previousLabel}: not measured` });
  }
  const pct = figure.change_pct;
  const delta = figure.delta;
  const direction = delta > 0 ? "up" : delta < 0 ? "down" : "flat";
  const arrow = { up: "▲", down: "▼", flat: "▶" }[direction];
  const words = { up: "up", down: "down", flat: "no change" }[direction];
  return h(
    "p",
    { class: `change change-${direction}`, dataset: { changePct: raw(pct), delta: raw(delta) } },
    h("span", { class: "arrow", "aria-hidden": "true", text: arrow }),
    h("span", { class: "visually-hidden", text: `${words} ` }),
    // change_pct is null when the previous value was 0: show the difference itself instead.
    pct === null || pct === undefined ? `${delta > 0 ? "+" : ""}${format(delta)}` : fmt.changePct(pct),
    h("span", { class: "prev", text: ` · ${previousLabel} ${format(figure.previous)}` }),
  );
}

/**
 * A figure tile: label, the value (with `data-figure`/`data-value` hooks), a note, and the change.
 * `figure` is a Figure or null (for plain values pass `{value}` and no previousLabel).
 */
export function tile(name, label, figure, format, { previousLabel, note, hook = "figure" } = {}) {
  const value = figure ? figure.value : null;
  const valueEl = h("p", { class: `tile-value${value === null || value === undefined ? " is-null" : ""}`, text: format(value) });
  valueEl.dataset[hook] = name;
  valueEl.dataset.value = raw(value);
  return h(
    "div",
    { class: "tile" },
    h("h3", { class: "tile-label", text: label }),
    valueEl,
    note ? h("p", { class: "tile-note", text: note }) : null,
    previousLabel ? change(figure, format, previousLabel) : null,
  );
}

/** A table with a caption and column headers; `columns`: [{label, cell(row) → node|string, num?}]. */
export function table(caption, columns, rows, { rowAttrs, captionHidden = false } = {}) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", { class: captionHidden ? "visually-hidden" : null, text: caption }),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null, text: c.label })))),
      h(
        "tbody",
        {},
        rows.map((row) =>
          h(
            "tr",
            rowAttrs ? rowAttrs(row) : {},
            columns.map((c, i) =>
              i === 0 && c.rowHeader ? h("th", { scope: "row", dataset: { label: c.label } }, c.cell(row)) : h("td", { class: c.num ? "num" : null, dataset: { label: c.label } }, c.cell(row)),
            ),
          ),
        ),
      ),
    ),
  );
}

/** A panel section with a heading and a body that starts as "Loading…". Returns {el, body}. */
export function section(title, { id, testid, extra } = {}) {
  const body = h("div", { class: "section-body" }, h("p", { class: "loading", text: "Loading…" }));
  const headingId = id ? `${id}-title` : undefined;
  const el = h(
    "section",
    { class: "panel", id, "aria-labelledby": headingId, "data-testid": testid },
    h("div", { class: "panel-head" }, h("h2", { id: headingId, text: title }), extra || null),
    body,
  );
  return { el, body };
}

/** The message a failed section shows (ApiError or anything else). */
export function failure(exc, what) {
  const message = exc instanceof ApiError && exc.status === 0 ? exc.message : `${what} could not be loaded: ${exc.message || exc}`;
  return h("p", { class: "form-error", role: "alert", text: message });
}

/** "Too many attempts. Try again in 2 min." from a 429's Retry-After. */
export function throttled(exc) {
  const s = exc.retryAfter;
  const wait = s === null || s === undefined ? "a little while" : s < 90 ? `${s} s` : `${Math.ceil(s / 60)} min`;
  return `Too many attempts. Try again in ${wait}.`;
}

// Must match backend/auth/passwords.py MIN_PASSWORD_LENGTH; the server's 422 message wins if it changes.
export const MIN_PASSWORD_LENGTH = 10;

/** A new password and its confirmation; `apiField` is the body field the server names in a 422. */
export function passwordPair(apiField, label = "New password") {
  const password = h("input", { type: "password", name: apiField, autocomplete: "new-password", required: true, minlength: String(MIN_PASSWORD_LENGTH), "data-testid": `${apiField}-input` });
  const confirm = h("input", { type: "password", name: `${apiField}_confirm`, autocomplete: "new-password", required: true, "data-testid": `${apiField}-confirm-input` });
  const fields = [
    field(label, password, { field: apiField, hint: `At least ${MIN_PASSWORD_LENGTH} characters.` }),
    field("Repeat the password", confirm, { field: `${apiField}_confirm` }),
  ];
  /** null when fine, else [field, message] for the first problem. */
  function problem() {
    if (password.value.length < MIN_PASSWORD_LENGTH) return [apiField, `Use at least ${MIN_PASSWORD_LENGTH} characters.`];
    if (password.value !== confirm.value) return [`${apiField}_confirm`, "The two passwords are not the same."];
    return null;
  }
  return { password, confirm, fields, problem };
}
