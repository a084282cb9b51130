/* The chart frame's own DOM: tables (a table chart, the table view, a drill's detail rows), KPI
 * tiles with their comparison delta, and the CSV download. No fetching and no ECharts here. */
import { humanize, label, toNumber } from "./chart_format.js";
import { gettext, interpolate } from "./i18n.js";

export const MAX_TABLE_ROWS = 1000;

/**
 * A <table> of `rows` in the columns `names`; numeric columns right-aligned and written with
 * `formatCell(name, number)`, other cells with `labelOf` (chart_format.labelFormat: dates in the
 * viewer's locale). With `onRow(row)`, each row is an action: focusable, and Enter, Space or a click
 * calls it; `rowHint(row)` names the action for assistive technology.
 */
export function buildTable(names, rows, numeric, formatCell, { onRow = null, rowHint = null, labelOf = label } = {}) {
  const table = document.createElement("table");
  const thead = table.createTHead().insertRow();
  for (const name of names) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = humanize(name);
    if (numeric[name]) th.className = "num";
    thead.appendChild(th);
  }
  const tbody = table.createTBody();
  for (const row of rows.slice(0, MAX_TABLE_ROWS)) {
    const tr = tbody.insertRow();
    for (const name of names) {
      const td = tr.insertCell();
      const value = toNumber(row[name]);
      if (numeric[name] && value !== null) {
        td.className = "num";
        td.textContent = formatCell(name, value);
      } else {
        td.textContent = labelOf(row[name]);
      }
    }
    if (onRow) makeAction(tr, () => onRow(row), rowHint ? rowHint(row) : "");
  }
  return table;
}

function makeAction(tr, act, hint) {
  tr.tabIndex = 0;
  tr.className = "frame__row-action";
  if (hint) tr.title = hint;
  if (hint) tr.setAttribute("aria-description", hint);
  tr.addEventListener("click", act);
  tr.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    event.preventDefault();
    act();
  });
}

/** "Showing the first 1,000 of 2,345 rows." under a table that does not show them all. */
export function tableNote(total, plainFormat) {
  const note = document.createElement("p");
  note.className = "frame__note";
  note.textContent = interpolate(
    gettext("Showing the first %(shown)s of %(total)s rows."),
    { shown: plainFormat.format(MAX_TABLE_ROWS), total: plainFormat.format(total) },
    true,
  );
  return note;
}

function div(className, text) {
  const el = document.createElement("div");
  el.className = className;
  el.textContent = text;
  return el;
}

/**
 * Fills `el` with a KPI: the headline value, its caption, the other categories, and the delta
 * against an earlier period when `delta` ({direction, text, spoken}, chart_options.kpiDelta) is
 * given. Returns the headline's text.
 */
export function fillKpi(el, { title, cols, row, formatBig, formatNumber, delta = null, labelOf = label }) {
  const main = cols.categories[0];
  const value = toNumber(row[main]);
  const big = div("frame__kpi-value", value === null ? label(row[main]) || "–" : formatBig(value));
  big.title = value === null ? "" : formatNumber(value);
  const name = humanize(main || "");
  const parts = [];
  // The column name only when the title does not already say it.
  if (!title.toLowerCase().includes(name.toLowerCase())) parts.push(name);
  if (cols.index && row[cols.index] !== undefined) parts.push(labelOf(row[cols.index]));
  el.append(big, div("frame__kpi-label", parts.join(" · ")));
  if (delta) {
    const line = div("frame__kpi-delta frame__kpi-delta--" + delta.direction, delta.text);
    line.setAttribute("aria-label", delta.spoken);
    el.appendChild(line);
  }
  for (const other of cols.categories.slice(1)) {
    el.appendChild(div("frame__kpi-label", humanize(other) + ": " + formatNumber(toNumber(row[other]))));
  }
  return big.textContent;
}

/** Fills `el` with the KPI of a period without data: every KPI says it the same way. */
export function fillEmptyKpi(el) {
  el.append(div("frame__kpi-value", "–"), div("frame__kpi-label", gettext("No data for this period")));
}

/** Saves `blob` as a download named `name`. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}
