// /app/stores/<id>[?period=day|week|month&date=YYYY-MM-DD&bucket=15m|hour|day]: the live panel, then one
// period (store-local dates, default the store's today) with every dashboard figure, footfall and occupancy
// charts, funnel, zones and anomalies, the footfall CSV, and the POS upload for owners. The period lives
// in the query string, so a reload or a shared link shows the same view.
//
// Calls: GET /stores/{id} (404: the not-found page, also for another organization's store), GET /me (role),
// /live (polled), /dashboard, /footfall, /occupancy (day only), /funnel, /heatmap, /anomalies, /cameras
// and /cameras/{id}/snapshot, /footfall?format=csv (download), POST /transactions/csv (owners).

import * as api from "../api.js";
import { h, replace } from "../dom.js";
import * as fmt from "../format.js";
import { notify } from "../notice.js";
import { setQuery } from "../router.js";
import { failure, section } from "../ui.js";
import { livePanel } from "./live.js";
import { renderNotFound } from "./notfound.js";
import { anomaliesView, completeUntil, dashboardTiles, footfallView, funnelView, occupancyView } from "./period.js";
import { posPanel } from "./pos.js";
import { zonesView } from "./zones.js";

const PERIODS = [
  ["day", "Day"],
  ["week", "Week"],
  ["month", "Month"],
];
const BUCKETS = { day: ["15m", "hour"], week: ["day", "hour"], month: ["day", "hour"] };
const BUCKET_LABEL = { "15m": "15 minutes", hour: "Hour", day: "Day" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const YMD = /^\d{4}-\d{2}-\d{2}$/;

const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "store";

function initialState(query, today) {
  const period = PERIODS.some(([k]) => k === query.get("period")) ? query.get("period") : "day";
  const date = YMD.test(query.get("date") || "") && !Number.isNaN(fmt.ymdToDate(query.get("date")).getTime()) ? query.get("date") : today;
  const bucket = BUCKETS[period].includes(query.get("bucket")) ? query.get("bucket") : BUCKETS[period][period === "day" ? 1 : 0];
  return { period, date, bucket };
}

export async function render(main, { params, query }) {
  const id = params[0];
  if (!UUID.test(id)) return renderNotFound(main, "store");
  let store;
  try {
    store = await api.get(`/stores/${id}`);
  } catch (exc) {
    if (exc.status === 404 || exc.status === 422) return renderNotFound(main, "store");
    throw exc;
  }
  const tz = store.timezone;
  const role = await api.roleIn(store.org_id);
  document.title = `${store.name} · Store Intelligence`;
  const today = fmt.todayIn(tz);
  const state = initialState(query, today);
  const cleanups = [];
  let periodCleanups = [];
  let controller = null;
  let camerasPromise = null;

  const live = livePanel(store);
  cleanups.push(() => live.stop());

  // ----- period controls -----
  const periodButtons = PERIODS.map(([kind, label]) =>
    h("button", { type: "button", class: "btn seg", text: label, "data-testid": `period-${kind}`, onclick: () => change({ period: kind, bucket: null }) }),
  );
  const dateInput = h("input", { type: "date", id: "period-date", name: "date", max: today, required: true, "data-testid": "date-input" });
  dateInput.addEventListener("change", () => {
    if (YMD.test(dateInput.value)) change({ date: dateInput.value });
  });
  const prevButton = h("button", { type: "button", class: "btn", "data-testid": "period-prev", onclick: () => change({ date: fmt.stepPeriod(state.period, state.date, -1) }) }, h("span", { "aria-hidden": "true", text: "‹ " }), "Previous");
  const nextButton = h("button", { type: "button", class: "btn", "data-testid": "period-next", onclick: () => change({ date: fmt.stepPeriod(state.period, state.date, 1) }) }, "Next", h("span", { "aria-hidden": "true", text: " ›" }));
  const todayButton = h("button", { type: "button", class: "btn btn-quiet", text: "Today", "data-testid": "period-today", onclick: () => change({ date: today }) });
  const periodTitle = h("h2", { id: "period-title", class: "period-title", "aria-live": "polite" });
  const controls = h(
    "section",
    { class: "panel period-bar", "aria-labelledby": "period-title" },
    periodTitle,
    h(
      "div",
      { class: "period-controls" },
      h("div", { class: "segmented", role: "group", "aria-label": "Period" }, periodButtons),
      h("div", { class: "date-field" }, h("label", { for: "period-date", text: "Date" }), dateInput),
      h("div", { class: "stepper" }, prevButton, nextButton, todayButton),
    ),
  );

  // ----- sections -----
  const figures = section("Figures", { id: "figures", testid: "figures" });
  const bucketSelect = h("select", { id: "bucket", name: "bucket", "data-testid": "bucket-select" });
  bucketSelect.addEventListener("change", () => change({ bucket: bucketSelect.value }));
  const download = h("button", { type: "button", class: "btn", text: "Download CSV", "data-testid": "download-csv" });
  download.addEventListener("click", downloadCsv);
  const footfall = section("Footfall", {
    id: "footfall",
    testid: "footfall",
    extra: h("div", { class: "inline-controls" }, h("label", { for: "bucket", text: "Per" }), bucketSelect, download),
  });
  const occupancy = section("Occupancy over the day", { id: "occupancy", testid: "occupancy" });
  const funnel = section("Funnel", { id: "funnel", testid: "funnel" });
  const anomalies = section("Anomalies", { id: "anomalies", testid: "anomalies" });
  const zones = section("Zones", { id: "zones", testid: "zones" });

  const pos = role === "owner" ? posPanel(store.id, () => loadPeriod()) : null;

  replace(
    main,
    h(
      "div",
      { class: "page-head" },
      h("p", { class: "crumbs" }, h("a", { href: "/app/", text: "Stores" })),
      h("h1", { text: store.name }),
      h("p", { class: "hint", text: [store.address, `Times in ${tz}`].filter(Boolean).join(" · ") }),
    ),
    live.el,
    controls,
    figures.el,
    footfall.el,
    occupancy.el,
    h("div", { class: "two-col" }, funnel.el, anomalies.el),
    zones.el,
    pos,
  );

  function change(patch) {
    Object.assign(state, patch);
    if (!BUCKETS[state.period].includes(state.bucket)) state.bucket = BUCKETS[state.period][state.period === "day" ? 1 : 0];
    if (state.date > today) state.date = today;
    setQuery({ period: state.period === "day" ? null : state.period, date: state.date === today ? null : state.date, bucket: state.bucket === BUCKETS[state.period][state.period === "day" ? 1 : 0] ? null : state.bucket });
    loadPeriod();
  }

  function syncControls() {
    for (const [i, [kind]] of PERIODS.entries()) periodButtons[i].setAttribute("aria-pressed", String(kind === state.period));
    dateInput.value = state.date;
    nextButton.disabled = fmt.periodDays(state.period, state.date).last >= today;
    todayButton.disabled = fmt.periodDays(state.period, state.date).last >= today;
    periodTitle.textContent = fmt.periodLabel(state.period, state.date);
    bucketSelect.replaceChildren(...BUCKETS[state.period].map((b) => h("option", { value: b, selected: b === state.bucket, text: BUCKET_LABEL[b] })));
    occupancy.el.hidden = state.period !== "day";
  }

  function footfallQuery() {
    const { first, last } = fmt.periodDays(state.period, state.date);
    return { from: first, to: last, bucket: state.bucket };
  }

  async function downloadCsv() {
    const q = footfallQuery();
    download.disabled = true;
    try {
      const { blob } = await api.request("GET", `/stores/${store.id}/footfall`, { query: { ...q, format: "csv" }, blob: true });
      const url = URL.createObjectURL(blob);
      const name = `footfall-${slug(store.name)}-${q.from}${q.to !== q.from ? `_${q.to}` : ""}-${q.bucket}.csv`;
      const a = h("a", { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (exc) {
      notify(`The CSV could not be downloaded: ${exc.message}`, "error");
    } finally {
      download.disabled = false;
    }
  }

  /** Fill `target` from `promise` with `build(answer)` → node or {el, draw?, destroy?}. */
  async function fill(target, promise, what, build) {
    try {
      const built = build(await promise);
      if (controller.signal.aborted) return;
      if (built && built.el) {
        replace(target, built.el);
        if (built.draw) built.draw();
        if (built.destroy) periodCleanups.push(() => built.destroy());
      } else replace(target, built);
    } catch (exc) {
      if (exc.name === "AbortError" || controller.signal.aborted) return;
      replace(target, exc.status === 404 ? h("p", { class: "empty", text: `${what} is not available yet.` }) : failure(exc, what));
    }
  }

  function loadPeriod() {
    if (controller) controller.abort();
    for (const fn of periodCleanups) fn();
    periodCleanups = [];
    controller = new AbortController();
    const { signal } = controller;
    syncControls();
    const q = { period: state.period, date: state.date };
    const base = `/stores/${store.id}`;
    // `data-period-state` on <main> says when every section of this period has answered (tests, bench).
    main.dataset.periodState = "loading";
    const pending = [];
    for (const s of [figures, footfall, occupancy, funnel, anomalies, zones]) replace(s.body, h("p", { class: "loading", text: "Loading…" }));
    pending.push(fill(figures.body, api.get(`${base}/dashboard`, q, { signal }), "The figures", (d) => h("div", {}, dashboardTiles(d, tz, state.period), completeUntil(d, tz))));
    pending.push(fill(footfall.body, api.get(`${base}/footfall`, footfallQuery(), { signal }), "Footfall", (f) => footfallView(f, tz)));
    if (state.period === "day") {
      const bucket = state.bucket === "15m" ? "15m" : "hour";
      pending.push(fill(occupancy.body, api.get(`${base}/occupancy`, { date: state.date, bucket }, { signal }), "Occupancy over the day", (o) => occupancyView(o, tz)));
    }
    pending.push(fill(funnel.body, api.get(`${base}/funnel`, q, { signal }), "The funnel", funnelView));
    pending.push(fill(anomalies.body, api.get(`${base}/anomalies`, q, { signal }), "Anomalies", (a) => anomaliesView(a, tz)));
    // Cameras and zones do not change with the period: fetch them once; the heatmap per period.
    if (!camerasPromise) camerasPromise = api.get(`${base}/cameras`).catch(() => null);
    const zonesData = Promise.all([camerasPromise, api.get(`${base}/heatmap`, q, { signal })]);
    pending.push(fill(zones.body, zonesData, "Zones", ([cameras, heatmap]) => zonesView(store.id, cameras, heatmap)));
    Promise.allSettled(pending).then(() => {
      if (!signal.aborted) main.dataset.periodState = "ready";
    });
  }

  loadPeriod();
  return () => {
    delete main.dataset.periodState;
    if (controller) controller.abort();
    for (const fn of [...periodCleanups, ...cleanups]) fn();
  };
}
