// POS upload (owners only; the store page does not build it for viewers): a CSV file sent as the multipart
// `file` field of POST /stores/{id}/transactions/csv, answered {accepted, duplicates, rejected: [{index,
// reason}]} where index is the CSV line number (the header is line 1).

import * as api from "../api.js";
import { clearErrors, field, fieldError, formError, h, replace, showErrors } from "../dom.js";
import * as fmt from "../format.js";
import { table } from "../ui.js";

const MAX_BYTES = 5 * 1024 * 1024; // backend/pos/endpoints.py MAX_CSV_BYTES
const SHOWN_REJECTIONS = 50;

/** The upload panel; `onUploaded()` runs after rows were stored (the period figures change). */
export function posPanel(storeId, onUploaded) {
  const file = h("input", { type: "file", name: "file", accept: ".csv,text/csv", required: true, "data-testid": "pos-file" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: "Upload", "data-testid": "pos-submit" });
  const result = h("div", { class: "pos-result", role: "status", "aria-live": "polite", "data-testid": "pos-result" });
  const form = h(
    "form",
    { novalidate: true, "data-testid": "pos-form" },
    field("Transactions CSV", file, { field: "file", hint: "Columns external_id, ts (with its UTC offset), amount, currency; at most 5 MB. Rows already uploaded are skipped." }),
    formError(),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const chosen = file.files && file.files[0];
    if (!chosen) return fieldError(form, "file", "Choose a CSV file.");
    if (chosen.size > MAX_BYTES) return fieldError(form, "file", "The CSV must be at most 5 MB.");
    const body = new FormData();
    body.append("file", chosen, chosen.name);
    submit.disabled = true;
    replace(result, h("p", { class: "loading", text: "Uploading…" }));
    try {
      const answer = await api.request("POST", `/stores/${storeId}/transactions/csv`, { form: body });
      showResult(answer);
      form.reset();
      if (answer.accepted > 0) onUploaded();
    } catch (exc) {
      replace(result);
      // The API names body.csv or body.file; both are about the one file input here.
      const mapped = { message: exc.message, fields: (exc.fields || []).map((f) => ({ field: "file", message: f.message })) };
      showErrors(form, exc.status === 403 ? { message: "Only owners can upload transactions." } : mapped);
    } finally {
      submit.disabled = false;
    }
  });

  function showResult(answer) {
    const rejected = answer.rejected || [];
    replace(
      result,
      h(
        "dl",
        { class: "facts" },
        h("dt", { text: "Stored" }),
        h("dd", { dataset: { pos: "accepted", value: String(answer.accepted) }, text: fmt.count(answer.accepted) }),
        h("dt", { text: "Already uploaded (skipped)" }),
        h("dd", { dataset: { pos: "duplicates", value: String(answer.duplicates) }, text: fmt.count(answer.duplicates) }),
        h("dt", { text: "Rejected" }),
        h("dd", { dataset: { pos: "rejected", value: String(rejected.length) }, text: fmt.count(rejected.length) }),
      ),
      rejected.length
        ? table("Rejected rows", [{ label: "Line", num: true, cell: (r) => String(r.index) }, { label: "Reason", cell: (r) => r.reason }], rejected.slice(0, SHOWN_REJECTIONS))
        : null,
      rejected.length > SHOWN_REJECTIONS ? h("p", { class: "hint", text: `…and ${fmt.count(rejected.length - SHOWN_REJECTIONS)} more rejected rows.` }) : null,
    );
  }

  return h(
    "section",
    { class: "panel", "aria-labelledby": "pos-title", "data-testid": "pos-panel" },
    h("h2", { id: "pos-title", text: "Upload POS transactions" }),
    h("p", { class: "hint", text: "Conversion needs your sales: export them from the till system as CSV and upload them here." }),
    form,
    result,
  );
}
