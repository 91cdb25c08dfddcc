// Zones on the store page: for each camera with zones, its latest (person-blurred) snapshot with the zones
// drawn as an SVG overlay coloured by popularity (0..100, from the heatmap), and one table of visits and
// dwell for every zone. The snapshot needs the bearer token, so it is fetched as a blob and shown through
// an object URL. Coordinates from GET /stores/{id}/cameras are normalized 0..1 from the top-left, y down.

import * as api from "../api.js";
import { h, svg } from "../dom.js";
import * as fmt from "../format.js";
import { raw, table } from "../ui.js";

const FALLBACK_SIZE = [1280, 720]; // 16:9 when there is no snapshot
const HEAT_STEPS = 5;
const KINDS = { product: "Product", billing: "Billing (tills)", entrance: "Entrance", other: "Other" };

/** The colour class of a zone: heat-0 (least) … heat-4 (most visited), heat-null when not measured. */
function heatClass(zone) {
  if (!zone || zone.popularity === null || zone.popularity === undefined) return "heat-null";
  return `heat-${Math.min(HEAT_STEPS - 1, Math.floor((zone.popularity / 100) * HEAT_STEPS))}`;
}

function legend() {
  const steps = Array.from({ length: HEAT_STEPS }, (_, i) =>
    h("li", {}, h("span", { class: `swatch heat-swatch heat-${i}`, "aria-hidden": "true" }), `${i * 20}–${(i + 1) * 20}`),
  );
  return h(
    "ul",
    { class: "chart-key", "aria-label": "Popularity: visits as a share of the most visited zone" },
    h("li", { class: "key-title", text: "Popularity" }),
    ...steps,
    h("li", {}, h("span", { class: "swatch heat-swatch heat-null", "aria-hidden": "true" }), "not measured"),
  );
}

function overlay(camera, stats, [w, height]) {
  const parts = [];
  for (const zone of camera.zones) {
    const stat = stats.get(zone.id);
    const points = zone.polygon.map(([x, y]) => [x * w, y * height]);
    const cx = points.reduce((a, p) => a + p[0], 0) / points.length;
    const cy = points.reduce((a, p) => a + p[1], 0) / points.length;
    const visits = stat && stat.visits !== null ? `${fmt.count(stat.visits)} visits` : "not measured";
    parts.push(
      svg(
        "g",
        { class: `zone ${heatClass(stat)}`, dataset: { zoneId: zone.id } },
        svg("polygon", { points: points.map((p) => p.join(",")).join(" "), class: "zone-shape", "vector-effect": "non-scaling-stroke" }),
        svg("text", { x: cx, y: cy, class: "zone-label", "font-size": w / 26, "text-anchor": "middle" }, document.createTextNode(zone.name)),
        svg("text", { x: cx, y: cy + w / 22, class: "zone-label zone-label-sub", "font-size": w / 34, "text-anchor": "middle" }, document.createTextNode(visits)),
      ),
    );
  }
  if (camera.line) {
    const l = camera.line;
    parts.push(svg("line", { x1: l.x1 * w, y1: l.y1 * height, x2: l.x2 * w, y2: l.y2 * height, class: "count-line", "vector-effect": "non-scaling-stroke" }));
  }
  return parts;
}

function cameraFigure(storeId, camera, stats, blobUrls, signal) {
  const layer = svg("svg", { class: "overlay", viewBox: `0 0 ${FALLBACK_SIZE.join(" ")}`, preserveAspectRatio: "none", "aria-hidden": "true" });
  layer.replaceChildren(...overlay(camera, stats, FALLBACK_SIZE));
  const img = h("img", { alt: "", hidden: true });
  const empty = h("p", { class: "stage-empty", text: "No snapshot from this camera yet: the zones are drawn on a blank frame." });
  const stage = h("div", { class: "stage" }, img, empty, layer);
  const names = camera.zones.map((z) => z.name).join(", ");
  const caption = h("figcaption", {}, h("strong", { text: camera.name }), ` — zones: ${names}`);
  if (camera.snapshot_at) caption.append(h("span", { class: "hint", text: ` · snapshot ${fmt.ago(camera.snapshot_at)}` }));
  const figure = h("figure", { class: "camera-zones", dataset: { cameraId: camera.id } }, stage, caption);
  if (camera.snapshot_at !== null) {
    api
      .request("GET", `/stores/${storeId}/cameras/${camera.id}/snapshot`, { blob: true, signal })
      .then(({ blob }) => {
        const url = URL.createObjectURL(blob);
        blobUrls.push(url);
        img.addEventListener(
          "load",
          () => {
            const size = [img.naturalWidth || FALLBACK_SIZE[0], img.naturalHeight || FALLBACK_SIZE[1]];
            stage.style.setProperty("--aspect", `${size[0]} / ${size[1]}`); // CSSOM: allowed by style-src
            layer.setAttribute("viewBox", `0 0 ${size[0]} ${size[1]}`);
            layer.replaceChildren(...overlay(camera, stats, size));
            img.alt = `Latest snapshot of ${camera.name} (people blurred), with its zones outlined`;
            img.hidden = false;
            empty.hidden = true;
            stage.classList.add("has-snapshot");
          },
          { once: true },
        );
        img.src = url;
      })
      .catch((exc) => {
        if (exc.name !== "AbortError" && exc.status !== 404) empty.textContent = `The snapshot could not be loaded: ${exc.message}`;
      });
  }
  return figure;
}

/**
 * The zones section body. `cameras`: GET /stores/{id}/cameras (or null when that failed), `heatmap`:
 * HeatmapOut. Returns {el, destroy()} (revokes the snapshot object URLs, aborts their requests).
 */
export function zonesView(storeId, cameras, heatmap) {
  const stats = new Map(heatmap.zones.map((z) => [z.zone_id, z]));
  const cameraName = new Map((cameras || []).map((c) => [c.id, c.name]));
  const blobUrls = [];
  const controller = new AbortController();
  const withZones = (cameras || []).filter((c) => c.zones && c.zones.length);
  const figures = withZones.map((c) => cameraFigure(storeId, c, stats, blobUrls, controller.signal));
  const rows = [...heatmap.zones].sort((a, b) => (b.visits ?? -1) - (a.visits ?? -1) || a.name.localeCompare(b.name));
  const el = h(
    "div",
    {},
    figures.length ? h("div", { class: "camera-grid" }, figures) : null,
    figures.length ? legend() : null,
    rows.length
      ? table(
          "Visits and dwell time per zone",
          [
            { label: "Zone", rowHeader: true, cell: (z) => h("span", {}, h("span", { class: `swatch heat-swatch ${heatClass(z)}`, "aria-hidden": "true" }), z.name) },
            { label: "Kind", cell: (z) => KINDS[z.kind] || z.kind },
            { label: "Camera", cell: (z) => cameraName.get(z.camera_id) || fmt.DASH },
            { label: "Visits", num: true, cell: (z) => h("span", { dataset: { zoneVisits: z.zone_id, value: raw(z.visits) }, text: fmt.count(z.visits) }) },
            { label: "Share", num: true, cell: (z) => fmt.percent(z.share_of_visits, 1) },
            { label: "Avg dwell", num: true, cell: (z) => fmt.duration(z.avg_dwell_s) },
            { label: "Median dwell", num: true, cell: (z) => fmt.duration(z.median_dwell_s) },
            { label: "Popularity", num: true, cell: (z) => (z.popularity === null ? fmt.DASH : fmt.count(z.popularity)) },
          ],
          rows,
        )
      : h("p", { class: "empty", text: "No zones are set up for this store's cameras." }),
    cameras === null ? h("p", { class: "hint", text: "Camera snapshots are not available right now; the table shows every zone." }) : null,
  );
  return {
    el,
    destroy() {
      controller.abort();
      for (const url of blobUrls) URL.revokeObjectURL(url);
    },
  };
}
