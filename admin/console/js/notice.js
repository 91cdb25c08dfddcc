// The message line under the top bar. A message survives the one navigation that usually follows it
// ("Store created." then the store's page opens) and success messages fade after a few seconds.

let keepForRoutes = 0;
let timer = null;

/** Show `message`; `kind` is "ok" or "error" (errors stay until the next navigation but one). */
export function notify(message, kind = "ok") {
  const box = document.getElementById("notice");
  box.textContent = message;
  box.className = `notice notice-${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.hidden = false;
  keepForRoutes = 1;
  clearTimeout(timer);
  if (kind === "ok") timer = setTimeout(() => (box.hidden = true), 6000);
}

/** Called on every navigation: hides the message unless it was just shown for this navigation. */
export function expireNotice() {
  if (keepForRoutes > 0) {
    keepForRoutes -= 1;
    return;
  }
  document.getElementById("notice").hidden = true;
}
