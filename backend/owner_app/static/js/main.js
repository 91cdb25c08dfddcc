// Entry point: the page table, the sign-in gate and the top bar. On load the session is restored from the
// refresh cookie (POST /auth/session/refresh) before the first page renders, so a reload stays signed in.
// Each view exports a render(main, context) that may return a cleanup function (timers, charts, blob URLs),
// run before the next page renders.

import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { expireNotice, notify } from "./notice.js";
import * as router from "./router.js";
import * as account from "./views/account.js";
import * as auth from "./views/auth.js";
import * as notfound from "./views/notfound.js";
import * as overview from "./views/overview.js";
import * as store from "./views/store.js";

router.add(/^\/signin$/, "signin", auth.signin, { isPublic: true });
router.add(/^\/forgot$/, "forgot", auth.forgot, { isPublic: true });
router.add(/^\/reset$/, "reset", auth.reset, { isPublic: true });
router.add(/^\/invite$/, "invite", auth.invite, { isPublic: true });
router.add(/^\/$/, "stores", overview.render);
router.add(/^\/stores\/([^/]+)$/, "stores", store.render);
router.add(/^\/account$/, "account", account.render);
const NOT_FOUND = { name: "notfound", view: notfound.render, isPublic: true };

const main = document.getElementById("view");
const topbar = document.getElementById("topbar");
const who = document.getElementById("who");
const ready = api.restore();
let cleanup = null;
let renderSeq = 0;
let firstRender = true;

async function signOut() {
  await api.signOut();
  notify("You are signed out.");
  router.navigate("/app/signin", { replace: true });
}

function here() {
  return `${location.pathname}${location.search}`;
}

async function showTopbar(route) {
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === route.name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  topbar.hidden = false;
  try {
    const me = await api.me();
    who.textContent = me.full_name || me.email;
  } catch (exc) {
    who.textContent = "";
  }
}

async function render() {
  const seq = ++renderSeq;
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  expireNotice();
  await ready;
  if (seq !== renderSeq) return;
  const route = router.current(NOT_FOUND);
  const signedIn = api.isSignedIn();
  if (!route.isPublic && !signedIn) {
    const next = here() === "/app/" || here() === "/app" ? "" : `?next=${encodeURIComponent(here())}`;
    router.navigate(`/app/signin${next}`, { replace: true });
    return;
  }
  if (route.name === "signin" && signedIn) {
    router.navigate(router.safeNext(route.query.get("next")) || "/app/", { replace: true });
    return;
  }
  const withBar = signedIn && (!route.isPublic || route.name === "notfound");
  if (withBar) showTopbar(route);
  else topbar.hidden = true;
  if (!firstRender) {
    window.scrollTo(0, 0);
    main.focus({ preventScroll: true }); // screen readers start reading the new page; views may move focus on
  }
  firstRender = false;
  replace(main, h("p", { class: "loading", text: "Loading…" }));
  try {
    const result = await route.view(main, { params: route.params, query: route.query, onSignOut: signOut });
    if (seq === renderSeq) cleanup = typeof result === "function" ? result : null;
    else if (typeof result === "function") result();
  } catch (exc) {
    if (seq !== renderSeq) return;
    if (exc instanceof api.ApiError && exc.status === 401) return; // the session-ended handler moves on
    const retry = h("button", { type: "button", class: "btn", text: "Try again", onclick: () => render() });
    replace(main, h("section", { class: "panel" }, h("h1", { text: "Something went wrong" }), h("p", { class: "form-error", role: "alert", text: exc.message || String(exc) }), h("div", { class: "actions" }, retry)));
  }
}

api.onSessionEnded(() => {
  notify("Your session has ended. Please sign in again.", "error");
  const route = router.current(NOT_FOUND);
  if (route.isPublic) return;
  router.navigate(`/app/signin?next=${encodeURIComponent(here())}`, { replace: true });
});

document.getElementById("signout").addEventListener("click", signOut);
router.start(render);
