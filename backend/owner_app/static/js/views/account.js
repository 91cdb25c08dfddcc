// /app/account: who is signed in (GET /me) and their organizations, change password (POST /auth/password,
// which answers a fresh token), and sign out (DELETE /auth/session).

import * as api from "../api.js";
import { clearErrors, field, fieldError, formError, h, replace, showErrors } from "../dom.js";
import { notify } from "../notice.js";
import { passwordPair } from "../ui.js";

const ROLES = { owner: "Owner", viewer: "Viewer (read only)" };

export async function render(main, { onSignOut }) {
  document.title = "Account · Store Intelligence";
  const me = await api.me();
  const current = h("input", { type: "password", name: "current_password", autocomplete: "current-password", required: true, "data-testid": "current-password-input" });
  const pair = passwordPair("new_password");
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: "Change password", "data-testid": "password-submit" });
  // A hidden username helps password managers store the new password against the right account.
  const username = h("input", { type: "email", name: "username", autocomplete: "username", value: me.email, hidden: true, readonly: true, tabindex: "-1", "aria-hidden": "true" });
  const form = h(
    "form",
    { novalidate: true, "data-testid": "password-form", "aria-labelledby": "pw-title" },
    h("h2", { id: "pw-title", text: "Change password" }),
    username,
    field("Current password", current, { field: "current_password" }),
    ...pair.fields,
    formError(),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!current.value) return fieldError(form, "current_password", "Enter your current password.");
    const problem = pair.problem();
    if (problem) return fieldError(form, ...problem);
    submit.disabled = true;
    try {
      await api.changePassword(current.value, pair.password.value);
      form.reset();
      notify("Your password is changed.");
    } catch (exc) {
      showErrors(form, exc);
    } finally {
      submit.disabled = false;
    }
  });
  const signOut = h("button", { type: "button", class: "btn", text: "Sign out", "data-testid": "account-signout", onclick: onSignOut });
  replace(
    main,
    h("h1", { text: "Your account" }),
    h(
      "div",
      { class: "two-col" },
      h(
        "section",
        { class: "panel", "aria-labelledby": "me-title" },
        h("h2", { id: "me-title", text: "You" }),
        h(
          "dl",
          { class: "facts" },
          h("dt", { text: "Name" }),
          h("dd", { "data-testid": "me-name", text: me.full_name || "—" }),
          h("dt", { text: "Email" }),
          h("dd", { "data-testid": "me-email", text: me.email }),
        ),
        h("h3", { class: "sub", text: "Organizations" }),
        me.organizations.length
          ? h("ul", { class: "plain" }, me.organizations.map((o) => h("li", {}, h("strong", { text: o.org_name }), ` — ${ROLES[o.role] || o.role}`)))
          : h("p", { class: "empty", text: "You are not a member of any organization." }),
        h("div", { class: "actions" }, signOut),
      ),
      h("section", { class: "panel" }, form),
    ),
  );
  return null;
}
