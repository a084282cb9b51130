/* The chart builder's pure rules (no DOM), tested with `node --test tests/js/`. */
import { gettext, interpolate } from "../i18n.js";

/* Which section of the form each kind shows. */
export function kindSections(kind) {
  return { tinybird: kind === "tinybird", panes: kind === "panes" };
}

/* A comma-separated list as its items: stripped, blanks and repeats dropped, in order. */
export function splitList(text) {
  var seen = [];
  String(text || "").split(",").forEach(function (item) {
    var name = item.trim();
    if (name && seen.indexOf(name) < 0) seen.push(name);
  });
  return seen;
}

/* ``text`` with ``name`` added (on) or removed (off), written as the admin writes lists. */
export function toggleInList(text, name, on) {
  var items = splitList(text).filter(function (item) { return item !== name; });
  if (on) items.push(name);
  return items.join(", ");
}

/* The options of the pipe select: every listed pipe, and the current value if the listing
 * does not have it (kept, so opening a chart never changes its pipe). */
export function pipeOptions(pipes, current) {
  var options = [{ value: "", label: gettext("— choose a pipe —"), selected: !current }];
  var found = false;
  pipes.forEach(function (pipe) {
    var selected = pipe.name === current;
    found = found || selected;
    options.push({ value: pipe.name, label: pipe.name, selected: selected });
  });
  if (current && !found) options.push({ value: current, label: interpolate(gettext("%(pipe)s (not in the listing)"), { pipe: current }, true), selected: true });
  return options;
}

/* Values for the index and category fields: the defaults where a field is blank, else as typed. */
export function withDefaults(values, defaults) {
  if (!defaults) return { index: values.index, categories: values.categories };
  return {
    index: values.index || defaults.index || "",
    categories: values.categories || (defaults.categories || []).join(", "),
  };
}

/* The token's fixed params as [name, text] pairs, by name. */
export function fixedEntries(fixed) {
  return Object.keys(fixed || {}).sort().map(function (name) {
    var value = fixed[name];
    return [name, typeof value === "string" ? value : JSON.stringify(value)];
  });
}

/* Params a viewer could be offered: the pipe's declared params minus the tenant params. */
export function filterSuggestions(pipeParams, tenantParams) {
  var excluded = splitList(tenantParams);
  return (pipeParams || []).filter(function (name) { return excluded.indexOf(name) < 0; });
}
