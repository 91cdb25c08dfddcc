// The DOM helpers the owner app shares with the admin console (backend/web_common/dom.js).
export * from "/static/dom.js";
