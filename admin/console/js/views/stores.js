// Stores: the list (filter by organization and status, paging), create and edit (timezone, opening hours,
// address), (de)activate, and the store's cameras with a create-camera form.

import * as api from "../api.js";
import { clearErrors, crumbs, field, formError, h, replace, showErrors } from "../dom.js";
import { PAGE_SIZE, go, offsetOf, pager, table } from "../list.js";
import { notify } from "../notice.js";
import { cameraCreateForm, cameraTable } from "./cameras.js";
import { activeBadge } from "./organizations.js";

const DAYS = [
  ["mon", "Monday"],
  ["tue", "Tuesday"],
  ["wed", "Wednesday"],
  ["thu", "Thursday"],
  ["fri", "Friday"],
  ["sat", "Saturday"],
  ["sun", "Sunday"],
];
const DEFAULT_HOURS = { mon: [["09:00", "18:00"]], tue: [["09:00", "18:00"]], wed: [["09:00", "18:00"]], thu: [["09:00", "18:00"]], fri: [["09:00", "18:00"]], sat: [["10:00", "16:00"]] };

/** `{"mon": [["09:00","13:00"]]}` → "09:00-13:00" per day; "" for a closed day. */
function dayText(intervals) {
  return (intervals || []).map(([open, close]) => `${open}-${close}`).join(", ");
}

/** "09:00-13:00, 14:00-18:00" → [["09:00","13:00"],["14:00","18:00"]]; the API validates the times. */
function parseDay(text) {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => part.split(/\s*[-–]\s*/));
}

function hoursSummary(hours) {
  const open = DAYS.filter(([key]) => hours[key] && hours[key].length);
  if (!open.length) return "closed";
  return open.map(([key]) => `${key} ${dayText(hours[key])}`).join("; ");
}

/** The store form's fields; `values()` gives the request body (without org_id). */
function storeFields(store) {
  const name = h("input", { type: "text", name: "name", value: store ? store.name : "", required: true, autocomplete: "off" });
  const timezone = h("input", {
    type: "text",
    name: "timezone",
    value: store ? store.timezone : Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    required: true,
    list: "tz-names",
    autocomplete: "off",
    spellcheck: "false",
  });
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const datalist = h("datalist", { id: "tz-names" }, zones.map((z) => h("option", { value: z })));
  const address = h("input", { type: "text", name: "address", value: store && store.address ? store.address : "", autocomplete: "off" });
  const hours = store ? store.opening_hours : DEFAULT_HOURS;
  const dayInputs = DAYS.map(([key, label]) => [key, h("input", { type: "text", name: `hours-${key}`, value: dayText(hours[key]), placeholder: "closed", autocomplete: "off" }), label]);
  const hoursSet = h(
    "fieldset",
    { class: "hours", dataset: { field: "opening_hours" } },
    h("legend", { text: "Opening hours (store-local)" }),
    h("p", { class: "hint", text: "Like 09:00-13:00, 14:00-18:00. Empty: closed. A close before the open runs past midnight (19:00-02:00)." }),
    dayInputs.map(([key, input, label]) => field(label, input, { field: `opening_hours.${key}` })),
    h("p", { class: "field-error", hidden: true }),
  );
  return {
    nodes: [
      field("Name", name),
      field("Timezone", timezone, { hint: "IANA name, for example Europe/London." }),
      datalist,
      field("Address", address),
      hoursSet,
    ],
    values() {
      const opening = {};
      for (const [key, input] of dayInputs) {
        const intervals = parseDay(input.value);
        if (intervals.length) opening[key] = intervals;
      }
      return { name: name.value, timezone: timezone.value.trim(), opening_hours: opening, address: address.value.trim() || null };
    },
  };
}

export async function renderList(main, { query }) {
  const orgId = query.get("org_id") || "";
  const active = query.get("active") || "";
  const offset = offsetOf(query);
  const [orgs, page] = await Promise.all([
    api.allOrganizations(),
    api.get("/admin/stores", { org_id: orgId, active, offset, limit: PAGE_SIZE, sort: "name" }),
  ]);
  const orgName = new Map(orgs.map((o) => [o.id, o.name]));

  const orgFilter = h("select", { name: "org_id" }, h("option", { value: "", text: "All organizations" }), orgs.map((o) => h("option", { value: o.id, text: o.name, selected: o.id === orgId })));
  const activeFilter = h("select", { name: "active" }, [["", "All"], ["true", "Active"], ["false", "Inactive"]].map(([v, l]) => h("option", { value: v, text: l, selected: v === active })));
  const filters = h(
    "form",
    { class: "toolbar", role: "search", "aria-label": "Filter stores" },
    field("Organization", orgFilter),
    field("Status", activeFilter),
    h("button", { type: "submit", class: "btn", text: "Filter" }),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    go("/stores", { org_id: orgFilter.value, active: activeFilter.value });
  });
  for (const select of [orgFilter, activeFilter]) select.addEventListener("change", () => filters.requestSubmit());

  const orgPick = h("select", { name: "org_id", required: true }, h("option", { value: "", text: "Choose…" }), orgs.map((o) => h("option", { value: o.id, text: o.name, selected: o.id === orgId })));
  const fields = storeFields(null);
  const create = h(
    "form",
    { class: "panel side", "aria-labelledby": "store-create-title", novalidate: true },
    h("h2", { id: "store-create-title", text: "New store" }),
    field("Organization", orgPick),
    fields.nodes,
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary", text: "Create store" })),
  );
  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!orgPick.value) {
      showErrors(create, { fields: [{ field: "body.org_id", message: "Choose an organization." }] });
      return;
    }
    try {
      const store = await api.post("/admin/stores", { org_id: orgPick.value, ...fields.values() });
      go(`/stores/${store.id}`);
      notify(`Store “${store.name}” created.`);
    } catch (exc) {
      showErrors(create, exc);
    }
  });

  replace(
    main,
    h("h1", { text: "Stores" }),
    h(
      "div",
      { class: "layout" },
      h(
        "section",
        { class: "panel grow", "aria-label": "Store list" },
        filters,
        table(
          "Stores",
          [
            { label: "Name", cell: (s) => h("a", { href: `#/stores/${s.id}`, text: s.name }) },
            { label: "Organization", cell: (s) => orgName.get(s.org_id) || s.org_id },
            { label: "Timezone", cell: (s) => s.timezone },
            { label: "Status", cell: (s) => activeBadge(s.is_active) },
          ],
          page.items,
          { empty: "No stores match." },
        ),
        pager(page, (next) => go("/stores", { org_id: orgId, active, offset: next })),
      ),
      create,
    ),
  );
}

export async function renderDetail(main, { id }) {
  const store = await api.get(`/admin/stores/${id}`);
  const org = await api.get(`/admin/organizations/${store.org_id}`);
  const camsBox = h("div", {});
  async function loadCameras() {
    const cams = await api.get("/admin/cameras", { store_id: id, limit: 200, sort: "name" });
    replace(camsBox, cameraTable(cams.items, { showStore: false }));
  }
  const fields = storeFields(store);
  const edit = h(
    "form",
    { class: "panel", "aria-labelledby": "store-edit-title", novalidate: true },
    h("h2", { id: "store-edit-title", text: "Details" }),
    fields.nodes,
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary", text: "Save store" })),
  );
  edit.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const saved = await api.patch(`/admin/stores/${id}`, fields.values());
      clearErrors(edit);
      title.textContent = saved.name;
      summary.textContent = `${saved.timezone} · ${hoursSummary(saved.opening_hours)}`;
      notify("Store saved.");
    } catch (exc) {
      showErrors(edit, exc);
    }
  });

  const toggle = h("button", { type: "button", class: store.is_active ? "btn btn-danger" : "btn", text: store.is_active ? "Deactivate store" : "Activate store" });
  toggle.addEventListener("click", async () => {
    const verb = store.is_active ? "deactivate" : "activate";
    if (store.is_active && !window.confirm(`Deactivate ${store.name}? Its owners stop seeing it and its cameras are refused.`)) return;
    try {
      await api.post(`/admin/stores/${id}/${verb}`);
      notify(`Store ${verb}d.`);
      await renderDetail(main, { id });
    } catch (exc) {
      notify(exc.message, "error");
    }
  });

  const title = h("span", { text: store.name });
  const summary = h("p", { class: "hint", text: `${store.timezone} · ${hoursSummary(store.opening_hours)}` });
  replace(
    main,
    crumbs(["#/organizations", "Organizations"], [`#/organizations/${org.id}`, org.name], [`#/stores?org_id=${org.id}`, "Stores"]),
    h("h1", {}, title, " ", activeBadge(store.is_active)),
    summary,
    h("div", { class: "actions" }, toggle),
    h(
      "div",
      { class: "layout" },
      h(
        "div",
        { class: "grow stack" },
        h(
          "section",
          { class: "panel", "aria-labelledby": "store-cams-title" },
          h("h2", { id: "store-cams-title", text: "Cameras" }),
          camsBox,
        ),
        // The form keeps the new worker key on screen; only the table above is refreshed.
        cameraCreateForm({ storeId: id, created: loadCameras }),
      ),
      h("div", { class: "stack side" }, edit),
    ),
  );
  await loadCameras();
}
