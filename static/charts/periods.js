/* The filter bar's date presets (rolling ranges such as "Last 7 days") and comparison ranges:
 * the rules of charts/periods.py, which resolves `period=` on the server. Both pass the cases of
 * tests/fixtures/periods.json, so the two cannot drift. Every range is inclusive at both ends.
 *
 * Pure, no DOM: dates are "YYYY-MM-DD" strings and the arithmetic runs on UTC days, so the
 * viewer's time zone (or a daylight-saving change) never moves a day. Only localToday reads the
 * viewer's own calendar.
 */
import { gettext } from "./i18n.js";
import { isRealDate } from "./protocol.js";

// Labels in the page's language: the catalogue script runs before any module.
export const PRESETS = Object.freeze({
  last_7_days: gettext("Last 7 days"),
  last_30_days: gettext("Last 30 days"),
  last_90_days: gettext("Last 90 days"),
  month_to_date: gettext("Month to date"),
  year_to_date: gettext("Year to date"),
  previous_month: gettext("Previous month"),
});

export const COMPARISONS = Object.freeze({
  previous_period: gettext("Previous period"),
  previous_year: gettext("Same period last year"),
});

/** What a KPI's change is against, as a whole phrase ("vs previous period"). */
export const VERSUS = Object.freeze({
  previous_period: gettext("vs previous period"),
  previous_year: gettext("vs same period last year"),
});

const ROLLING_DAYS = Object.freeze({ last_7_days: 7, last_30_days: 30, last_90_days: 90 });
const DAY_MS = 86400000;

/** [year, month 1-12, day] of a real "YYYY-MM-DD" date, else null. */
function dateParts(text) {
  return isRealDate(text) ? text.split("-").map(Number) : null;
}

/** A UTC midnight; the day may overflow the month (day 0 is the last day of the month before).
 * setUTCFullYear, because Date.UTC reads the years 0-99 as 1900-1999. */
function utcDay(year, month, day) {
  const moment = new Date(0);
  moment.setUTCFullYear(year, month - 1, day);
  return moment;
}

const pad = (number, width) => String(number).padStart(width, "0");

/** "YYYY-MM-DD" of a UTC day, or null outside the years 1-9999 that Python's dates cover. */
function writeDay(moment) {
  const year = moment.getUTCFullYear();
  if (!(year >= 1 && year <= 9999)) return null;
  return `${pad(year, 4)}-${pad(moment.getUTCMonth() + 1, 2)}-${pad(moment.getUTCDate(), 2)}`;
}

function shiftDays(text, days) {
  const [year, month, day] = dateParts(text);
  return writeDay(utcDay(year, month, day + days));
}

function yearBefore(text) {
  const [year, month, day] = dateParts(text);
  // The year before a Feb 29 has no Feb 29: its Feb 28 is the same place in the year.
  return writeDay(utcDay(year - 1, month, month === 2 && day === 29 ? 28 : day));
}

const bothOrNull = (from, to) => (from === null || to === null ? null : [from, to]);

/** [from, to] the preset `key` covers on `today` ("YYYY-MM-DD"), or null for an unknown key or a
 * bad date. */
export function presetRange(key, today) {
  const parts = dateParts(today);
  if (parts === null || !Object.hasOwn(PRESETS, key)) return null;
  const [year, month, day] = parts;
  if (key === "month_to_date") return [writeDay(utcDay(year, month, 1)), today];
  if (key === "year_to_date") return [writeDay(utcDay(year, 1, 1)), today];
  if (key === "previous_month") return bothOrNull(writeDay(utcDay(year, month - 1, 1)), writeDay(utcDay(year, month, 0)));
  return bothOrNull(shiftDays(today, 1 - ROLLING_DAYS[key]), today);
}

/** [from, to] that the range from..to is compared with, or null for an unknown key, a bad date or
 * a range that ends before it starts. */
export function comparisonRange(from, to, key) {
  if (!Object.hasOwn(COMPARISONS, key) || dateParts(from) === null || dateParts(to) === null || to < from) return null;
  if (key === "previous_year") return bothOrNull(yearBefore(from), yearBefore(to));
  const start = dateParts(from);
  const end = dateParts(to);
  const days = Math.round((utcDay(...end) - utcDay(...start)) / DAY_MS) + 1;
  return bothOrNull(shiftDays(from, -days), shiftDays(from, -1));
}

/** The viewer's local calendar date of `now`, "YYYY-MM-DD". */
export function localToday(now = new Date()) {
  return `${pad(now.getFullYear(), 4)}-${pad(now.getMonth() + 1, 2)}-${pad(now.getDate(), 2)}`;
}
