// Camera health: every camera with its status colour, fps, outbox depth, last error, snapshot age and last
// count audit (flagged below target), worst first, refreshed on its own. The interval is 15 s;
// `?refresh=<seconds>` on the console's URL (before the #) changes it, which the end-to-end tests use to
// see a camera go offline within seconds.

import * as api from "../api.js";
import { age, field, h, replace, statusBadge, when } from "../dom.js";
import { PAGE_SIZE, go, offsetOf, pager, table } from "../list.js";
import { accuracyCell } from "./count-audit.js";

const DEFAULT_REFRESH_S = 15;

function refreshSeconds() {
  const value = Number(new URLSearchParams(location.search).get("refresh"));
  return Number.isFinite(value) && value >= 1 ? value : DEFAULT_REFRESH_S;
}

export async function render(main, { query }) {
  const status = query.get("status") || "";
  const offset = offsetOf(query);
  const refresh = refreshSeconds();
  const body = h("div", { id: "health-table" });
  const updated = h("p", { class: "hint", id: "health-updated", role: "status", "aria-live": "off" });
  const counts = h("p", { class: "counts", id: "health-counts" });

  const statusFilter = h("select", { name: "status" }, [["", "Any"], ["offline", "Offline"], ["stale", "Stale"], ["online", "Online"]].map(([v, l]) => h("option", { value: v, text: l, selected: v === status })));
  statusFilter.addEventListener("change", () => go("/health", { status: statusFilter.value }));
  const refreshNow = h("button", { type: "button", class: "btn", text: "Refresh now" });
  refreshNow.addEventListener("click", () => load());

  async function load() {
    const page = await api.get("/admin/cameras/health", { status, offset, limit: PAGE_SIZE, sort: "status" });
    replace(
      body,
      table(
        "Camera health",
        [
          { label: "Camera", cell: (c) => h("a", { href: `#/cameras/${c.camera_id}`, text: c.camera_name }) },
          { label: "Store", cell: (c) => h("a", { href: `#/stores/${c.store_id}`, text: c.store_name }) },
          { label: "Status", cell: (c) => [statusBadge(c.status), statusHint(c)] },
          { label: "fps", class: "num", cell: (c) => (c.fps === null ? "—" : c.fps.toFixed(1)) },
          { label: "Outbox", class: "num", cell: (c) => (c.outbox_depth === null ? "—" : String(c.outbox_depth)) },
          { label: "Last error", class: "error-cell", cell: (c) => c.last_error || "—" },
          { label: "Config", cell: configCell },
          { label: "Snapshot age", class: "num", cell: (c) => age(c.snapshot_age_s) },
          { label: "Last heartbeat", cell: (c) => when(c.last_heartbeat_at) },
          { label: "Events (1 h)", class: "num", cell: (c) => String(c.events_last_hour) },
          { label: "Count audit", cell: auditCell },
        ],
        page.items,
        { empty: status ? `No ${status} cameras.` : "No cameras yet.", rowClass: (c) => `row-${c.status}` },
      ),
      pager(page, (next) => go("/health", { status, offset: next })),
    );
    const tally = { online: 0, stale: 0, offline: 0 };
    for (const c of page.items) tally[c.status] += 1;
    replace(
      counts,
      ["offline", "stale", "online"].map((s) => h("span", { class: `tally tally-${s}` }, statusBadge(s), ` ${tally[s]}`)),
      page.total > page.items.length ? h("span", { class: "hint", text: ` (this page of ${page.total})` }) : null,
    );
    updated.textContent = `Updated ${new Date().toLocaleTimeString()} · refreshes every ${refresh} s`;
  }

  replace(
    main,
    h("h1", { text: "Camera health" }),
    h(
      "section",
      { class: "panel", "aria-label": "Camera health" },
      h("div", { class: "toolbar" }, field("Status", statusFilter), refreshNow, counts),
      body,
      updated,
    ),
  );
  await load();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy || document.hidden) return;
    busy = true;
    try {
      await load();
    } catch (exc) {
      updated.textContent = `Refresh failed: ${exc.message}`;
    } finally {
      busy = false;
    }
  }, refresh * 1000);
  return () => clearInterval(timer);
}

// Why the status is what it is: the stale reason, or "stopped" for a worker that said it stopped cleanly.
function statusHint(c) {
  const why = c.stale_reason ? c.stale_reason.replaceAll("_", " ") : c.stream_status === "stopped" ? "stopped" : null;
  return why ? h("span", { class: "hint", text: ` ${why}` }) : null;
}

// The last count audit's accuracy (flagged below target) and its window's end, linked to the audit page.
function auditCell(c) {
  const audit = c.last_count_audit;
  const link = h("a", { href: `#/cameras/${c.camera_id}/count-audit`, text: audit ? "audits" : "none yet" });
  if (!audit) return h("span", { class: "hint" }, link);
  return [accuracyCell(audit), h("span", { class: "hint" }, ` to ${when(audit.window_end)} · `, link)];
}

// The config version the worker runs against the camera's: "v7", or "v6 → v7" while the change travels.
function configCell(c) {
  if (c.applied_config_version === null) return h("span", { class: "hint", text: `v${c.config_version} (not reported)` });
  if (c.applied_config_version === c.config_version) return `v${c.config_version}`;
  return h("span", { class: "hint", text: `v${c.applied_config_version} → v${c.config_version}` });
}
