// Small DOM helpers shared by the owner app and the admin console (served at /static/dom.js): elements are
// built node by node (API data is always inserted as text, never as HTML), labelled form fields, and API
// errors shown next to the field they name.

/**
 * Build an element. `attrs` keys: `class`, `text`, `on<Event>` (listener), `dataset` (object), boolean
 * attributes as true/false, everything else via setAttribute. Children: nodes, strings (as text), arrays,
 * null/undefined/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes (no children handling beyond nodes). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, String(value));
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

let fieldIds = 0;

/**
 * A labelled form field: `<div class="field"><label>…</label><input>…<p class="field-error"></p></div>`.
 * `field` is the API field path below `body.` that errors for this input name (e.g. `name`,
 * `opening_hours.mon`); `control` is the input/select/textarea element (its id is set here).
 */
export function field(labelText, control, { field: apiField, hint } = {}) {
  const id = control.id || `f${++fieldIds}`;
  control.id = id;
  const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint`, text: hint }) : null;
  const describedBy = [hintEl ? hintEl.id : null, error.id].filter(Boolean).join(" ");
  control.setAttribute("aria-describedby", describedBy);
  const wrapper = h(
    "div",
    { class: `field${control.type === "checkbox" ? " field-check" : ""}`, dataset: { field: apiField || control.name } },
    control.type === "checkbox" ? [control, h("label", { for: id, text: labelText })] : [h("label", { for: id, text: labelText }), control],
    hintEl,
    error,
  );
  return wrapper;
}

/** Remove every error shown in `form` (field errors and the form-level message). */
export function clearErrors(form) {
  for (const el of form.querySelectorAll(".field-error")) {
    el.hidden = true;
    el.textContent = "";
  }
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const general = form.querySelector(".form-error");
  if (general) {
    general.hidden = true;
    general.textContent = "";
  }
}

/**
 * Show an API error in `form`: each `{field: "body.x.y.0", message}` goes next to the field whose
 * `data-field` is the longest prefix of `x.y.0`; anything unmatched goes to the form's `.form-error`.
 * The first invalid control gets focus, so keyboard users land on it.
 */
export function showErrors(form, error) {
  clearErrors(form);
  const general = [];
  let first = null;
  const fields = error && error.fields && error.fields.length ? error.fields : [];
  for (const item of fields) {
    const path = String(item.field || "").replace(/^(body|query|path)\.?/, "");
    const target = findField(form, path);
    // pydantic prefixes custom validator messages with "Value error, ": noise for a person.
    const message = String(item.message || "").replace(/^Value error, /, "");
    if (target) {
      const out = target.querySelector(".field-error");
      out.textContent = out.textContent ? `${out.textContent} ${message}` : message;
      out.hidden = false;
      const control = target.querySelector("input, select, textarea");
      if (control) {
        control.setAttribute("aria-invalid", "true");
        first = first || control;
      }
    } else {
      general.push(item.field ? `${item.field}: ${message}` : message);
    }
  }
  if (!fields.length) general.push(error && error.message ? error.message : String(error));
  const box = form.querySelector(".form-error");
  if (box && general.length) {
    box.textContent = general.join(" · ");
    box.hidden = false;
  }
  if (first) first.focus();
}

function findField(form, path) {
  const parts = path.split(".");
  for (let n = parts.length; n > 0; n--) {
    const key = parts.slice(0, n).join(".");
    const match = [...form.querySelectorAll("[data-field]")].find((el) => el.dataset.field === key);
    if (match) return match;
  }
  return null;
}

/** The form-level error box every form ends with. */
export function formError() {
  return h("p", { class: "form-error", role: "alert", hidden: true });
}

/** Show one message against the field named `apiField` of `form` (a client-side check). */
export function fieldError(form, apiField, message) {
  showErrors(form, { fields: [{ field: apiField, message }] });
}

/** Replace the contents of `el` with `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}
