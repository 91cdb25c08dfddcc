// Entry point: hash routing between the views, the login gate, and the shared top bar.
// Each view module exports `render(main, params)`, which may return a cleanup function (timers, blob URLs)
// that runs before the next view renders.

import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { expireNotice } from "./notice.js";
import * as calibrate from "./views/calibrate.js";
import * as cameras from "./views/cameras.js";
import * as countAudit from "./views/count-audit.js";
import * as health from "./views/health.js";
import * as login from "./views/login.js";
import * as organizations from "./views/organizations.js";
import * as stores from "./views/stores.js";

const ROUTES = [
  [/^\/organizations$/, organizations.renderList, "organizations"],
  [/^\/organizations\/([0-9a-f-]{36})$/, organizations.renderDetail, "organizations"],
  [/^\/stores$/, stores.renderList, "stores"],
  [/^\/stores\/([0-9a-f-]{36})$/, stores.renderDetail, "stores"],
  [/^\/cameras$/, cameras.renderList, "cameras"],
  [/^\/cameras\/([0-9a-f-]{36})$/, cameras.renderDetail, "cameras"],
  [/^\/cameras\/([0-9a-f-]{36})\/calibrate$/, calibrate.render, "cameras"],
  [/^\/cameras\/([0-9a-f-]{36})\/count-audit$/, countAudit.render, "cameras"],
  [/^\/health$/, health.render, "health"],
];
const HOME = "#/organizations";

const main = document.getElementById("view");
const topbar = document.getElementById("topbar");
let cleanup = null;
let renderSeq = 0;

/** Split "#/stores?org_id=…" into the path and its query parameters. */
function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { path, query: new URLSearchParams(query) };
}

async function route() {
  const seq = ++renderSeq;
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  expireNotice();
  if (!api.token()) {
    topbar.hidden = true;
    document.title = "Log in · Store Intelligence admin";
    login.render(main, { onSignedIn: signedIn });
    return;
  }
  topbar.hidden = false;
  document.getElementById("who").textContent = sessionStorage.getItem("storeintel.admin.email") || "";
  const { path, query } = parseHash();
  const match = ROUTES.map(([re, view, nav]) => [path.match(re), view, nav]).find(([m]) => m);
  if (!match) {
    location.replace(HOME);
    return;
  }
  const [m, view, nav] = match;
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  replace(main, h("p", { class: "loading", text: "Loading…" }));
  try {
    const result = await view(main, { id: m[1], query });
    if (seq === renderSeq) cleanup = typeof result === "function" ? result : null;
    else if (typeof result === "function") result();
  } catch (exc) {
    if (seq !== renderSeq) return;
    if (exc instanceof api.ApiError && exc.status === 401) return; // signOut already re-rendered
    replace(
      main,
      h("section", { class: "panel" }, h("h1", { text: "Something went wrong" }), h("p", { class: "form-error", text: exc.message })),
    );
  }
}

function signedIn(email) {
  sessionStorage.setItem("storeintel.admin.email", email);
  const target = location.hash && location.hash !== "#/login" ? location.hash : HOME;
  if (location.hash === target) route();
  else location.hash = target;
  main.focus();
}

api.onSignedOut(() => {
  sessionStorage.removeItem("storeintel.admin.email");
  route();
});

document.getElementById("logout").addEventListener("click", () => api.signOut());
window.addEventListener("hashchange", route);
route();
