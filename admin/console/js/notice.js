// The page notice, shared with the other web page (backend/web_common/notice.js).
export * from "/static/notice.js";
