// Cameras: the list (filter by organization, store, status; paging), create (the worker key is shown once),
// one camera's page: settings, enable/disable, rotate the key, and the way to its calibration and count audit.

import * as api from "../api.js";
import { age, clearErrors, crumbs, field, formError, h, replace, showErrors, statusBadge, when } from "../dom.js";
import { PAGE_SIZE, go, offsetOf, pager, secretBox, table } from "../list.js";
import { notify } from "../notice.js";

const KEY_WARNING =
  "This worker key is shown only once. Put it in the worker's configuration (STOREINTEL_WORKER_KEY) now; " +
  "if it is lost, rotate the key to get a new one.";

/** A table of cameras (CameraDetail rows) with status, role, enabled and last heartbeat. */
export function cameraTable(cameras, { showStore = true, storeName = new Map() } = {}) {
  const columns = [
    { label: "Name", cell: (c) => h("a", { href: `#/cameras/${c.id}`, text: c.name }) },
    showStore ? { label: "Store", cell: (c) => h("a", { href: `#/stores/${c.store_id}`, text: storeName.get(c.store_id) || "store" }) } : null,
    { label: "Status", cell: (c) => statusBadge(c.status) },
    { label: "Role", cell: (c) => (c.is_counting_line ? "counting line" : "zones") },
    { label: "Enabled", cell: (c) => (c.enabled ? "yes" : "no") },
    { label: "Last heartbeat", cell: (c) => when(c.last_heartbeat_at) },
    { label: "", cell: (c) => h("a", { href: `#/cameras/${c.id}/calibrate`, text: "Calibrate", "aria-label": `Calibrate ${c.name}` }) },
  ].filter(Boolean);
  return table("Cameras", columns, cameras, { empty: "No cameras yet." });
}

/** Inputs shared by create and edit; `values()` is the request body (without store_id). */
function cameraFields(camera) {
  const name = h("input", { type: "text", name: "name", value: camera ? camera.name : "", required: true, autocomplete: "off" });
  const counting = h("input", { type: "checkbox", name: "is_counting_line", checked: camera ? camera.is_counting_line : false });
  const fps = h("input", { type: "number", name: "target_fps", value: camera ? camera.target_fps : 10, min: "0.1", max: "60", step: "0.1", inputmode: "decimal" });
  const imgsz = h("input", { type: "number", name: "imgsz", value: camera ? camera.imgsz : 640, min: "160", max: "1920", step: "32", inputmode: "numeric" });
  const conf = h("input", { type: "number", name: "conf", value: camera ? camera.conf : 0.25, min: "0.01", max: "0.99", step: "0.01", inputmode: "decimal" });
  // Send what was typed: an empty or odd value goes to the API, whose 422 is shown next to the field.
  const num = (input) => (input.value === "" ? null : Number(input.value));
  return {
    nodes: [
      field("Name", name),
      field("Counting-line camera (feeds footfall and occupancy)", counting, { field: "is_counting_line" }),
      h(
        "div",
        { class: "row3" },
        field("Target fps", fps, { field: "target_fps" }),
        field("Detector size (px)", imgsz, { field: "imgsz" }),
        field("Confidence", conf, { field: "conf" }),
      ),
    ],
    values() {
      return { name: name.value, is_counting_line: counting.checked, target_fps: num(fps), imgsz: num(imgsz), conf: num(conf) };
    },
  };
}

/**
 * The create-camera form. With `storeId` the camera goes to that store; otherwise the form has a store
 * picker (`stores`: [{id, name}]). After creation the worker key stays on screen with a Copy button and
 * `created(camera)` is called.
 */
export function cameraCreateForm({ storeId = null, stores = [], created = () => {} }) {
  const fields = cameraFields(null);
  const slot = h("div", {});
  const storePick = storeId
    ? null
    : h("select", { name: "store_id", required: true }, h("option", { value: "", text: "Choose…" }), stores.map((s) => h("option", { value: s.id, text: s.name })));
  const form = h(
    "form",
    { class: "panel", "aria-labelledby": "cam-create-title", novalidate: true },
    h("h2", { id: "cam-create-title", text: "New camera" }),
    storePick ? field("Store", storePick) : null,
    fields.nodes,
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary", text: "Create camera" })),
    slot,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = storeId || storePick.value;
    if (!target) {
      showErrors(form, { fields: [{ field: "body.store_id", message: "Choose a store." }] });
      return;
    }
    const body = Object.fromEntries(Object.entries({ store_id: target, ...fields.values() }).filter(([, v]) => v !== null));
    try {
      const result = await api.post("/admin/cameras", body);
      clearErrors(form);
      form.querySelector("input[name=name]").value = "";
      replace(slot, secretBox(`Worker key for ${result.camera.name}`, result.worker_key, KEY_WARNING));
      slot.querySelector(".secret-value").focus();
      await created(result.camera);
    } catch (exc) {
      showErrors(form, exc);
    }
  });
  return form;
}

export async function renderList(main, { query }) {
  const orgId = query.get("org_id") || "";
  const storeId = query.get("store_id") || "";
  const status = query.get("status") || "";
  const offset = offsetOf(query);
  const [orgs, storesPage, page] = await Promise.all([
    api.allOrganizations(),
    api.get("/admin/stores", { org_id: orgId, limit: 200, sort: "name" }),
    api.get("/admin/cameras", { org_id: orgId, store_id: storeId, status, offset, limit: PAGE_SIZE, sort: "name" }),
  ]);
  const storeName = new Map(storesPage.items.map((s) => [s.id, s.name]));

  const orgFilter = h("select", { name: "org_id" }, h("option", { value: "", text: "All organizations" }), orgs.map((o) => h("option", { value: o.id, text: o.name, selected: o.id === orgId })));
  const storeFilter = h("select", { name: "store_id" }, h("option", { value: "", text: "All stores" }), storesPage.items.map((s) => h("option", { value: s.id, text: s.name, selected: s.id === storeId })));
  const statusFilter = h("select", { name: "status" }, [["", "Any"], ["online", "Online"], ["stale", "Stale"], ["offline", "Offline"]].map(([v, l]) => h("option", { value: v, text: l, selected: v === status })));
  const filters = h(
    "form",
    { class: "toolbar", role: "search", "aria-label": "Filter cameras" },
    field("Organization", orgFilter),
    field("Store", storeFilter),
    field("Status", statusFilter),
    h("button", { type: "submit", class: "btn", text: "Filter" }),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    go("/cameras", { org_id: orgFilter.value, store_id: storeFilter.value, status: statusFilter.value });
  });
  orgFilter.addEventListener("change", () => go("/cameras", { org_id: orgFilter.value, status: statusFilter.value }));
  for (const select of [storeFilter, statusFilter]) select.addEventListener("change", () => filters.requestSubmit());

  replace(
    main,
    h("h1", { text: "Cameras" }),
    h(
      "div",
      { class: "layout" },
      h(
        "section",
        { class: "panel grow", "aria-label": "Camera list" },
        filters,
        cameraTable(page.items, { storeName }),
        pager(page, (next) => go("/cameras", { org_id: orgId, store_id: storeId, status, offset: next })),
      ),
      h("div", { class: "side" }, cameraCreateForm({ stores: storesPage.items.filter((s) => s.is_active), created: () => {} })),
    ),
  );
}

export async function renderDetail(main, { id }) {
  const camera = await api.get(`/admin/cameras/${id}`);
  const [store, org] = await Promise.all([
    api.get(`/admin/stores/${camera.store_id}`),
    api.get(`/admin/organizations/${camera.org_id}`),
  ]);
  const fields = cameraFields(camera);
  const version = h("span", { text: String(camera.config_version) });
  const edit = h(
    "form",
    { class: "panel", "aria-labelledby": "cam-edit-title", novalidate: true },
    h("h2", { id: "cam-edit-title", text: "Settings" }),
    fields.nodes,
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary", text: "Save camera" })),
  );
  edit.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const saved = await api.patch(`/admin/cameras/${id}`, fields.values());
      clearErrors(edit);
      title.textContent = saved.name;
      version.textContent = String(saved.config_version);
      notify(`Camera saved (config version ${saved.config_version}).`);
    } catch (exc) {
      showErrors(edit, exc);
    }
  });

  const keySlot = h("div", {});
  const prefix = h("code", { text: camera.key_prefix });
  const rotate = h("button", { type: "button", class: "btn btn-danger", text: "Rotate worker key" });
  rotate.addEventListener("click", async () => {
    if (!window.confirm(`Rotate the worker key of ${camera.name}? The current key stops working at once.`)) return;
    try {
      const result = await api.post(`/admin/cameras/${id}/rotate-key`);
      prefix.textContent = result.camera.key_prefix;
      replace(keySlot, secretBox(`New worker key for ${result.camera.name}`, result.worker_key, KEY_WARNING));
      keySlot.querySelector(".secret-value").focus();
    } catch (exc) {
      notify(exc.message, "error");
    }
  });
  const toggle = h("button", { type: "button", class: "btn", text: camera.enabled ? "Disable camera" : "Enable camera" });
  toggle.addEventListener("click", async () => {
    try {
      await api.post(`/admin/cameras/${id}/${camera.enabled ? "disable" : "enable"}`);
      notify(camera.enabled ? "Camera disabled: its worker is refused." : "Camera enabled.");
      await renderDetail(main, { id });
    } catch (exc) {
      notify(exc.message, "error");
    }
  });

  const title = h("span", { text: camera.name });
  const facts = h(
    "dl",
    { class: "facts" },
    h("dt", { text: "Status" }),
    h("dd", {}, statusBadge(camera.status)),
    h("dt", { text: "Enabled" }),
    h("dd", { text: camera.enabled ? "yes" : "no (its worker gets 403)" }),
    h("dt", { text: "Config version" }),
    h("dd", {}, version),
    h("dt", { text: "Worker key" }),
    h("dd", {}, prefix, h("span", { class: "hint", text: ` rotated ${when(camera.key_rotated_at)}` })),
    h("dt", { text: "Last heartbeat" }),
    h("dd", { text: when(camera.last_heartbeat_at) }),
    h("dt", { text: "Last event" }),
    h("dd", { text: when(camera.last_event_at) }),
    h("dt", { text: "Snapshot" }),
    h("dd", { text: camera.snapshot_at ? `${when(camera.snapshot_at)} (${age((Date.now() - new Date(camera.snapshot_at)) / 1000)} ago)` : "none yet" }),
  );
  replace(
    main,
    crumbs([`#/organizations/${org.id}`, org.name], [`#/stores/${store.id}`, store.name]),
    h("h1", {}, title, " ", statusBadge(camera.status)),
    h(
      "div",
      { class: "actions" },
      h("a", { class: "btn btn-primary", href: `#/cameras/${id}/calibrate`, text: "Calibrate line and zones" }),
      h("a", { class: "btn", href: `#/cameras/${id}/count-audit`, text: "Count audit" }),
      toggle,
      rotate,
    ),
    keySlot,
    h("div", { class: "layout" }, h("section", { class: "panel grow", "aria-label": "Camera facts" }, facts), h("div", { class: "side" }, edit)),
  );
}
