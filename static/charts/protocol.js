/* The messages Panes' scripts exchange, and the filter checks they all apply.
 *
 * Three conversations, each checked by origin and by window:
 *
 * - a chart frame and its page (same origin): FRAME_READY, TOKEN_REQUEST, TOKEN, FILTERS, THEME,
 *   REFRESH from the page; CHART_CLICK, DRILL, ERROR from the frame;
 * - an embed page and the page that frames it (an origin in PANES_EMBED_ALLOWED_ORIGINS): the
 *   events of EMBED_EVENTS go up as {type: "panes:event", version, event, detail}, and the
 *   actions of EMBED_ACTIONS come down as {type: "panes:action", version, action, args};
 * - embed.js, loaded by that page, which cannot import this module (it is a classic script on
 *   another origin); tests/js/protocol.test.mjs checks it spells the same names.
 *
 * The filter checks are those of charts/filters.py: a value is at most MAX_VALUE_LENGTH
 * characters without control characters, and a date param holds a real YYYY-MM-DD date.
 */

/** The embed API's version: a page written for version 1 keeps working while this is 1. */
export const API_VERSION = 1;

export const FRAME_READY = "panes:frame-ready";
export const TOKEN_REQUEST = "panes:token-request";
export const TOKEN = "panes:token";
export const FILTERS = "panes:filters"; // {filters: {param: value}, compare: "" | a COMPARISONS key}
export const THEME = "panes:theme"; // {theme}
export const REFRESH = "panes:refresh"; // fetch again now, unless a fetch is in flight
export const CHART_CLICK = "panes:chart-click"; // {chart, column, value}
export const DRILL = "panes:drill"; // from a detail frame: {chart, column, value}
export const ERROR = "panes:error"; // {chart, error, message}

export const EVENT = "panes:event";
export const ACTION = "panes:action";
export const EMBED_EVENTS = Object.freeze(["ready", "chart-click", "filters-changed", "drill", "error", "resize"]);
export const EMBED_ACTIONS = Object.freeze(["setFilters", "setTheme", "refresh", "openDrill"]);

export const THEMES = Object.freeze(["light", "dark", "auto"]);
export const MAX_VALUE_LENGTH = 200;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** date_from, date_to, date, and any param named date_* or *_date holds a date. */
export function isDateParam(name) {
  return name === "date" || name.startsWith("date_") || name.endsWith("_date");
}

/** Whether `text` is a real calendar date written YYYY-MM-DD (2026-02-30 is not). */
export function isRealDate(text) {
  if (typeof text !== "string" || !DATE_RE.test(text)) return false;
  const day = new Date(text + "T00:00:00Z");
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
}

/** Why one value cannot be a filter value of `name`, or "" when it can. */
export function valueProblem(name, value) {
  if (value.length > MAX_VALUE_LENGTH) return `at most ${MAX_VALUE_LENGTH} characters.`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(value)) return "control characters are not allowed.";
  if (isDateParam(name) && !isRealDate(value)) return "use a date written YYYY-MM-DD, e.g. 2026-03-31.";
  return "";
}

/** param -> error message for the values a page cannot use (empty when all are fine), with the
 * range rule: date_to must not come before date_from. */
export function checkFilters(values) {
  const errors = {};
  for (const [name, value] of Object.entries(values)) {
    const problem = valueProblem(name, value);
    if (problem) errors[name] = problem;
  }
  if (!errors.date_from && !errors.date_to && values.date_from && values.date_to && values.date_from > values.date_to) {
    errors.date_to = "must be on or after the start date.";
  }
  return errors;
}

/** The values of `accepted` params in `values` that a frame may send to its host: trimmed,
 * non-empty strings that pass valueProblem; anything else is dropped. */
export function acceptedFilters(values, accepted) {
  const clean = {};
  for (const name of accepted) {
    let value = values ? values[name] : undefined;
    if (typeof value !== "string") continue;
    value = value.trim();
    if (value && !valueProblem(name, value)) clean[name] = value;
  }
  return clean;
}

/** Whether two filter objects hold the same values. */
export function sameFilters(a, b) {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}
