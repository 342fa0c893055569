// Every date and time the SPA shows goes through here, so a banner, a card and a history line
// say the same instant the same way: the reader's locale and time zone, "12 Mar 2026, 14:05"
// (medium date, short time). Server-written sentences never carry a date the SPA shows: it
// formats the API's ISO timestamps itself.
import { h } from "./dom.js";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

function parse(value) {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "12 Mar 2026, 14:05" in the reader's locale, or null when there is no (valid) date. */
export function formatDateTime(value) {
  const date = parse(value);
  return date ? dateTime.format(date) : null;
}

/** "12 Mar 2026": for days, where the time says nothing (a repository's last update). */
export function formatDate(value) {
  const date = parse(value);
  return date ? dateOnly.format(date) : null;
}

/** A <time> element with a machine-readable datetime and the human label. */
export function timeEl(value, fallback = "unknown") {
  const date = parse(value);
  if (!date) return h("span", {}, fallback);
  return h("time", { datetime: date.toISOString() }, dateTime.format(date));
}
