// The store page's period view, one builder per section: the dashboard figures, footfall and occupancy
// charts with their tables, the funnel and the anomalies. Each takes the route's JSON (docs/analytics.md)
// and returns elements; the store page (store.js) fetches and places them.

import { footfallChart, occupancyChart, bucketState } from "../charts.js";
import { h } from "../dom.js";
import * as fmt from "../format.js";
import { raw, table, tile } from "../ui.js";

const PREVIOUS = { day: "previous day", week: "previous week", month: "previous month" };
const BUCKET_WORD = { "15m": "quarter-hour", hour: "hour", day: "day" };

function hooked(name, value, text, cls = null) {
  return h("span", { class: cls, dataset: { figure: name, value: raw(value) }, text });
}

/** Every figure of a DashboardOut, each with its change against the previous period. */
export function dashboardTiles(d, tz, kind) {
  const prev = PREVIOUS[kind];
  const when = (iso) => (kind === "day" ? fmt.time(iso, tz) : fmt.dateTime(iso, tz));
  const peak = tile("peak_occupancy", "Peak occupancy", d.peak_occupancy, fmt.count, { previousLabel: prev });
  peak.querySelector(".tile-value").after(h("p", { class: "tile-note" }, d.peak_occupancy_at ? "at " : "", hooked("peak_occupancy_at", d.peak_occupancy_at, d.peak_occupancy_at ? when(d.peak_occupancy_at) : "")));
  const busiestText = d.busiest_hour ? `${when(d.busiest_hour)}–${fmt.time(new Date(new Date(d.busiest_hour).getTime() + 3600_000).toISOString(), tz)}` : fmt.DASH;
  const busiest = h(
    "div",
    { class: "tile" },
    h("h3", { class: "tile-label", text: "Busiest hour" }),
    h("p", { class: `tile-value tile-value-small${d.busiest_hour ? "" : " is-null"}`, dataset: { figure: "busiest_hour", value: raw(d.busiest_hour) }, text: busiestText }),
    h("p", { class: "tile-note" }, hooked("busiest_hour_entries", d.busiest_hour_entries, fmt.count(d.busiest_hour_entries)), " entries in that hour"),
  );
  return h(
    "div",
    { class: "tiles" },
    tile("footfall", "Footfall (entries)", d.footfall, fmt.count, { previousLabel: prev }),
    tile("exits", "Exits", d.exits, fmt.count, { previousLabel: prev }),
    tile("avg_occupancy", "Average occupancy", d.avg_occupancy, fmt.occupancy, { previousLabel: prev, note: "people, over measured open hours" }),
    peak,
    tile("avg_dwell_s", "Average visit (dwell)", d.avg_dwell_s, fmt.duration, { previousLabel: prev, note: "Little's law: occupancy ÷ entries" }),
    busiest,
    tile("transactions", "Transactions", d.transactions, fmt.count, { previousLabel: prev, note: d.transactions.value === null ? "no POS data" : "from the POS" }),
    tile("conversion_rate", "Conversion", d.conversion_rate, (v) => fmt.percent(v, 1), { previousLabel: prev, note: "transactions ÷ entries" }),
    tile("coverage", "Coverage", d.coverage, (v) => fmt.percent(v, 1), { previousLabel: prev, note: "open hours with every counting camera reporting" }),
  );
}

/** "Counted up to 14:45 (complete quarter-hours only)" with the complete_until hook. */
export function completeUntil(d, tz) {
  return h(
    "p",
    { class: "hint" },
    d.complete_until ? "Counted up to " : "Nothing of this period has passed yet.",
    hooked("complete_until", d.complete_until, d.complete_until ? fmt.dateTime(d.complete_until, tz) : ""),
    d.complete_until ? " (complete quarter-hours only). Not measured: —." : "",
  );
}

function stateText(b, key) {
  const state = bucketState(b, key);
  if (state === "pending") return "not yet";
  if (state === "uncovered") return "not counted";
  if (state === "closed") return "closed";
  return b.covered ? "counted" : "partly counted";
}

/** A one-line text summary of the footfall for screen readers (the chart's aria-label). */
function footfallSummary(buckets, tz, bucket) {
  const counted = buckets.filter((b) => b.in_count !== null);
  const uncovered = buckets.filter((b) => bucketState(b, "in_count") === "uncovered").length;
  const total = counted.reduce((a, b) => a + b.in_count, 0);
  const best = counted.reduce((a, b) => (a === null || b.in_count > a.in_count ? b : a), null);
  const word = BUCKET_WORD[bucket];
  let text = `Entries per ${word}: ${fmt.count(total)} in ${counted.length} counted ${word}s`;
  if (uncovered) text += `, ${uncovered} ${word}s not counted`;
  if (best && best.in_count > 0) text += `; busiest ${fmt.range(best.start, best.end, tz, bucket)} with ${fmt.count(best.in_count)}`;
  return `${text}. The table below has every ${word}.`;
}

/** Chart + "Show as table" for a FootfallOut. Returns {el, destroy()}. */
export function footfallView(f, tz) {
  const buckets = f.buckets;
  if (!buckets.length) return { el: h("p", { class: "empty", text: "No buckets in this range." }), draw() {}, destroy() {} };
  const chartEl = h("div", { class: "chart", role: "img", "aria-label": footfallSummary(buckets, tz, f.bucket) });
  const key = h(
    "ul",
    { class: "chart-key", "aria-label": "Key" },
    h("li", {}, h("span", { class: "swatch swatch-covered", "aria-hidden": "true" }), "counted"),
    h("li", {}, h("span", { class: "swatch swatch-partial", "aria-hidden": "true" }), "partly counted (see coverage)"),
    h("li", {}, h("span", { class: "swatch swatch-uncovered", "aria-hidden": "true" }), "not counted: a camera was not reporting"),
  );
  const rows = table(
    `Footfall per ${BUCKET_WORD[f.bucket]}`,
    [
      { label: f.bucket === "day" ? "Day" : "Time", rowHeader: true, cell: (b) => fmt.range(b.start, b.end, tz, f.bucket) },
      { label: "In", num: true, cell: (b) => fmt.count(b.in_count) },
      { label: "Out", num: true, cell: (b) => fmt.count(b.out_count) },
      { label: "Coverage", num: true, cell: (b) => fmt.percent(b.coverage, 0) },
      { label: "State", cell: (b) => stateText(b, "in_count") + (b.complete ? "" : " (in progress)") },
    ],
    buckets,
    {
      rowAttrs: (b) => ({
        class: `bucket-${bucketState(b, "in_count")}`,
        dataset: { bucketState: bucketState(b, "in_count"), start: b.start, inCount: raw(b.in_count), coverage: raw(b.coverage) },
      }),
    },
  );
  const el = h("div", {}, chartEl, key, h("details", { class: "as-table" }, h("summary", { text: "Show as table" }), rows));
  let chart = null;
  return {
    el,
    /** Draw once the element is in the document (uPlot measures its container). */
    draw() {
      chart = footfallChart(chartEl, buckets, { timeZone: tz, bucket: f.bucket });
    },
    destroy() {
      if (chart) chart.destroy();
    },
  };
}

/** Chart + table for the occupancy route's answer (one day). Returns {el, draw(), destroy()}. */
export function occupancyView(o, tz) {
  const buckets = o.buckets;
  if (!buckets.length) return { el: h("p", { class: "empty", text: "No buckets for this day." }), draw() {}, destroy() {} };
  const measured = buckets.filter((b) => b.avg_occupancy !== null);
  const peak = measured.reduce((a, b) => (b.peak_occupancy !== null && (a === null || b.peak_occupancy > a.peak_occupancy) ? b : a), null);
  const word = BUCKET_WORD[o.bucket];
  let summary = `Occupancy per ${word}: ${measured.length} of ${buckets.length} ${word}s measured`;
  if (peak) summary += `; highest ${fmt.count(peak.peak_occupancy)} people at ${fmt.range(peak.start, peak.end, tz, o.bucket)}`;
  const chartEl = h("div", { class: "chart", role: "img", "aria-label": `${summary}. The table below has every ${word}.` });
  const key = h(
    "ul",
    { class: "chart-key", "aria-label": "Key" },
    h("li", {}, h("span", { class: "swatch swatch-line", "aria-hidden": "true" }), "average"),
    h("li", {}, h("span", { class: "swatch swatch-peak", "aria-hidden": "true" }), "peak"),
    h("li", {}, h("span", { class: "swatch swatch-uncovered", "aria-hidden": "true" }), "not measured"),
  );
  const rows = table(
    `Occupancy per ${word}`,
    [
      { label: "Time", rowHeader: true, cell: (b) => fmt.range(b.start, b.end, tz, o.bucket) },
      { label: "Average", num: true, cell: (b) => fmt.occupancy(b.avg_occupancy) },
      { label: "Peak", num: true, cell: (b) => fmt.count(b.peak_occupancy) },
      { label: "Coverage", num: true, cell: (b) => fmt.percent(b.coverage, 0) },
      { label: "State", cell: (b) => stateText(b, "avg_occupancy") },
    ],
    buckets,
    { rowAttrs: (b) => ({ class: `bucket-${bucketState(b, "avg_occupancy")}`, dataset: { bucketState: bucketState(b, "avg_occupancy"), start: b.start } }) },
  );
  const el = h("div", {}, chartEl, key, h("details", { class: "as-table" }, h("summary", { text: "Show as table" }), rows));
  let chart = null;
  return {
    el,
    draw() {
      chart = occupancyChart(chartEl, buckets, { timeZone: tz, bucket: o.bucket });
    },
    destroy() {
      if (chart) chart.destroy();
    },
  };
}

const STAGES = {
  entries: "Entered the store",
  zone_visitors: "Visited a product zone",
  billing_visitors: "Visited the tills",
  transactions: "Bought (transactions)",
};

/** The funnel as a table with a proportional bar per stage. */
export function funnelView(f) {
  const max = Math.max(1, ...f.stages.map((s) => s.count || 0));
  const bar = (s) => {
    const fill = h("span", { class: "bar-fill" });
    fill.style.width = `${s.count === null ? 0 : Math.max(1, (100 * s.count) / max)}%`; // CSSOM: allowed by style-src
    return h("span", { class: `bar${s.count === null ? " bar-null" : ""}`, "aria-hidden": "true" }, fill);
  };
  return h(
    "div",
    {},
    table(
      "Visitor funnel",
      [
        { label: "Stage", rowHeader: true, cell: (s) => STAGES[s.stage] || s.stage },
        { label: "Count", num: true, cell: (s) => h("span", { dataset: { funnel: s.stage, value: raw(s.count) }, text: fmt.count(s.count) }) },
        { label: "From previous stage", num: true, cell: (s) => (s.stage === "entries" ? "" : fmt.percent(s.conversion_from_previous, 1)) },
        { label: "", cell: bar },
      ],
      f.stages,
      { captionHidden: true },
    ),
    h("p", { class: "hint" }, "Overall conversion (transactions ÷ entries): ", h("strong", { dataset: { funnel: "overall_conversion", value: raw(f.overall_conversion) }, text: fmt.percent(f.overall_conversion, 1) })),
    h("p", { class: "hint", text: "Each stage is counted on its own — nobody is followed across cameras — so a step can exceed 100 % (for example when visitors enter several zones)." }),
  );
}

const ANOMALY_TYPES = {
  camera_offline: "Camera offline",
  camera_stale: "Camera without a picture",
  queue_spike: "Long queue",
  footfall_drop: "Fewer visitors than usual",
  footfall_spike: "More visitors than usual",
  conversion_drop: "Conversion below usual",
  dead_zone: "Zone nobody visited",
  in_out_imbalance: "Entries and exits do not match",
};

/** The anomalies, most severe first (as the API sorts them). */
export function anomaliesView(a, tz) {
  if (!a.anomalies.length) return h("p", { class: "empty", "data-testid": "no-anomalies", text: "Nothing unusual in this period." });
  return h(
    "ul",
    { class: "anomalies" },
    a.anomalies.map((x) =>
      h(
        "li",
        { class: `anomaly severity-${x.severity}`, dataset: { anomaly: x.type, severity: x.severity } },
        h("span", { class: `badge badge-${x.severity}`, text: x.severity }),
        h(
          "div",
          { class: "anomaly-body" },
          h("h3", {}, ANOMALY_TYPES[x.type] || x.type, x.subject_name ? ` · ${x.subject_name}` : ""),
          h("p", { text: x.message }),
          h("p", { class: "hint", text: `${fmt.shortDateTime(x.start, tz)} – ${fmt.shortDateTime(x.end, tz)}` }),
        ),
      ),
    ),
  );
}
