// The message line under the top bar. A message survives the navigation that immediately follows it
// ("Saved." then the next page opens), not a later one; success messages fade after 6 s.

const CARRY_OVER_MS = 1500;
let shownAt = 0;
let timer = null;

/** Show `message`; `kind` is "ok" or "error" (errors stay until the user moves on). */
export function notify(message, kind = "ok") {
  const box = document.getElementById("notice");
  box.textContent = message;
  box.className = `notice notice-${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.hidden = false;
  shownAt = Date.now();
  clearTimeout(timer);
  if (kind === "ok") timer = setTimeout(() => (box.hidden = true), 6000);
}

/** Called on every navigation: hides the message unless it was shown just before this navigation. */
export function expireNotice() {
  if (Date.now() - shownAt < CARRY_OVER_MS) return;
  document.getElementById("notice").hidden = true;
}
