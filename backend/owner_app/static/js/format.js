// Numbers, durations, dates and times as the owner reads them: in the browser's language, times in the
// STORE's timezone. Null means "not measured" (docs/analytics.md) and always reads "—", never 0.

export const DASH = "—";
const LOCALE = navigator.language || "en";

const cache = new Map();
function nf(options) {
  const key = JSON.stringify(options);
  if (!cache.has(key)) cache.set(key, new Intl.NumberFormat(LOCALE, options));
  return cache.get(key);
}
function df(timeZone, options) {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  if (!cache.has(key)) cache.set(key, new Intl.DateTimeFormat(LOCALE, { timeZone, ...options }));
  return cache.get(key);
}

const isNull = (v) => v === null || v === undefined || Number.isNaN(v);

/** A count of people, crossings or transactions: "1,234". */
export const count = (v) => (isNull(v) ? DASH : nf({ maximumFractionDigits: 0 }).format(v));

/** Occupancy (people), one decimal: "12.5". */
export const occupancy = (v) => (isNull(v) ? DASH : nf({ minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v));

/** A ratio 0..1 as a percentage with `digits` decimals: 0.1234 → "12.3 %" (spacing per locale). */
export const percent = (ratio, digits = 1) =>
  isNull(ratio) ? DASH : nf({ style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits }).format(ratio);

/** A change in percent (the API's change_pct, already ×100) with its sign: "+12.5 %", "−3.0 %". */
export const changePct = (pct) =>
  isNull(pct) ? DASH : nf({ style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: "exceptZero" }).format(pct / 100);

/** A signed number: "+12", "−0.5". */
export const signed = (v, digits = 0) =>
  isNull(v) ? DASH : nf({ minimumFractionDigits: digits, maximumFractionDigits: digits, signDisplay: "exceptZero" }).format(v);

/** A duration in seconds: "4:05" under an hour, "1 h 5 min" from an hour. */
export function duration(seconds) {
  if (isNull(seconds)) return DASH;
  const s = Math.round(Math.abs(seconds));
  const sign = seconds < 0 ? "−" : "";
  if (s < 3600) return `${sign}${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  const minutes = Math.round(s / 60);
  return `${sign}${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Time of day of an ISO instant in `timeZone`: "14:03". */
export const time = (iso, timeZone, seconds = false) =>
  iso ? df(timeZone, { hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) }).format(new Date(iso)) : DASH;

/** Date and time of an ISO instant in `timeZone`: "20 Nov 2026, 14:03". */
export const dateTime = (iso, timeZone) =>
  iso ? df(timeZone, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" }).format(new Date(iso)) : DASH;

/** Date and time without the year, for ranges: "20 Nov, 14:03". */
export const shortDateTime = (iso, timeZone) =>
  iso ? df(timeZone, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(new Date(iso)) : DASH;

/** A store-local calendar date "YYYY-MM-DD" as "Fri, 20 Nov 2026" (no timezone shift: it is a date). */
export function day(ymd, options = { weekday: "short", day: "numeric", month: "short", year: "numeric" }) {
  if (!ymd) return DASH;
  return df("UTC", options).format(ymdToDate(ymd));
}

/** "14:00–15:00" for a bucket, in the store's timezone; whole days read as dates. */
export function range(startIso, endIso, timeZone, bucket) {
  if (bucket === "day") return df(timeZone, { weekday: "short", day: "numeric", month: "short" }).format(new Date(startIso));
  return `${time(startIso, timeZone)}–${time(endIso, timeZone)}`;
}

/** "12 s ago", "3 min ago", "2 h ago" from an ISO instant to `now` (ms). */
export function ago(iso, now = Date.now()) {
  if (!iso) return DASH;
  const s = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

// ---- store-local calendar dates ("YYYY-MM-DD"), computed on UTC dates so no browser timezone leaks in ----

export function ymdToDate(ymd) {
  const [y, m, d] = ymd.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}
export const dateToYmd = (date) => date.toISOString().slice(0, 10);
export const addDays = (ymd, n) => dateToYmd(new Date(ymdToDate(ymd).getTime() + n * 86_400_000));

/** The store's today in `timeZone`, "YYYY-MM-DD". */
export function todayIn(timeZone, now = new Date()) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(now).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** The local days of the period containing `ymd`: day itself, ISO week Monday–Sunday, calendar month. */
export function periodDays(kind, ymd) {
  if (kind === "week") {
    const weekday = (ymdToDate(ymd).getUTCDay() + 6) % 7; // Monday 0
    const first = addDays(ymd, -weekday);
    return { first, last: addDays(first, 6) };
  }
  if (kind === "month") {
    const d = ymdToDate(ymd);
    const first = dateToYmd(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)));
    const last = dateToYmd(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)));
    return { first, last };
  }
  return { first: ymd, last: ymd };
}

/** A date in the period before / after the one containing `ymd`. */
export function stepPeriod(kind, ymd, direction) {
  const { first, last } = periodDays(kind, ymd);
  return direction < 0 ? addDays(first, -1) : addDays(last, 1);
}

/** The period as a heading: "Fri, 20 Nov 2026", "Week of 16 Nov 2026", "November 2026". */
export function periodLabel(kind, ymd) {
  const { first, last } = periodDays(kind, ymd);
  if (kind === "week") return `${day(first, { day: "numeric", month: "short" })} – ${day(last, { day: "numeric", month: "short", year: "numeric" })}`;
  if (kind === "month") return day(first, { month: "long", year: "numeric" });
  return day(first);
}
