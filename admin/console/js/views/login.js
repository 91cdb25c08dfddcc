// The login form (built-in issuer). Only superadmins get in: anyone else is signed out again at once.

import * as api from "../api.js";
import { field, formError, h, replace, showErrors } from "../dom.js";

export function render(main, { onSignedIn }) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: "Log in" });
  const form = h(
    "form",
    { class: "panel login", "aria-labelledby": "login-title", novalidate: true },
    h("h1", { id: "login-title", text: "Admin console" }),
    h("p", { class: "hint", text: "Store Intelligence staff only. Sign in with your superadmin account." }),
    field("Email", email),
    field("Password", password),
    formError(),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await api.login(email.value.trim(), password.value);
      const me = await api.get("/me");
      if (!me.is_superadmin) {
        api.forget();
        throw new api.ApiError(403, "forbidden", "This account is not a superadmin.");
      }
      onSignedIn(me.email);
    } catch (exc) {
      submit.disabled = false;
      showErrors(form, exc.status === 401 ? { message: "Wrong email or password." } : exc);
      if (exc.status === 401 || exc.status === 403) password.select();
    }
  });
  replace(main, h("div", { class: "login-wrap" }, form));
  email.focus();
}
