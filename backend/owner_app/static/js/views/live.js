// The live panel at the top of the store page: occupancy now, entries today, queue at the tills and cameras
// reporting, polled from GET /stores/{id}/live every 3 s while the tab is visible (10 s after a failure).
// A stale figure (its camera offline) stays on screen greyed out as "last known, as of …". Only changed
// text is written, so the polite live region announces changes, not every poll.

import * as api from "../api.js";
import { h } from "../dom.js";
import * as fmt from "../format.js";
import { poller } from "../poll.js";
import { raw } from "../ui.js";

// What a camera's worker last reported of its video (`stream_status` in /live), in the owner's words.
const STREAM_PROBLEM = {
  stopped: "stopped by its operator",
  frozen: "picture frozen, nothing is counted",
  reconnecting: "reconnecting to the camera",
  failed: "camera stream lost",
};

const EVERY_MS = 3000;
const BACKOFF_MS = 10_000;

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function liveTile(key, label) {
  const value = h("p", { class: "tile-value is-null", dataset: { live: key, value: "" }, text: fmt.DASH });
  const note = h("p", { class: "tile-note" });
  const el = h("div", { class: "tile tile-live" }, h("h3", { class: "tile-label", text: label }), value, note);
  return {
    el,
    note,
    set(v, text, { stale = false, noteText = "" } = {}) {
      setText(value, text);
      value.dataset.value = raw(v);
      value.classList.toggle("is-null", v === null || v === undefined);
      el.classList.toggle("is-stale", stale);
      value.dataset.stale = stale ? "true" : "false";
      setText(note, noteText);
    },
  };
}

/** The panel for `store` (StoreOut). Returns {el, stop()}; polling starts at once. */
export function livePanel(store) {
  const tz = store.timezone;
  const occupancy = liveTile("occupancy", "Occupancy now");
  const footfall = liveTile("footfall_today", "Entries today");
  const queue = liveTile("queue_depth", "Queue at the tills");
  const cameras = liveTile("cameras_online", "Cameras reporting");
  const queueList = h("ul", { class: "mini-list" });
  queue.el.append(queueList);
  const offlineList = h("ul", { class: "mini-list" });
  cameras.el.append(offlineList);
  const status = h("p", { class: "live-status", "aria-live": "off" }, "Connecting…");
  const el = h(
    "section",
    { class: "panel live", "aria-labelledby": "live-title", "data-testid": "live-panel" },
    h("div", { class: "panel-head" }, h("h2", { id: "live-title" }, h("span", { class: "live-dot", "aria-hidden": "true" }), "Live"), status),
    h("div", { class: "tiles", "aria-live": "polite", "aria-atomic": "false" }, occupancy.el, footfall.el, queue.el, cameras.el),
  );

  function show(live) {
    const occStale = live.occupancy !== null && live.occupancy_stale;
    occupancy.set(live.occupancy, fmt.count(live.occupancy), {
      stale: occStale,
      noteText:
        live.occupancy === null
          ? "No counting camera"
          : occStale
            ? `Last known: a counting camera is offline (data as of ${live.occupancy_as_of ? fmt.time(live.occupancy_as_of, tz) : "unknown"})`
            : `Counted since ${fmt.time(live.occupancy_since, tz)}`,
    });
    footfall.set(live.footfall_today, fmt.count(live.footfall_today), {
      stale: occStale,
      noteText: live.footfall_today === null ? "No counting camera" : occStale ? "Last known: a counting camera is offline" : "Since midnight, every crossing received",
    });
    const qStale = live.queue_depth !== null && live.queue_stale;
    queue.set(live.queue_depth, fmt.count(live.queue_depth), {
      stale: qStale,
      noteText:
        live.queue_depth === null
          ? "No billing zone set up"
          : qStale
            ? `Last known: a till camera is offline (data as of ${live.queue_as_of ? fmt.time(live.queue_as_of, tz) : "unknown"})`
            : "People in the billing zones",
    });
    queueList.replaceChildren(
      ...(live.billing_zones.length > 1 ? live.billing_zones.map((z) => h("li", { class: z.stale ? "is-stale" : null, text: `${z.name}: ${fmt.count(z.people)}${z.stale ? " (last known)" : ""}` })) : []),
    );
    const total = live.cameras_online + live.cameras_offline;
    // Offline cameras, and online ones whose worker reports no usable picture (frozen, reconnecting).
    const troubled = live.cameras.filter((c) => c.status !== "online" || (c.stream_status && c.stream_status !== "ok"));
    const noPicture = troubled.length - live.cameras_offline;
    cameras.set(live.cameras_online, total ? `${fmt.count(live.cameras_online)} / ${fmt.count(total)}` : fmt.DASH, {
      stale: troubled.length > 0,
      noteText:
        total === 0
          ? "No camera set up"
          : live.cameras_offline
            ? `${live.cameras_offline} offline`
            : noPicture
              ? `${noPicture} without a picture`
              : "All online",
    });
    offlineList.replaceChildren(
      ...troubled.map((c) => {
        const why = STREAM_PROBLEM[c.stream_status];
        const heard = `last heard ${c.last_heartbeat_at ? fmt.ago(c.last_heartbeat_at) : "never"}`;
        return h("li", { class: "is-stale", "data-camera": c.id, text: `${c.name}: ${why ? `${why}, ` : ""}${heard}` });
      }),
    );
    const last = live.last_event_at ? ` · last event ${fmt.time(live.last_event_at, tz, true)}` : "";
    status.textContent = `Updated ${fmt.time(live.as_of, tz, true)}${last}`;
    status.classList.remove("is-error");
    el.classList.remove("is-offline");
  }

  let controller = null;
  const poll = poller(
    async () => {
      controller = new AbortController();
      try {
        show(await api.get(`/stores/${store.id}/live`, undefined, { signal: controller.signal }));
      } catch (exc) {
        if (exc.name === "AbortError") return;
        status.textContent = `Not updated since ${status.dataset.lastOk || "the page opened"}: ${exc.message} Retrying…`;
        status.classList.add("is-error");
        el.classList.add("is-offline");
        throw exc;
      }
      status.dataset.lastOk = fmt.time(new Date().toISOString(), tz, true);
    },
    EVERY_MS,
    { backoffMs: BACKOFF_MS },
  );
  return {
    el,
    stop() {
      poll.stop();
      if (controller) controller.abort();
    },
  };
}
