/* A dashboard page's state (filter values, period, comparison) and what follows from it: the
 * page's address, the cross-filter chips, the values each frame may be sent and the drill panel's
 * query. Pure, no DOM: tests/js/page_state.test.mjs runs it under Node.
 *
 * The address follows charts/filters.py: every offered param by name, `period=<preset>` for a
 * rolling range (it stands in for date_from/date_to, so a bookmark keeps rolling) and
 * `compare=<comparison>` when the page offers both dates.
 */
import { gettext, interpolate } from "./i18n.js";
import { acceptedFilters, checkFilters } from "./protocol.js";
import { COMPARISONS, PRESETS, presetRange } from "./periods.js";

/** A param's label, as charts/filters.label_for writes it. */
export function labelFor(name) {
  if (name === "date_from") return gettext("From");
  if (name === "date_to") return gettext("To");
  const text = name.replace(/_/g, " ");
  return text.slice(0, 1).toUpperCase() + text.slice(1);
}

/** Whether the page offers a date range, the condition for periods and comparisons. */
export function offersRange(offered) {
  return offered.includes("date_from") && offered.includes("date_to");
}

/** The state a page starts with: the server's parsed values (it resolved `period` already). */
export function initialState(config, offered) {
  const range = offersRange(offered);
  const period = range && Object.hasOwn(PRESETS, config.period || "") ? config.period : "";
  const compare = range && Object.hasOwn(COMPARISONS, config.compare || "") ? config.compare : "";
  return { filters: acceptedFilters(config.filters || {}, offered), period, compare };
}

/**
 * The next state for values asked for by the filter bar, a chip, a click or the embedding page,
 * or {errors} when a value cannot be used (param -> message, as the server would say it).
 * `period` wins over the dates it covers, resolved on `today` (the viewer's local date).
 */
export function nextState(request, offered, today) {
  const range = offersRange(offered);
  const asked = {};
  for (const [name, value] of Object.entries(request.filters || {})) {
    if (offered.includes(name) && typeof value === "string" && value.trim()) asked[name] = value.trim();
  }
  let period = "";
  if (range && request.period) {
    const dates = presetRange(request.period, today);
    if (!dates) return { errors: { period: interpolate(gettext('unknown period "%(period)s".'), { period: request.period }, true) } };
    period = request.period;
    [asked.date_from, asked.date_to] = dates;
  }
  let compare = "";
  if (range && request.compare) {
    if (!Object.hasOwn(COMPARISONS, request.compare)) return { errors: { compare: interpolate(gettext('unknown comparison "%(compare)s".'), { compare: request.compare }, true) } };
    compare = request.compare;
  }
  const errors = checkFilters(asked);
  if (Object.keys(errors).length) return { errors };
  return { filters: asked, period, compare };
}

/** The query string (no "?") of the page's address for `state`; `extra` holds keys of the page's
 * own (the theme) that stay as they are. */
export function searchOf(state, offered, extra = {}) {
  const params = new URLSearchParams();
  for (const name of offered) {
    if (state.period && (name === "date_from" || name === "date_to")) continue;
    if (state.filters[name]) params.set(name, state.filters[name]);
  }
  if (state.period) params.set("period", state.period);
  if (state.compare) params.set("compare", state.compare);
  for (const [key, value] of Object.entries(extra)) if (value) params.set(key, value);
  return params.toString();
}

/** The removable chips: one per cross-filter param that holds a value. */
export function chipsOf(filters, crossFilters) {
  return crossFilters
    .filter((param) => filters[param])
    .map((param) => ({ param, value: filters[param], label: `${labelFor(param)}: ${filters[param]}` }));
}

/** The filters after a click on `value` in a chart that cross-filters by `param`: the value is set,
 * or removed when it is already the one set (a second click undoes the first). */
export function toggleCrossFilter(filters, param, value) {
  const next = { ...filters };
  if (next[param] === value) delete next[param];
  else next[param] = value;
  return next;
}

/** What one frame is sent: the values of the params it accepts, never the chart's own
 * cross-filter param (a chart is not filtered by its own clicks). */
export function frameFilters(filters, accepted, ownCrossFilter = "") {
  return acceptedFilters(filters, accepted.filter((name) => name !== ownCrossFilter));
}

/**
 * The drill frame's values: the drilling chart's filters, then drill param i = path[i] (a
 * click's value wins over a page filter of the same name). Values beyond the drill params are
 * dropped; the host fixes the tenant's params whatever arrives here.
 */
export function drillFilters(filters, accepted, ownCrossFilter, drillParams, path) {
  const values = frameFilters(filters, accepted, ownCrossFilter);
  drillParams.slice(0, path.length).forEach((param, i) => {
    values[param] = String(path[i]);
  });
  return acceptedFilters(values, [...new Set([...accepted, ...drillParams])]);
}

/** The embed API's drill path: [{param, value}] for the levels opened so far. */
export function drillPath(drillParams, path) {
  return path.slice(0, drillParams.length).map((value, i) => ({ param: drillParams[i], value: String(value) }));
}

/** The breadcrumbs of a drill panel: the chart's title, then each value; the last is current. */
export function breadcrumbs(title, path) {
  return [title, ...path.map(String)].map((label, level) => ({ label, level, current: level === path.length }));
}
