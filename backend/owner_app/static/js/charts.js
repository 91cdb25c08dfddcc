// uPlot wrappers for the store page: footfall per bucket as bars, occupancy over the day as lines. The x
// axis is real time in the STORE's timezone (uPlot.tzDate), so a 23- or 25-hour DST day is drawn as it was.
// A bucket that was not counted is a hatched grey band, never a zero bar: null means "not measured".

import uPlot from "/app/vendor/uplot-1.6.32/uPlot.esm.js";
import * as fmt from "./format.js";

const HEIGHT_PX = 240;
const PHONE_HEIGHT_PX = 200;
const COUNT_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000, 100000];

const epoch = (iso) => new Date(iso).getTime() / 1000;

/**
 * What a bucket holds: "covered" (a value, maybe partial: see `coverage`), "closed" (no value and no open
 * time by the opening hours, `open_s` 0: drawn empty), "pending" (nothing of it has happened yet: drawn
 * empty) or "uncovered" (open, over, and nobody counted: drawn hatched, never as a zero).
 * `valueKey` is the bucket's figure (`in_count` for footfall, `avg_occupancy` for occupancy).
 */
export function bucketState(b, valueKey) {
  if (b[valueKey] !== null && b[valueKey] !== undefined) return "covered";
  if (b.open_s === 0) return "closed";
  if (!b.complete && (b.coverage === null || b.coverage === undefined)) return "pending";
  return "uncovered";
}

function cssVar(el, name, fallback) {
  const value = getComputedStyle(el).getPropertyValue(name).trim();
  return value || fallback;
}

function hatchPattern(ctx, color) {
  const tile = document.createElement("canvas");
  const size = Math.round(10 * (window.devicePixelRatio || 1));
  tile.width = size;
  tile.height = size;
  const t = tile.getContext("2d");
  t.fillStyle = "#eceff3";
  t.fillRect(0, 0, size, size);
  t.strokeStyle = color;
  t.lineWidth = Math.max(1, size / 8);
  t.beginPath();
  // Two strokes so the diagonal joins seamlessly across tiles.
  t.moveTo(0, size);
  t.lineTo(size, 0);
  t.moveTo(-size / 2, size / 2);
  t.lineTo(size / 2, -size / 2);
  t.moveTo(size / 2, size * 1.5);
  t.lineTo(size * 1.5, size / 2);
  t.stroke();
  return ctx.createPattern(tile, "repeat");
}

/** A uPlot plugin that fills the uncovered buckets' time spans with a hatched band behind the series. */
function uncoveredBands(spans, color) {
  let pattern = null;
  return {
    hooks: {
      drawClear: [
        (u) => {
          if (!spans.length) return;
          const { ctx } = u;
          pattern = pattern || hatchPattern(ctx, color);
          const { top, height } = u.bbox;
          ctx.save();
          ctx.fillStyle = pattern;
          for (const [start, end] of spans) {
            const x0 = u.valToPos(start, "x", true);
            const x1 = u.valToPos(end, "x", true);
            ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
          }
          ctx.restore();
        },
      ],
    },
  };
}

function widthOf(el) {
  return Math.max(260, Math.floor(el.clientWidth || el.getBoundingClientRect().width || 600));
}
const heightFor = (width) => (width < 500 ? PHONE_HEIGHT_PX : HEIGHT_PX);

function axisFormatter(timeZone, bucket) {
  return (u, splits) =>
    splits.map((s) =>
      s === null || s === undefined ? "" : bucket === "day" ? fmt.day(fmt.todayIn(timeZone, new Date(s * 1000)), { day: "numeric", month: "short" }) : fmt.time(new Date(s * 1000).toISOString(), timeZone),
    );
}

function baseOptions(container, { timeZone, bucket, buckets, spans, hatchColor }) {
  const width = widthOf(container);
  const first = epoch(buckets[0].start);
  const last = epoch(buckets[buckets.length - 1].end);
  return {
    width,
    height: heightFor(width),
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
    scales: { x: { time: true, range: () => [first, last] } },
    cursor: { y: false, points: { show: false }, drag: { x: false, y: false } },
    legend: { show: true, live: true },
    plugins: [uncoveredBands(spans, hatchColor)],
    series: [
      {
        label: bucket === "day" ? "Day" : "Time",
        value: (u, v, sidx, idx) => (idx === null || idx === undefined ? fmt.DASH : fmt.range(buckets[idx].start, buckets[idx].end, timeZone, bucket)),
      },
    ],
    axes: [
      { values: axisFormatter(timeZone, bucket), stroke: "#3d4756", grid: { show: false } },
      { stroke: "#3d4756", grid: { stroke: "#e3e7ec" }, size: 48 },
    ],
  };
}

/** Keep the chart as wide as its container (phones, window resizes). Returns the observer's disconnect. */
function fit(u, container) {
  const observer = new ResizeObserver(() => {
    const width = widthOf(container);
    if (Math.abs(width - u.width) > 2) u.setSize({ width, height: heightFor(width) });
  });
  observer.observe(container);
  return () => observer.disconnect();
}

function mount(container, opts, data) {
  container.replaceChildren();
  const u = new uPlot(opts, data, container);
  const unfit = fit(u, container);
  return {
    destroy() {
      unfit();
      u.destroy();
    },
  };
}

const midpoints = (buckets) => buckets.map((b) => (epoch(b.start) + epoch(b.end)) / 2);
const uncoveredSpans = (buckets, key) => buckets.filter((b) => bucketState(b, key) === "uncovered").map((b) => [epoch(b.start), epoch(b.end)]);

/**
 * Bars of `in_count` per footfall bucket into `container` (emptied first); fully covered buckets in the
 * brand colour, partly covered ones lighter, uncovered ones a hatched band. Returns {destroy()}.
 * `buckets`: FootfallBucket[] (docs/analytics.md), at least one.
 */
export function footfallChart(container, buckets, { timeZone, bucket }) {
  const full = cssVar(container, "--chart-covered", "#1f4f8f");
  const partial = cssVar(container, "--chart-partial", "#7c9cc8");
  const hatch = cssVar(container, "--chart-hatch", "#8a94a3");
  const opts = baseOptions(container, { timeZone, bucket, buckets, spans: uncoveredSpans(buckets, "in_count"), hatchColor: hatch });
  const colors = buckets.map((b) => (b.in_count === null ? null : b.covered ? full : partial));
  opts.scales.y = { range: (u, min, max) => [0, Math.max(4, Math.ceil((max || 0) * 1.1))] };
  opts.axes[1].incrs = COUNT_INCRS;
  opts.axes[1].values = (u, splits) => splits.map((v) => fmt.count(v));
  opts.series.push({
    label: "Entries",
    width: 0,
    fill: full,
    points: { show: false },
    paths: uPlot.paths.bars({ size: [0.86, 80], align: 0, disp: { fill: { unit: 3, values: () => colors } } }),
    value: (u, v, sidx, idx) => {
      if (idx === null || idx === undefined) return fmt.DASH;
      const b = buckets[idx];
      const state = bucketState(b, "in_count");
      if (state === "pending") return "not yet";
      if (state === "uncovered") return "not counted";
      if (state === "closed") return "closed";
      return b.covered ? fmt.count(v) : `${fmt.count(v)} (${fmt.percent(b.coverage, 0)} counted)`;
    },
  });
  return mount(container, opts, [midpoints(buckets), buckets.map((b) => b.in_count)]);
}

/**
 * Lines of average and peak occupancy per bucket of a day into `container`; null buckets are gaps, and
 * uncovered ones a hatched band. Returns {destroy()}. `buckets`: the occupancy route's buckets.
 */
export function occupancyChart(container, buckets, { timeZone, bucket }) {
  const avg = cssVar(container, "--chart-covered", "#1f4f8f");
  const peak = cssVar(container, "--chart-peak", "#b34a00");
  const hatch = cssVar(container, "--chart-hatch", "#8a94a3");
  const opts = baseOptions(container, { timeZone, bucket, buckets, spans: uncoveredSpans(buckets, "avg_occupancy"), hatchColor: hatch });
  opts.scales.y = { range: (u, min, max) => [0, Math.max(4, Math.ceil((max || 0) * 1.1))] };
  opts.axes[1].incrs = COUNT_INCRS;
  opts.axes[1].values = (u, splits) => splits.map((v) => fmt.count(v));
  const few = buckets.length <= 30;
  opts.series.push(
    { label: "Average", stroke: avg, width: 2, points: { show: few, size: 5 }, value: (u, v) => fmt.occupancy(v) },
    { label: "Peak", stroke: peak, width: 1.5, dash: [6, 4], points: { show: few, size: 4 }, value: (u, v) => fmt.count(v) },
  );
  return mount(container, opts, [midpoints(buckets), buckets.map((b) => b.avg_occupancy), buckets.map((b) => b.peak_occupancy)]);
}
