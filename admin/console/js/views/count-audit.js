// Count audit of one camera: record a hand count (IN and OUT over a window typed in the store's local time,
// sent as UTC) and see the camera's past audits with their accuracy against the stored events. The page also
// says how to do a recorded audit with `storeintel-worker preview` (docs/admin-console.md).

import * as api from "../api.js";
import { clearErrors, crumbs, field, formError, h, replace, showErrors } from "../dom.js";
import { PAGE_SIZE, go, offsetOf, pager, table } from "../list.js";
import { notify } from "../notice.js";

const pad = (n) => String(n).padStart(2, "0");

/** The wall-clock fields of instant `ms` (epoch milliseconds) in IANA zone `timeZone`, as numbers. */
function wallParts(ms, timeZone) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(ms));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return { y: get("year"), mo: get("month"), d: get("day"), h: get("hour"), mi: get("minute"), s: get("second") };
}

/** "2026-12-07T09:30" (the value of an <input type=datetime-local>) of instant `ms` in `timeZone`. */
function wallValue(ms, timeZone) {
  const p = wallParts(ms, timeZone);
  return `${p.y}-${pad(p.mo)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}`;
}

/** "2026-12-07 09:30" of an ISO instant in `timeZone`, or "—". */
function wallText(iso, timeZone) {
  return iso ? wallValue(Date.parse(iso), timeZone).replace("T", " ") : "—";
}

/**
 * The UTC instant (a Date) of a store-local wall time "YYYY-MM-DDTHH:MM[:SS]" in `timeZone`, or null for an
 * empty or malformed value. The zone's offset is read at a first guess and again at the corrected instant,
 * which settles the days the clocks change (a time skipped by the change moves forward by the gap).
 */
export function wallToUtc(value, timeZone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value || "");
  if (!m) return null;
  const asUtc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  const offset = (ms) => {
    const p = wallParts(ms, timeZone);
    return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - Math.floor(ms / 1000) * 1000;
  };
  const guess = asUtc - offset(asUtc);
  return new Date(asUtc - offset(guess));
}

/** An accuracy 0..1 as "96.5 %", or "—" when not measured (null). */
function percent(value) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)} %`;
}

/** The overall accuracy with a "below target" badge when the audit is flagged. */
export function accuracyCell(audit) {
  if (!audit) return "—";
  return [percent(audit.accuracy), audit.below_target ? [" ", h("span", { class: "badge badge-offline", text: "below target" })] : null];
}

/** The form: window start/end in store time (the UTC instants shown under them), hand IN, OUT, note. */
function auditForm(camera, timeZone, recorded) {
  const now = Date.now();
  const start = h("input", { type: "datetime-local", name: "window_start", value: wallValue(now - 3600_000, timeZone), required: true });
  const end = h("input", { type: "datetime-local", name: "window_end", value: wallValue(now, timeZone), required: true });
  const handIn = h("input", { type: "number", name: "hand_in", min: "0", step: "1", inputmode: "numeric", required: true });
  const handOut = h("input", { type: "number", name: "hand_out", min: "0", step: "1", inputmode: "numeric", required: true });
  const note = h("textarea", { name: "note", rows: "2", maxlength: "1000" });
  const utc = h("p", { class: "hint", id: "audit-utc", role: "status" });
  const showUtc = () => {
    const [a, b] = [wallToUtc(start.value, timeZone), wallToUtc(end.value, timeZone)];
    utc.textContent = a && b ? `In UTC: ${a.toISOString().slice(0, 16).replace("T", " ")} to ${b.toISOString().slice(0, 16).replace("T", " ")}` : "";
  };
  start.addEventListener("input", showUtc);
  end.addEventListener("input", showUtc);
  showUtc();
  const form = h(
    "form",
    { class: "panel", id: "audit-form", "aria-labelledby": "audit-form-title", novalidate: true },
    h("h2", { id: "audit-form-title", text: "Record a hand count" }),
    h("p", { class: "hint", text: `Times are the store's local time (${timeZone}). Events stamped at the start count, at the end do not.` }),
    field("Window start", start, { field: "window_start" }),
    field("Window end", end, { field: "window_end" }),
    utc,
    h("div", { class: "row2" }, field("Counted IN", handIn, { field: "hand_in" }), field("Counted OUT", handOut, { field: "hand_out" })),
    field("Note", note, { field: "note", hint: "Who counted, live at the door or from a recording, anything unusual." }),
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary", text: "Record audit" })),
  );
  // Send what was typed: an empty or odd value goes to the API, whose 422 is shown next to the field.
  const count = (input) => (input.value === "" ? null : Number(input.value));
  const instant = (input) => {
    const at = wallToUtc(input.value, timeZone);
    return at ? at.toISOString() : input.value || null;
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      window_start: instant(start),
      window_end: instant(end),
      hand_in: count(handIn),
      hand_out: count(handOut),
      note: note.value.trim() || null,
    };
    try {
      const audit = await api.post(`/admin/cameras/${camera.id}/count-audits`, body);
      clearErrors(form);
      handIn.value = "";
      handOut.value = "";
      note.value = "";
      notify(`Audit recorded: accuracy ${percent(audit.accuracy)} (IN ${percent(audit.accuracy_in)}, OUT ${percent(audit.accuracy_out)}).`);
      await recorded(audit);
    } catch (exc) {
      showErrors(form, exc);
    }
  });
  return form;
}

/** How to count from a recording with `storeintel-worker preview`, with this camera's line filled in. */
function recordedHowTo(line) {
  const lineArgs = line ? `--line ${line.x1},${line.y1},${line.x2},${line.y2} --in-side ${line.in_side}` : "--line x1,y1,x2,y2 --in-side left|right";
  const command = `storeintel-worker preview --source recording.mp4 --out annotated.mp4 ${lineArgs}`;
  return h(
    "section",
    { class: "panel", id: "audit-howto", "aria-labelledby": "audit-howto-title" },
    h("h2", { id: "audit-howto-title", text: "A recorded audit with storeintel-worker preview" }),
    h(
      "ol",
      {},
      h("li", { text: "Export the camera's recording of the window from the recorder, and note its start and end in store time." }),
      h("li", {}, "Draw this camera's counting line on it (on a machine with the worker installed):", h("pre", {}, h("code", { text: command }))),
      h("li", { text: "Watch annotated.mp4 and count by hand each person who crosses the yellow line: towards the green IN arrow is IN, away from it is OUT. Pause and step back where people walk in groups." }),
      h("li", { text: "Record the window and your counts here. The comparison is with the events the camera's worker delivered, so record once its outbox is empty (Health)." }),
    ),
    h("p", {
      class: "hint",
      text: line
        ? "preview prints its own IN and OUT at the end. Close to your count while the audit is low: events were lost or arrived late. Close to the stored counts: detection or the line's placement is the cause. Pass the camera's --imgsz, --conf and --target-fps for the same settings."
        : "This camera has no counting line yet: calibrate it first.",
    }),
  );
}

export async function render(main, { id, query }) {
  const offset = offsetOf(query);
  const camera = await api.get(`/admin/cameras/${id}`);
  const [store, org] = await Promise.all([api.get(`/admin/stores/${camera.store_id}`), api.get(`/admin/organizations/${camera.org_id}`)]);
  let line = null;
  try {
    line = await api.get(`/admin/cameras/${id}/counting-line`);
  } catch (exc) {
    if (exc.status !== 404) throw exc;
  }
  const timeZone = store.timezone;
  const list = h("div", { id: "audit-list" });
  const path = `/cameras/${id}/count-audit`;

  async function load() {
    const page = await api.get(`/admin/cameras/${id}/count-audits`, { offset, limit: PAGE_SIZE, sort: "-window_end" });
    replace(
      list,
      table(
        "Count audits",
        [
          { label: `Window (${timeZone})`, cell: (a) => `${wallText(a.window_start, timeZone)} – ${wallText(a.window_end, timeZone).slice(11)}` },
          { label: "Hand IN / OUT", class: "num", cell: (a) => `${a.hand_in} / ${a.hand_out}` },
          { label: "System IN / OUT", class: "num", cell: (a) => `${a.system_in} / ${a.system_out}` },
          { label: "Accuracy IN / OUT", class: "num", cell: (a) => `${percent(a.accuracy_in)} / ${percent(a.accuracy_out)}` },
          { label: "Accuracy", class: "num", cell: accuracyCell },
          { label: "Note", cell: (a) => a.note || "—" },
          { label: "Recorded", cell: (a) => wallText(a.created_at, timeZone) },
        ],
        page.items,
        { empty: "No audits yet." },
      ),
      pager(page, (next) => go(path, { offset: next })),
    );
  }

  replace(
    main,
    crumbs([`#/organizations/${org.id}`, org.name], [`#/stores/${store.id}`, store.name], [`#/cameras/${id}`, camera.name]),
    h("h1", { text: `Count audit: ${camera.name}` }),
    h(
      "div",
      { class: "layout" },
      h(
        "div",
        { class: "grow stack" },
        h("section", { class: "panel", "aria-label": "Past count audits" }, h("h2", { text: "Past audits" }), list),
        recordedHowTo(line),
      ),
      h("div", { class: "side" }, auditForm(camera, timeZone, () => (offset ? go(path) : load()))),
    ),
  );
  await load();
}
