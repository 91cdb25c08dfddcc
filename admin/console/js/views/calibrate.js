// Calibration on the latest snapshot: an SVG overlay on the <img> holds the counting line (two draggable
// endpoints, an arrow pointing to the "in" side) and the zone polygons (click to add vertices, drag to move,
// midpoint handles to insert, Delete to remove). Coordinates sent to the API are normalized:
// pointer pixel offset / displayed image size, 0..1 from the top-left, y down.
//
// The SVG's viewBox is the snapshot's own pixel size and the SVG covers the image exactly, so one viewBox
// unit is one snapshot pixel in both axes: shapes stay undistorted and handle sizes are converted from
// screen pixels with `scale()`.

import * as api from "../api.js";
import { age, crumbs, field, formError, h, replace, showErrors, clearErrors, svg, when } from "../dom.js";
import { notify } from "../notice.js";

const KINDS = ["product", "billing", "entrance", "other"];
const DEFAULT_LINE = { x1: 0.3, y1: 0.5, x2: 0.7, y2: 0.5, in_side: "left" };
const NO_SNAPSHOT_SIZE = [1280, 720]; // the 16:9 frame the API assumes too when there is no snapshot
const KEY_STEP = 0.005; // arrow keys move a handle by 0.5% of the frame (Shift: 5%)
const SNAPSHOT_POLL_MS = 5000;
const SNAPSHOT_POLL_TRIES = 24;

const round = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;

export async function render(main, { id }) {
  const camera = await api.get(`/admin/cameras/${id}`);
  const store = await api.get(`/admin/stores/${camera.store_id}`);
  let savedLine = null;
  try {
    savedLine = await api.get(`/admin/cameras/${id}/counting-line`);
  } catch (exc) {
    if (exc.status !== 404) throw exc;
  }
  const state = {
    size: NO_SNAPSHOT_SIZE,
    // An uncalibrated camera starts with a proposed line to drag into place (saved only on "Save line").
    line: savedLine ? { ...savedLine } : { ...DEFAULT_LINE },
    lineDirty: !savedLine,
    mode: "line", // "line" or "zone"
    zones: [],
    zone: null, // the zone being edited: {id|null, name, kind, polygon: [[x, y], ...]}
    selectedVertex: null,
    drag: null, // {handle: "p1"|"p2"|"v3"} while a pointer drags something
    capturedAt: null,
  };
  const timers = new Set();
  let blobUrl = null;

  // ----- the stage: snapshot image and overlay -----
  const img = h("img", { id: "snapshot", alt: `Latest snapshot of ${camera.name}`, draggable: "false" });
  const overlay = svg("svg", { id: "overlay", class: "overlay", role: "application", "aria-label": "Calibration overlay: drag the handles; in zone mode click to add points" });
  const placeholder = h("p", { class: "stage-empty", text: "No snapshot yet. You can calibrate on a blank 16:9 frame, or request a snapshot." });
  const stage = h("div", { class: "stage", id: "stage" }, img, placeholder, overlay);
  const snapInfo = h("p", { class: "hint", id: "snapshot-info", text: "Loading snapshot…" });

  function scale() {
    const rect = overlay.getBoundingClientRect();
    return rect.width > 0 ? state.size[0] / rect.width : 1;
  }
  const toView = ([x, y]) => [x * state.size[0], y * state.size[1]];

  /** Pointer position as normalized image coordinates (pixel offset / displayed size). */
  function normalized(event) {
    const rect = overlay.getBoundingClientRect();
    return [Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width)), Math.min(1, Math.max(0, (event.clientY - rect.top) / rect.height))];
  }

  function handle(key, point, label, extra = "") {
    const [cx, cy] = toView(point);
    return svg("circle", {
      cx,
      cy,
      r: 9 * scale(),
      class: `handle ${extra}`,
      tabindex: "0",
      role: "button",
      "aria-label": label,
      dataset: { handle: key },
    });
  }

  function draw() {
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.handle : null;
    overlay.setAttribute("viewBox", `0 0 ${state.size[0]} ${state.size[1]}`);
    overlay.setAttribute("preserveAspectRatio", "none");
    const s = scale();
    const parts = [
      svg(
        "defs",
        {},
        svg(
          "marker",
          { id: "arrowhead", viewBox: "0 0 10 10", refX: "8", refY: "5", markerWidth: "5", markerHeight: "5", orient: "auto-start-reverse" },
          svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }),
        ),
      ),
    ];
    for (const zone of state.zones) {
      if (state.zone && state.zone.id === zone.id) continue;
      parts.push(zoneShape(zone, false, s));
    }
    if (state.zone) parts.push(zoneShape(state.zone, true, s));
    if (state.line) parts.push(lineShape(state.line, s));
    overlay.replaceChildren(...parts);
    if (focused) {
      const again = overlay.querySelector(`[data-handle="${focused}"]`);
      if (again) again.focus();
    }
  }

  function lineShape(line, s) {
    const [ax, ay] = toView([line.x1, line.y1]);
    const [bx, by] = toView([line.x2, line.y2]);
    const dx = bx - ax;
    const dy = by - ay;
    const len = Math.hypot(dx, dy) || 1;
    // With y down, the left of a→b is (dy, -dx): see docs/worker-protocol.md ("left" has cross < 0).
    const sign = line.in_side === "left" ? 1 : -1;
    const nx = (sign * dy) / len;
    const ny = (sign * -dx) / len;
    const mx = (ax + bx) / 2;
    const my = (ay + by) / 2;
    const arrow = 56 * s;
    const active = state.mode === "line";
    return svg(
      "g",
      { class: `line${active ? " active" : ""}`, id: "counting-line" },
      svg("line", { x1: ax, y1: ay, x2: bx, y2: by, class: "line-halo", "vector-effect": "non-scaling-stroke" }),
      svg("line", { x1: ax, y1: ay, x2: bx, y2: by, class: "line-main", "vector-effect": "non-scaling-stroke" }),
      svg("line", {
        x1: mx,
        y1: my,
        x2: mx + nx * arrow,
        y2: my + ny * arrow,
        class: "in-arrow",
        id: "in-arrow",
        "marker-end": "url(#arrowhead)",
        "vector-effect": "non-scaling-stroke",
      }),
      svg("text", { x: mx + nx * (arrow + 16 * s), y: my + ny * (arrow + 16 * s), class: "in-label", "font-size": 15 * s, "text-anchor": "middle", "dominant-baseline": "middle" }, document.createTextNode("IN")),
      svg("text", { x: ax - 14 * s, y: ay - 14 * s, class: "end-label", "font-size": 13 * s, "text-anchor": "middle" }, document.createTextNode("1")),
      svg("text", { x: bx - 14 * s, y: by - 14 * s, class: "end-label", "font-size": 13 * s, "text-anchor": "middle" }, document.createTextNode("2")),
      active ? handle("p1", [line.x1, line.y1], "Line endpoint 1: drag, or use the arrow keys") : null,
      active ? handle("p2", [line.x2, line.y2], "Line endpoint 2: drag, or use the arrow keys") : null,
    );
  }

  function zoneShape(zone, editing, s) {
    const points = zone.polygon.map(toView);
    const flat = points.map(([x, y]) => `${x},${y}`).join(" ");
    const children = [];
    if (points.length >= 3) children.push(svg("polygon", { points: flat, class: "zone-fill", "vector-effect": "non-scaling-stroke", dataset: { zoneId: zone.id || "" } }));
    else if (points.length === 2) children.push(svg("polyline", { points: flat, class: "zone-fill", "vector-effect": "non-scaling-stroke" }));
    if (points.length && zone.name) {
      const cx = points.reduce((a, p) => a + p[0], 0) / points.length;
      const cy = points.reduce((a, p) => a + p[1], 0) / points.length;
      children.push(svg("text", { x: cx, y: cy, class: "zone-label", "font-size": 14 * s, "text-anchor": "middle", "dominant-baseline": "middle" }, document.createTextNode(zone.name)));
    }
    if (editing) {
      // Midpoint handles insert a vertex on an edge: drag one and it becomes a real vertex.
      if (points.length >= 3) {
        zone.polygon.forEach((p, i) => {
          const q = zone.polygon[(i + 1) % zone.polygon.length];
          const [mx, my] = toView([(p[0] + q[0]) / 2, (p[1] + q[1]) / 2]);
          children.push(svg("circle", { cx: mx, cy: my, r: 6 * s, class: "handle handle-mid", dataset: { handle: `m${i}` } }));
        });
      }
      zone.polygon.forEach((p, i) => {
        const el = handle(`v${i}`, p, `Zone point ${i + 1}: drag, arrow keys to move, Delete to remove`, state.selectedVertex === i ? "selected" : "");
        children.push(el);
      });
    }
    return svg("g", { class: `zone zone-${zone.kind}${editing ? " editing" : ""}` }, ...children);
  }

  // ----- pointer and keyboard interaction -----
  overlay.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    const key = event.target.dataset ? event.target.dataset.handle : null;
    const point = normalized(event);
    if (key && key.startsWith("m") && state.zone) {
      const i = Number(key.slice(1));
      state.zone.polygon.splice(i + 1, 0, point);
      state.drag = { handle: `v${i + 1}` };
      state.selectedVertex = i + 1;
    } else if (key) {
      state.drag = { handle: key };
      if (key.startsWith("v")) state.selectedVertex = Number(key.slice(1));
    } else if (state.mode === "zone" && state.zone) {
      // A click on the picture adds a point at the end of the polygon being drawn.
      state.zone.polygon.push(point);
      state.selectedVertex = state.zone.polygon.length - 1;
      state.drag = { handle: `v${state.selectedVertex}` };
      updateZoneForm();
    } else if (state.mode === "line") {
      // Press and drag on the picture draws a new line from here.
      state.line = { ...(state.line || DEFAULT_LINE), x1: point[0], y1: point[1], x2: point[0], y2: point[1] };
      state.drag = { handle: "p2", fresh: true };
      markLineDirty();
    } else {
      return;
    }
    event.preventDefault();
    overlay.setPointerCapture(event.pointerId);
    draw();
  });
  overlay.addEventListener("pointermove", (event) => {
    if (!state.drag) return;
    moveHandle(state.drag.handle, normalized(event));
    draw();
  });
  const endDrag = () => {
    if (!state.drag) return;
    // A plain click (no drag) on the picture in line mode must not leave a zero-length line behind.
    if (state.drag.fresh && state.line && Math.hypot(state.line.x2 - state.line.x1, state.line.y2 - state.line.y1) < 0.01) {
      state.line = savedLine ? { ...savedLine } : null;
    }
    state.drag = null;
    draw();
    syncLineInputs();
  };
  overlay.addEventListener("pointerup", endDrag);
  overlay.addEventListener("pointercancel", endDrag);
  overlay.addEventListener("keydown", (event) => {
    const key = event.target.dataset ? event.target.dataset.handle : null;
    if (!key) return;
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (steps[event.key]) {
      const step = event.shiftKey ? KEY_STEP * 10 : KEY_STEP;
      const current = handlePoint(key);
      moveHandle(key, [current[0] + steps[event.key][0] * step, current[1] + steps[event.key][1] * step]);
      syncLineInputs();
    } else if ((event.key === "Delete" || event.key === "Backspace") && key.startsWith("v")) {
      state.zone.polygon.splice(Number(key.slice(1)), 1);
      state.selectedVertex = null;
      updateZoneForm();
    } else {
      return;
    }
    event.preventDefault();
    draw();
  });

  function handlePoint(key) {
    if (key === "p1") return [state.line.x1, state.line.y1];
    if (key === "p2") return [state.line.x2, state.line.y2];
    return state.zone.polygon[Number(key.slice(1))];
  }

  function moveHandle(key, [x, y]) {
    const p = [Math.min(1, Math.max(0, x)), Math.min(1, Math.max(0, y))];
    if (key === "p1" || key === "p2") {
      const n = key === "p1" ? 1 : 2;
      state.line[`x${n}`] = p[0];
      state.line[`y${n}`] = p[1];
      markLineDirty();
    } else if (key.startsWith("v") && state.zone) {
      state.zone.polygon[Number(key.slice(1))] = p;
    }
  }

  // ----- counting line panel -----
  const coords = ["x1", "y1", "x2", "y2"].map((name) => [name, h("input", { type: "number", name, min: "0", max: "1", step: "0.001", inputmode: "decimal" })]);
  const sideInputs = ["left", "right"].map((side) => h("input", { type: "radio", name: "in_side", value: side, id: `in-side-${side}` }));
  const lineStatus = h("p", { class: "hint", id: "line-status" });
  const warningsBox = h("div", { id: "line-warnings", "aria-live": "polite" });
  const lineForm = h(
    "form",
    { class: "panel", id: "line-form", "aria-labelledby": "line-title", novalidate: true },
    h("h2", { id: "line-title", text: "Counting line" }),
    h("p", { class: "hint", text: "Drag the two endpoints on the picture, or press and drag on the picture to draw a new line. People crossing it are counted IN or OUT." }),
    h(
      "fieldset",
      { class: "radios", dataset: { field: "in_side" } },
      h("legend", { text: "Inside the store is" }),
      h("div", { class: "radio" }, sideInputs[0], h("label", { for: "in-side-left", text: "Left of 1 → 2" })),
      h("div", { class: "radio" }, sideInputs[1], h("label", { for: "in-side-right", text: "Right of 1 → 2" })),
      h("p", { class: "field-error", hidden: true }),
    ),
    h(
      "details",
      { class: "coords" },
      h("summary", { text: "Coordinates (0..1)" }),
      h("div", { class: "row4" }, coords.map(([name, input]) => field(name, input, { field: name }))),
    ),
    formError(),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary", id: "save-line", text: "Save line" }),
      h("button", { type: "button", class: "btn btn-quiet", id: "delete-line", text: "Remove line", onclick: deleteLine }),
    ),
    lineStatus,
    warningsBox,
  );
  for (const input of sideInputs) {
    input.addEventListener("change", () => {
      if (!state.line) state.line = { ...DEFAULT_LINE };
      state.line.in_side = input.value;
      markLineDirty();
      draw();
    });
  }
  for (const [name, input] of coords) {
    input.addEventListener("input", () => {
      const value = Number(input.value);
      if (input.value === "" || Number.isNaN(value)) return;
      if (!state.line) state.line = { ...DEFAULT_LINE };
      state.line[name] = Math.min(1, Math.max(0, value));
      markLineDirty();
      draw();
    });
  }
  function syncLineInputs() {
    const line = state.line;
    for (const [name, input] of coords) if (document.activeElement !== input) input.value = line ? String(round(line[name])) : "";
    for (const input of sideInputs) input.checked = line ? input.value === line.in_side : input.value === DEFAULT_LINE.in_side;
    if (!savedLine) lineStatus.textContent = line ? "Not calibrated yet: drag the proposed line into place and save it." : "Not calibrated yet: press and drag on the picture to draw a line.";
    else lineStatus.textContent = state.lineDirty ? "Unsaved changes." : `Saved ${when(savedLine.updated_at)}.`;
  }
  function markLineDirty() {
    state.lineDirty = true;
    lineStatus.textContent = "Unsaved changes.";
  }
  lineForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!state.line) state.line = { ...DEFAULT_LINE };
    const body = { x1: round(state.line.x1), y1: round(state.line.y1), x2: round(state.line.x2), y2: round(state.line.y2), in_side: state.line.in_side };
    try {
      const saved = await api.put(`/admin/cameras/${id}/counting-line`, body);
      clearErrors(lineForm);
      savedLine = saved.counting_line;
      state.line = { ...savedLine };
      state.lineDirty = false;
      setVersion(saved.config_version);
      showWarnings(saved.warnings);
      notify(`Counting line saved (config version ${saved.config_version}).`);
      syncLineInputs();
      draw();
    } catch (exc) {
      showErrors(lineForm, exc);
      if (exc.fields && exc.fields.length) lineForm.querySelector("details.coords").open = true;
    }
  });
  function showWarnings(warnings) {
    replace(
      warningsBox,
      warnings.length
        ? h("div", { class: "warnings", role: "status" }, h("h3", { text: "Calibration warnings" }), h("ul", {}, warnings.map((w) => h("li", { dataset: { code: w.code } }, h("strong", { text: w.code.replaceAll("_", " ") }), ": ", w.message))))
        : h("p", { class: "ok", text: "No calibration warnings." }),
    );
  }
  async function deleteLine() {
    if (!savedLine) {
      state.line = null;
      state.lineDirty = false;
      syncLineInputs();
      draw();
      return;
    }
    if (!window.confirm("Remove the counting line? The worker stops counting IN/OUT until a new one is saved.")) return;
    try {
      await api.del(`/admin/cameras/${id}/counting-line`);
      savedLine = null;
      state.line = null;
      state.lineDirty = false;
      const cam = await api.get(`/admin/cameras/${id}`);
      setVersion(cam.config_version);
      replace(warningsBox);
      syncLineInputs();
      draw();
      notify("Counting line removed.");
    } catch (exc) {
      notify(exc.message, "error");
    }
  }

  // ----- zones panel -----
  const zoneList = h("ul", { class: "zone-list", id: "zone-list" });
  const zoneName = h("input", { type: "text", name: "name", autocomplete: "off", required: true });
  const zoneKind = h("select", { name: "kind" }, KINDS.map((k) => h("option", { value: k, text: k })));
  const zoneHint = h("p", { class: "hint", id: "zone-hint" });
  const zoneTitle = h("h3", { text: "New zone" });
  const zoneForm = h(
    "form",
    { class: "zone-form", id: "zone-form", "aria-labelledby": "zone-form-title", novalidate: true, hidden: true },
    h("div", { id: "zone-form-title" }, zoneTitle),
    zoneHint,
    field("Name", zoneName),
    field("Kind", zoneKind),
    h("div", { class: "field", dataset: { field: "polygon" } }, h("p", { class: "field-error", hidden: true })),
    formError(),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary", id: "save-zone", text: "Save zone" }),
      h("button", { type: "button", class: "btn", text: "Undo last point", onclick: undoPoint }),
      h("button", { type: "button", class: "btn btn-quiet", text: "Cancel", onclick: () => editZone(null) }),
      h("button", { type: "button", class: "btn btn-danger", id: "delete-zone", text: "Delete zone", onclick: deleteZone }),
    ),
  );
  const newZone = h("button", { type: "button", class: "btn", id: "new-zone", text: "New zone" });
  newZone.addEventListener("click", () => editZone({ id: null, name: "", kind: "product", polygon: [] }));
  const zonesPanel = h(
    "section",
    { class: "panel", "aria-labelledby": "zones-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "zones-title", text: "Zones" }), newZone),
    zoneList,
    zoneForm,
  );

  function renderZoneList() {
    replace(
      zoneList,
      state.zones.length
        ? state.zones.map((z) =>
            h(
              "li",
              {},
              h("span", { class: `swatch swatch-${z.kind}`, "aria-hidden": "true" }),
              h("button", { type: "button", class: "link", text: `${z.name}`, "aria-label": `Edit zone ${z.name}`, onclick: () => editZone(structuredClone(z)) }),
              h("span", { class: "hint", text: ` ${z.kind} · ${z.polygon.length} points` }),
            ),
          )
        : h("li", { class: "hint", text: "No zones yet." }),
    );
  }
  function editZone(zone) {
    state.zone = zone;
    state.selectedVertex = null;
    state.mode = zone ? "zone" : "line";
    stage.classList.toggle("mode-zone", Boolean(zone));
    zoneForm.hidden = !zone;
    newZone.hidden = Boolean(zone);
    if (zone) {
      clearErrors(zoneForm);
      zoneTitle.textContent = zone.id ? `Edit zone “${zone.name}”` : "New zone";
      zoneName.value = zone.name;
      zoneKind.value = zone.kind;
      zoneForm.querySelector("#delete-zone").hidden = !zone.id;
      updateZoneForm();
      zoneName.focus();
    }
    draw();
  }
  function updateZoneForm() {
    if (!state.zone) return;
    const n = state.zone.polygon.length;
    zoneHint.textContent = n < 3
      ? `Click on the picture to add points (${n} so far, at least 3).`
      : `${n} points. Drag a point to move it, drag a small dot to insert one, select a point and press Delete to remove it.`;
  }
  zoneName.addEventListener("input", () => {
    if (state.zone) {
      state.zone.name = zoneName.value;
      draw();
    }
  });
  zoneKind.addEventListener("change", () => {
    if (state.zone) {
      state.zone.kind = zoneKind.value;
      draw();
    }
  });
  function undoPoint() {
    if (!state.zone || !state.zone.polygon.length) return;
    state.zone.polygon.pop();
    state.selectedVertex = null;
    updateZoneForm();
    draw();
  }
  zoneForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const zone = state.zone;
    const body = { name: zoneName.value, kind: zoneKind.value, polygon: zone.polygon.map(([x, y]) => [round(x), round(y)]) };
    try {
      const saved = zone.id ? await api.put(`/admin/cameras/${id}/zones/${zone.id}`, body) : await api.post(`/admin/cameras/${id}/zones`, body);
      setVersion(saved.config_version);
      notify(`Zone “${saved.zone.name}” saved (config version ${saved.config_version}).`);
      await loadZones();
      editZone(null);
    } catch (exc) {
      showErrors(zoneForm, exc);
    }
  });
  async function deleteZone() {
    const zone = state.zone;
    if (!zone || !zone.id || !window.confirm(`Delete zone “${zone.name}”?`)) return;
    try {
      await api.del(`/admin/cameras/${id}/zones/${zone.id}`);
      const cam = await api.get(`/admin/cameras/${id}`);
      setVersion(cam.config_version);
      notify(`Zone “${zone.name}” deleted.`);
      await loadZones();
      editZone(null);
    } catch (exc) {
      notify(exc.message, "error");
    }
  }
  async function loadZones() {
    const page = await api.get(`/admin/cameras/${id}/zones`, { limit: 200 });
    state.zones = page.items;
    renderZoneList();
    draw();
  }

  // ----- snapshot -----
  async function loadSnapshot() {
    try {
      const { blob, headers } = await api.request("GET", `/admin/cameras/${id}/snapshot`, undefined, { blob: true });
      const width = Number(headers.get("X-Snapshot-Width")) || 0;
      const height = Number(headers.get("X-Snapshot-Height")) || 0;
      const captured = headers.get("X-Captured-At");
      if (blobUrl) URL.revokeObjectURL(blobUrl);
      blobUrl = URL.createObjectURL(blob);
      await new Promise((resolve, reject) => {
        img.onload = resolve;
        img.onerror = reject;
        img.src = blobUrl;
      });
      state.size = [width || img.naturalWidth, height || img.naturalHeight];
      state.capturedAt = captured;
      stage.classList.add("has-snapshot");
      stage.style.setProperty("--aspect", `${state.size[0]} / ${state.size[1]}`);
      snapInfo.textContent = `Snapshot ${state.size[0]}×${state.size[1]} captured ${when(captured)} (${age((Date.now() - new Date(captured)) / 1000)} ago).`;
      return captured;
    } catch (exc) {
      if (exc instanceof api.ApiError && exc.status === 404) {
        stage.classList.remove("has-snapshot");
        snapInfo.textContent = "No snapshot yet: the worker uploads one after it starts, or when asked.";
        return null;
      }
      throw exc;
    } finally {
      draw();
    }
  }
  const requestButton = h("button", { type: "button", class: "btn", id: "request-snapshot", text: "Request fresh snapshot" });
  requestButton.addEventListener("click", async () => {
    try {
      await api.post(`/admin/cameras/${id}/snapshot-request`);
      notify("Snapshot requested: the worker uploads one after its next config poll. This page updates when it arrives.");
      const before = state.capturedAt;
      let tries = 0;
      const timer = setInterval(async () => {
        tries += 1;
        try {
          const captured = await loadSnapshot();
          if ((captured && captured !== before) || tries >= SNAPSHOT_POLL_TRIES) {
            clearInterval(timer);
            timers.delete(timer);
          }
        } catch (exc) {
          clearInterval(timer);
          timers.delete(timer);
        }
      }, SNAPSHOT_POLL_MS);
      timers.add(timer);
    } catch (exc) {
      notify(exc.message, "error");
    }
  });
  const reloadButton = h("button", { type: "button", class: "btn btn-quiet", text: "Reload", onclick: () => loadSnapshot().catch((exc) => notify(exc.message, "error")) });

  const version = h("strong", { id: "config-version", text: String(camera.config_version) });
  function setVersion(v) {
    version.textContent = String(v);
  }

  replace(
    main,
    crumbs([`#/stores/${store.id}`, store.name], [`#/cameras/${camera.id}`, camera.name]),
    h("h1", { text: `Calibrate ${camera.name}` }),
    h("p", { class: "hint" }, "Config version ", version, camera.is_counting_line ? " · counting-line camera" : " · zone camera (its line is not used for footfall)"),
    h(
      "div",
      { class: "calibrate" },
      h("div", { class: "stage-col" }, stage, h("div", { class: "actions snapshot-actions" }, snapInfo, requestButton, reloadButton)),
      h("div", { class: "stack side" }, lineForm, zonesPanel),
    ),
  );

  const resize = new ResizeObserver(() => draw());
  resize.observe(overlay);
  syncLineInputs();
  await Promise.all([loadSnapshot(), loadZones()]);
  return () => {
    resize.disconnect();
    for (const timer of timers) clearInterval(timer);
    if (blobUrl) URL.revokeObjectURL(blobUrl);
  };
}
