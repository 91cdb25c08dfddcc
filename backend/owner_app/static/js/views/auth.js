// The signed-out pages: sign in, forgot password, and the two one-time links (reset and invite), whose
// token arrives in the URL fragment and is taken out of the URL by the router before this runs.

import * as api from "../api.js";
import { clearErrors, field, fieldError, formError, h, replace, showErrors } from "../dom.js";
import { notify } from "../notice.js";
import { navigate, safeNext, takeFragmentToken } from "../router.js";
import { passwordPair, throttled } from "../ui.js";

function card(title, ...children) {
  return h("div", { class: "auth-wrap" }, h("section", { class: "panel auth", "aria-labelledby": "auth-title" }, h("h1", { id: "auth-title", text: title }), ...children));
}

function submitButton(text, testid) {
  return h("button", { type: "submit", class: "btn btn-primary", text, "data-testid": testid });
}

/** /app/signin[?next=/app/…] */
export function signin(main, { query }) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true, "data-testid": "email-input" });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true, "data-testid": "password-input" });
  const submit = submitButton("Sign in", "signin-submit");
  const form = h(
    "form",
    { novalidate: true, "data-testid": "signin-form" },
    field("Email", email, { field: "email" }),
    field("Password", password, { field: "password" }),
    formError(),
    h("div", { class: "actions" }, submit, h("a", { href: "/app/forgot", text: "Forgot your password?" })),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!email.value.trim()) return fieldError(form, "email", "Enter your email address.");
    if (!password.value) return fieldError(form, "password", "Enter your password.");
    submit.disabled = true;
    try {
      await api.signIn(email.value.trim(), password.value);
      navigate(safeNext(query.get("next")) || "/app/", { replace: true });
    } catch (exc) {
      submit.disabled = false;
      if (exc.status === 401) showErrors(form, { message: "Wrong email or password." });
      else if (exc.status === 429) showErrors(form, { message: throttled(exc) });
      else showErrors(form, exc);
      if (exc.status === 401) password.select();
    }
  });
  document.title = "Sign in · Store Intelligence";
  replace(main, card("Sign in", h("p", { class: "hint", text: "Footfall, occupancy and conversion for your stores." }), form));
  email.focus();
}

/** /app/forgot */
export function forgot(main) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true, "data-testid": "email-input" });
  const submit = submitButton("Send reset link", "forgot-submit");
  const done = h("p", { class: "ok", role: "status", hidden: true, "data-testid": "forgot-done" });
  const form = h("form", { novalidate: true, "data-testid": "forgot-form" }, field("Email", email, { field: "email" }), formError(), h("div", { class: "actions" }, submit, h("a", { href: "/app/signin", text: "Back to sign in" })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!email.value.trim()) return fieldError(form, "email", "Enter your email address.");
    submit.disabled = true;
    try {
      const answer = await api.requestReset(email.value.trim());
      done.textContent = (answer && answer.detail) || "If an account exists for this email, a reset link is on its way.";
      done.hidden = false;
    } catch (exc) {
      showErrors(form, exc.status === 429 ? { message: throttled(exc) } : exc);
    } finally {
      submit.disabled = false;
    }
  });
  document.title = "Forgot password · Store Intelligence";
  replace(main, card("Forgot your password?", h("p", { class: "hint", text: "Enter the email you sign in with; we send a link to choose a new password." }), form, done));
  email.focus();
}

// The token survives a re-render of the same page (the session check on load renders twice).
const pending = { reset: null, invite: null };

function tokenFor(kind) {
  const fresh = takeFragmentToken();
  if (fresh) pending[kind] = fresh;
  return pending[kind];
}

function missingLink(main, title, text) {
  replace(main, card(title, h("p", { text }), h("p", {}, h("a", { href: "/app/signin", text: "Go to sign in" }))));
}

/**
 * Submit a one-time link's password form: check the password pair, `send()`, then the overview with the
 * `done` notice; a 404 (the link was used or has expired) shows `expired` instead of the form, a 429 how
 * long to wait, anything else the API's error next to its field. The link's token is forgotten once used.
 */
function onLinkSubmit(main, { form, submit, pair, kind }, { send, done, expired }) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const problem = pair.problem();
    if (problem) return fieldError(form, ...problem);
    submit.disabled = true;
    try {
      await send();
      pending[kind] = null;
      notify(done);
      navigate("/app/", { replace: true });
    } catch (exc) {
      submit.disabled = false;
      if (exc.status === 404) {
        pending[kind] = null;
        replace(main, expired);
      } else showErrors(form, exc.status === 429 ? { message: throttled(exc) } : exc);
    }
  });
}

/** /app/reset#token=… */
export function reset(main) {
  document.title = "Choose a new password · Store Intelligence";
  const token = tokenFor("reset");
  if (!token) return missingLink(main, "Reset link needed", "Open the link from the password reset email. If it has expired, ask for a new one on the sign-in page.");
  const pair = passwordPair("password");
  const submit = submitButton("Set password and sign in", "reset-submit");
  const form = h("form", { novalidate: true, "data-testid": "reset-form" }, ...pair.fields, formError(), h("div", { class: "actions" }, submit));
  onLinkSubmit(main, { form, submit, pair, kind: "reset" }, {
    send: () => api.confirmReset(token, pair.password.value),
    done: "Your password is changed. You are signed in.",
    expired: card("This link has expired", h("p", { text: "This password reset link is invalid or has expired (or it was already used)." }), h("p", {}, h("a", { href: "/app/forgot", text: "Ask for a new link" }))),
  });
  replace(main, card("Choose a new password", form));
  pair.password.focus();
}

/** /app/invite#token=… */
export function invite(main) {
  document.title = "Accept your invite · Store Intelligence";
  const token = tokenFor("invite");
  if (!token) return missingLink(main, "Invite link needed", "Open the link from your invite email. If it has expired, ask the person who invited you for a new one.");
  const name = h("input", { type: "text", name: "full_name", autocomplete: "name", maxlength: "200", "data-testid": "full-name-input" });
  const pair = passwordPair("password", "Choose a password");
  const submit = submitButton("Create account and sign in", "invite-submit");
  const form = h(
    "form",
    { novalidate: true, "data-testid": "invite-form" },
    field("Your name (optional)", name, { field: "full_name" }),
    ...pair.fields,
    formError(),
    h("div", { class: "actions" }, submit),
  );
  onLinkSubmit(main, { form, submit, pair, kind: "invite" }, {
    send: () => api.acceptInvite(token, pair.password.value, name.value.trim()),
    done: "Welcome! Your account is ready.",
    expired: card("This invite has expired", h("p", { text: "This invite link is invalid or has expired (or it was already used). Ask the person who invited you for a new one." }), h("p", {}, h("a", { href: "/app/signin", text: "Go to sign in" }))),
  });
  replace(main, card("Accept your invite", h("p", { class: "hint", text: "Choose a password to finish creating your account." }), form));
  name.focus();
}
