// The one not-found page: an unknown path, a store that does not exist, and another organization's store
// all look the same (the API answers 404 for both stores, so nothing tells them apart).

import { h, replace } from "../dom.js";

/** Show the not-found page in `main`; `what` is "page" or "store". Returns null (no cleanup). */
export function renderNotFound(main, what = "page") {
  document.title = "Not found · Store Intelligence";
  replace(
    main,
    h(
      "section",
      { class: "panel not-found", "aria-labelledby": "nf-title", "data-testid": "not-found" },
      h("h1", { id: "nf-title", text: what === "store" ? "Store not found" : "Page not found" }),
      h("p", { text: what === "store" ? "There is no store at this address that your account can see." : "There is nothing at this address." }),
      h("p", {}, h("a", { href: "/app/", text: "Go to your stores" })),
    ),
  );
  return null;
}

export function render(main) {
  return renderNotFound(main, "page");
}
