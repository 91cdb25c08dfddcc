// /app/: every store this user may read as a card with today's footfall, occupancy now, conversion and
// coverage (each against yesterday), grouped by organization when there is more than one. Calls GET /me,
// GET /stores, then per store GET /stores/{id}/dashboard?period=day and GET /stores/{id}/live; occupancy
// refreshes every 30 s while the tab is visible.

import * as api from "../api.js";
import { h, replace } from "../dom.js";
import * as fmt from "../format.js";
import { poller } from "../poll.js";
import { failure, tile } from "../ui.js";

const LIVE_EVERY_MS = 30_000;
const PARALLEL = 4; // stores loaded at once, so a large account does not fire hundreds of requests together

async function inBatches(items, fn) {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
    while (queue.length) await fn(queue.shift());
  });
  await Promise.all(workers);
}

function storeCard(store) {
  const figures = h("div", { class: "tiles tiles-compact" }, h("p", { class: "loading", text: "Loading…" }));
  const live = h("div", { class: "card-live" });
  const cams = store.cameras;
  const card = h(
    "li",
    { class: "panel store-card", "data-testid": "store-card", dataset: { storeId: store.id } },
    h("h3", { class: "card-title" }, h("a", { href: `/app/stores/${encodeURIComponent(store.id)}`, text: store.name })),
    store.address ? h("p", { class: "hint", text: store.address }) : null,
    h("p", { class: "hint", text: `Cameras reporting: ${cams.online} of ${cams.total}` }),
    live,
    figures,
  );
  return { card, figures, live };
}

function showDashboard(target, d) {
  replace(
    target,
    tile("footfall", "Footfall today", d.footfall, fmt.count, { previousLabel: "yesterday" }),
    tile("conversion_rate", "Conversion", d.conversion_rate, (v) => fmt.percent(v, 1), { previousLabel: "yesterday" }),
    tile("coverage", "Coverage", d.coverage, (v) => fmt.percent(v, 0), { previousLabel: "yesterday" }),
  );
}

function showLive(target, live, timeZone) {
  const stale = live.occupancy_stale && live.occupancy !== null;
  replace(
    target,
    h(
      "div",
      { class: `tile tile-live${stale ? " is-stale" : ""}` },
      h("h3", { class: "tile-label", text: "Occupancy now" }),
      h("p", { class: `tile-value${live.occupancy === null ? " is-null" : ""}`, dataset: { live: "occupancy", value: live.occupancy === null ? "" : String(live.occupancy) }, text: fmt.count(live.occupancy) }),
      h("p", { class: "tile-note", text: stale ? `Last known, as of ${fmt.time(live.occupancy_as_of, timeZone)}` : `As of ${fmt.time(live.as_of, timeZone)}` }),
    ),
  );
}

export async function render(main) {
  document.title = "Stores · Store Intelligence";
  const [me, stores] = await Promise.all([api.me(), api.get("/stores")]);
  const heading = h("h1", { text: "Your stores" });
  if (!stores.length) {
    replace(main, heading, h("section", { class: "panel" }, h("p", { text: "No store is set up for your organization yet. Stores and cameras are added by Store Intelligence during installation." })));
    return null;
  }
  const orgName = new Map(me.organizations.map((o) => [o.org_id, o.org_name]));
  const groups = new Map();
  for (const store of [...stores].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!groups.has(store.org_id)) groups.set(store.org_id, []);
    groups.get(store.org_id).push(store);
  }
  const cards = new Map();
  const blocks = [];
  const byOrgName = [...groups].sort(([a], [b]) => (orgName.get(a) || "").localeCompare(orgName.get(b) || ""));
  for (const [orgId, list] of byOrgName) {
    const items = list.map((store) => {
      const c = storeCard(store);
      cards.set(store.id, { ...c, store });
      return c.card;
    });
    const listEl = h("ul", { class: "cards", "aria-label": groups.size > 1 ? `Stores of ${orgName.get(orgId) || "organization"}` : "Stores" }, items);
    blocks.push(groups.size > 1 ? h("section", { class: "org", "aria-labelledby": `org-${orgId}` }, h("h2", { id: `org-${orgId}`, text: orgName.get(orgId) || "Organization" }), listEl) : listEl);
  }
  replace(main, heading, h("p", { class: "hint", text: "Today so far (counted up to the last complete quarter-hour); changes compare with the whole of yesterday. Times are each store's local time." }), ...blocks);

  const controller = new AbortController();
  const signal = controller.signal;
  const loadLive = async () => {
    await inBatches([...cards.values()], async ({ store, live }) => {
      try {
        showLive(live, await api.get(`/stores/${store.id}/live`, undefined, { signal }), store.timezone);
      } catch (exc) {
        if (exc.name !== "AbortError" && !live.childElementCount) replace(live, failure(exc, "Occupancy"));
      }
    });
  };
  inBatches([...cards.values()], async ({ store, figures }) => {
    try {
      showDashboard(figures, await api.get(`/stores/${store.id}/dashboard`, { period: "day", date: fmt.todayIn(store.timezone) }, { signal }));
    } catch (exc) {
      if (exc.name !== "AbortError") replace(figures, failure(exc, "Today's figures"));
    }
  });
  const live = poller(loadLive, LIVE_EVERY_MS);
  return () => {
    live.stop();
    controller.abort();
  };
}
