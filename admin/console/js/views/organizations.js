// Organizations: the list (name search, paging), create, and one organization's page: rename,
// (de)activate, delete (after a grace period) or cancel the deletion, invite an owner (the link is shown once), pending invites, members.

import * as api from "../api.js";
import { clearErrors, crumbs, field, formError, h, replace, showErrors, when } from "../dom.js";
import { PAGE_SIZE, go, offsetOf, pager, secretBox, table } from "../list.js";
import { notify } from "../notice.js";

export async function renderList(main, { query }) {
  const q = query.get("q") || "";
  const active = query.get("active") || "";
  const offset = offsetOf(query);
  const page = await api.get("/admin/organizations", { q, active, offset, limit: PAGE_SIZE, sort: "name" });

  const search = h("input", { type: "search", name: "q", value: q, autocomplete: "off" });
  const activeSelect = h(
    "select",
    { name: "active" },
    [["", "All"], ["true", "Active"], ["false", "Inactive"]].map(([v, label]) => h("option", { value: v, text: label, selected: v === active })),
  );
  const filters = h(
    "form",
    { class: "toolbar", role: "search", "aria-label": "Find organizations" },
    field("Name contains", search),
    field("Status", activeSelect),
    h("button", { type: "submit", class: "btn", text: "Search" }),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    go("/organizations", { q: search.value.trim(), active: activeSelect.value });
  });
  activeSelect.addEventListener("change", () => filters.requestSubmit());

  const name = h("input", { type: "text", name: "name", required: true, autocomplete: "off" });
  const create = h(
    "form",
    { class: "panel", "aria-labelledby": "org-create-title", novalidate: true },
    h("h2", { id: "org-create-title", text: "New organization" }),
    field("Name", name),
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary", text: "Create organization" })),
  );
  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const org = await api.post("/admin/organizations", { name: name.value });
      go(`/organizations/${org.id}`);
      notify(`Organization “${org.name}” created.`);
    } catch (exc) {
      showErrors(create, exc);
    }
  });

  replace(
    main,
    h("h1", { text: "Organizations" }),
    h(
      "div",
      { class: "layout" },
      h(
        "section",
        { class: "panel grow", "aria-label": "Organization list" },
        filters,
        table(
          "Organizations",
          [
            { label: "Name", cell: (o) => h("a", { href: `#/organizations/${o.id}`, text: o.name }) },
            { label: "Status", cell: (o) => activeBadge(o.is_active) },
            { label: "Created", cell: (o) => when(o.created_at) },
          ],
          page.items,
          { empty: q ? `No organization matches “${q}”.` : "No organizations yet." },
        ),
        pager(page, (next) => go("/organizations", { q, active, offset: next })),
      ),
      create,
    ),
  );
}

export function activeBadge(isActive) {
  return h("span", { class: `badge ${isActive ? "badge-online" : "badge-muted"}`, text: isActive ? "active" : "inactive" });
}

export async function renderDetail(main, { id }) {
  const org = await api.get(`/admin/organizations/${id}`);
  const base = `/admin/organizations/${id}`;

  const name = h("input", { type: "text", name: "name", value: org.name, required: true, autocomplete: "off" });
  const rename = h(
    "form",
    { class: "panel", "aria-labelledby": "org-edit-title", novalidate: true },
    h("h2", { id: "org-edit-title", text: "Details" }),
    field("Name", name),
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary", text: "Save" })),
  );
  rename.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const saved = await api.patch(base, { name: name.value });
      clearErrors(rename);
      title.textContent = saved.name;
      notify("Saved.");
    } catch (exc) {
      showErrors(rename, exc);
    }
  });

  const toggle = h("button", { type: "button", class: org.is_active ? "btn btn-danger" : "btn", text: org.is_active ? "Deactivate organization" : "Activate organization" });
  toggle.addEventListener("click", async () => {
    const verb = org.is_active ? "deactivate" : "activate";
    if (org.is_active && !window.confirm(`Deactivate ${org.name}? Its owners lose access and its cameras are refused until it is activated again.`)) return;
    try {
      await api.post(`${base}/${verb}`);
      notify(`Organization ${verb}d.`);
      await renderDetail(main, { id });
    } catch (exc) {
      notify(exc.message, "error");
    }
  });

  // Deletion (docs/privacy.md): deactivated now, purged after the grace period unless cancelled.
  const deletion = org.deletion_due_at
    ? h("button", { type: "button", class: "btn", text: "Cancel deletion" })
    : h("button", { type: "button", class: "btn btn-danger", text: "Delete organization" });
  deletion.addEventListener("click", async () => {
    try {
      if (org.deletion_due_at) {
        await api.post(`${base}/cancel-deletion`);
        notify("Deletion cancelled.");
      } else {
        const ask =
          `Delete ${org.name}? It is deactivated now, and when the grace period ends ` +
          "(STOREINTEL_ORG_DELETION_GRACE_S, 7 days unless configured otherwise) every store, camera, " +
          "event, snapshot and member account of it is deleted for good. You can cancel until then.";
        if (!window.confirm(ask)) return;
        const scheduled = await api.del(base);
        notify(`${org.name} will be deleted on ${when(scheduled.deletion_due_at)}.`);
      }
      await renderDetail(main, { id });
    } catch (exc) {
      notify(exc.message, "error");
    }
  });
  const deletionNote = org.deletion_due_at
    ? h("p", { class: "warnings", role: "status", text: `Scheduled for deletion: all its data is deleted on ${when(org.deletion_due_at)} unless the deletion is cancelled.` })
    : null;

  const invitesBox = h("div", {});
  const secretSlot = h("div", {});
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "off" });
  const role = h("select", { name: "role" }, h("option", { value: "owner", text: "Owner" }), h("option", { value: "viewer", text: "Viewer" }));
  const invite = h(
    "form",
    { class: "panel", "aria-labelledby": "invite-title", novalidate: true },
    h("h2", { id: "invite-title", text: "Invite an owner" }),
    field("Email", email),
    field("Role", role),
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary", text: "Send invite" })),
    secretSlot,
  );
  invite.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const issued = await api.post(`${base}/invites`, { email: email.value.trim(), role: role.value });
      clearErrors(invite);
      email.value = "";
      replace(
        secretSlot,
        secretBox(
          `Invite link for ${issued.invite.email}`,
          issued.link,
          issued.emailed
            ? "The invite was emailed. This link is shown only once; copy it now if you also want to hand it over yourself."
            : "No email was sent (SMTP is not configured). Copy this link and send it to the invitee now: it is shown only once.",
        ),
      );
      await loadInvites();
    } catch (exc) {
      showErrors(invite, exc);
    }
  });

  const showAll = h("input", { type: "checkbox", name: "all" });
  showAll.addEventListener("change", () => loadInvites());
  async function loadInvites() {
    const page = await api.get(`${base}/invites`, { state: showAll.checked ? "all" : "pending", limit: 200 });
    replace(
      invitesBox,
      table(
        "Invites",
        [
          { label: "Email", cell: (i) => i.email },
          { label: "Role", cell: (i) => i.role },
          { label: "State", cell: inviteState },
          { label: "Expires", cell: (i) => when(i.expires_at) },
          { label: "", cell: (i) => (inviteState(i) === "pending" ? revokeButton(i) : "") },
        ],
        page.items,
        { empty: showAll.checked ? "No invites." : "No pending invites." },
      ),
    );
  }
  function revokeButton(inv) {
    const button = h("button", { type: "button", class: "btn btn-quiet", text: "Revoke", "aria-label": `Revoke invite for ${inv.email}` });
    button.addEventListener("click", async () => {
      try {
        await api.del(`${base}/invites/${inv.id}`);
        notify(`Invite for ${inv.email} revoked.`);
        await loadInvites();
      } catch (exc) {
        notify(exc.message, "error");
      }
    });
    return button;
  }

  const members = await api.get(`${base}/members`, { limit: 200 });
  const title = h("span", { text: org.name });
  replace(
    main,
    crumbs(["#/organizations", "Organizations"]),
    h("h1", {}, title, " ", activeBadge(org.is_active)),
    h(
      "div",
      { class: "actions" },
      h("a", { class: "btn", href: `#/stores?org_id=${id}`, text: "Stores" }),
      h("a", { class: "btn", href: `#/cameras?org_id=${id}`, text: "Cameras" }),
      org.deletion_due_at ? null : toggle,
      deletion,
    ),
    deletionNote,
    h(
      "div",
      { class: "layout" },
      h(
        "div",
        { class: "grow stack" },
        h(
          "section",
          { class: "panel", "aria-labelledby": "invites-title" },
          h("div", { class: "panel-head" }, h("h2", { id: "invites-title", text: "Invites" }), field("Show accepted, revoked and expired", showAll)),
          invitesBox,
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "members-title" },
          h("h2", { id: "members-title", text: "Members" }),
          table(
            "Members",
            [
              { label: "Email", cell: (m) => m.email },
              { label: "Name", cell: (m) => m.full_name || "—" },
              { label: "Role", cell: (m) => m.role },
              { label: "Since", cell: (m) => when(m.created_at) },
            ],
            members.items,
            { empty: "No members yet: invite an owner." },
          ),
        ),
      ),
      h("div", { class: "stack side" }, rename, invite),
    ),
  );
  await loadInvites();
}

function inviteState(inv) {
  if (inv.accepted_at) return "accepted";
  if (inv.revoked_at) return "revoked";
  if (new Date(inv.expires_at) <= new Date()) return "expired";
  return "pending";
}
