/* Panes chart frame: reads rows from a chart host with the token it was given and draws them.
 *
 * The pieces: transport.js (token, fetch, backoff, token requests), chart_options.js (pure ECharts
 * options, the comparison series, the KPI delta), data_views.js (tables, KPI tiles, CSV),
 * marks.js (clicks and the keyboard on marks), chart_format.js (numbers, columns, CSV text),
 * frame_shell.js (state, status, announcements, theme ink). This entry wires them to the page. Every outcome is a state a person understands, mirrored on <body
 * data-state data-rows data-error> for tests.
 *
 * The parent page (same origin, and only the parent window) sends TOKEN, FILTERS (values for the
 * params this chart accepts, config.filter_params, anything else dropped; and a comparison
 * key), THEME and REFRESH. The frame sends FRAME_READY, TOKEN_REQUEST, CHART_CLICK (a click on a
 * mark of a chart with a drill or a cross-filter), DRILL (a row of a detail table with a next
 * drill param) and ERROR (a state that does not retry). The table view and the CSV hold the rows
 * drawn, fetched with the same token and filters, so the host's fixed params apply to them too.
 *
 * config.mode "detail" makes the frame a drill's detail table: config.pipe's rows for the
 * filters, which hold the drill values set so far (fixed for this frame: the page's filters
 * cannot change them).
 */
import { columns, csvName, csvText, dataColumns, humanize, kpiIsEmpty, labelFormat, numberFormats, numericColumns, tableColumns, cleanNumber, toNumber } from "./chart_format.js";
import { COMPARED_TYPES, chartColors, chartOption, drawnRows, kpiDelta, markValues, nextDrillParam } from "./chart_options.js";
import { MAX_TABLE_ROWS, buildTable, fillEmptyKpi, fillKpi, saveBlob, tableNote } from "./data_views.js";
import { Marks } from "./marks.js";
import { COMPARISONS, VERSUS, comparisonRange } from "./periods.js";
import { gettext, interpolate, ngettext } from "./i18n.js";
import { announce, applyTheme, hideStatus, ink, isDark, setState, showStatus } from "./frame_shell.js";
import { CHART_CLICK, DRILL, ERROR, FILTERS, FRAME_READY, REFRESH, THEME, TOKEN, acceptedFilters, sameFilters } from "./protocol.js";
import { Transport, filterQuery, takeTokenFromHash } from "./transport.js";

const config = JSON.parse(document.getElementById("panes-chart-config").textContent);
const body = document.body;
const chartEl = document.getElementById("panes-chart");
const statusEl = document.getElementById("panes-status");
const dataEl = document.getElementById("panes-data");
const frameBody = chartEl.parentNode;
const toggleEl = document.getElementById("panes-view-toggle");
const downloadEl = document.getElementById("panes-download");
const pngEl = document.getElementById("panes-png");

const detail = config.mode === "detail";
const type = config.type;
const drillParams = Array.isArray(config.drill_params) ? config.drill_params : [];
const accepted = Array.isArray(config.filter_params) ? config.filter_params : [];
// A detail table's drill values are what the frame is: filters from the page never change them.
const drillValues = detail ? acceptedFilters(config.filters || {}, drillParams) : {};
// Nor is a chart ever filtered by its own cross-filter: it is the one that sets it.
const pageParams = accepted.filter((name) => !(name in drillValues) && name !== config.cross_filter);
// A detail pipe is not the chart's: its columns are all shown, whatever the chart plots.
const viewConfig = detail ? { ...config, index: "", categories: [] } : config;
const clickable = !detail && Boolean(config.drill || config.cross_filter);
const hasParent = window.parent && window.parent !== window;
const reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

let filters = { ...acceptedFilters(config.filters || {}, pageParams), ...drillValues };
let compare = comparisonKey(config.compare);
let lastDraw = null; // {meta, rows, earlier} of the last draw, to redraw on a theme change
let drawn = false;
let chart = null; // the ECharts instance, kept across re-fetches so its state survives
let marks = { cols: null, rows: [], values: [] }; // what the drawn marks are, for clicks

function comparisonKey(value) {
  return typeof value === "string" && Object.hasOwn(COMPARISONS, value) ? value : "";
}

/** "<chart title>: <what>", for the chart's accessible name. */
function titled(what) {
  return interpolate(gettext("%(title)s: %(what)s"), { title: config.title, what }, true);
}

function postUp(message) {
  if (hasParent) window.parent.postMessage(message, location.origin);
}

/* --- States ------------------------------------------------------------------------------ */

function fail(error, text, retrying) {
  setState("error", error);
  showStatus(text, retrying && drawn ? "badge" : retrying ? "loading" : "error");
  if (retrying) return;
  chartEl.setAttribute("aria-label", titled(text));
  // The page tells its viewer (and an embedding page) that this chart gave up.
  postUp({ type: ERROR, chart: config.chart, error, message: text });
}

/* --- Fetching ---------------------------------------------------------------------------- */

/** Whether the chart is drawn against an earlier period too, and which. */
function comparisonFilters() {
  if (detail || !compare || !config.compare_ok || !filters.date_from || !filters.date_to) return null;
  if (type !== "kpi" && !COMPARED_TYPES.includes(type)) return null;
  const range = comparisonRange(filters.date_from, filters.date_to, compare);
  return range ? { ...filters, date_from: range[0], date_to: range[1] } : null;
}

function requests() {
  const earlier = comparisonFilters();
  return earlier ? [filters, earlier] : [filters];
}

const transport = new Transport({
  api: config.api,
  pipe: config.pipe,
  token: takeTokenFromHash(location, history),
  parent: hasParent ? window.parent : null,
  origin: location.origin,
  onLoading() {
    if (drawn) return;
    setState("loading");
    showStatus(gettext("Loading…"), "loading");
  },
  onRows(main, extras) {
    draw(main.meta, main.rows, extras[0] || null);
  },
  onFail: fail,
  onAskToken() {
    showStatus(gettext("Refreshing access…"), "loading");
  },
});

/* --- Messages from the page ---------------------------------------------------------------- */

function setTheme(theme) {
  if (applyTheme(theme)) redraw();
}

function setFilters(values, nextCompare) {
  const next = { ...acceptedFilters(values, pageParams), ...drillValues };
  if (sameFilters(next, filters) && nextCompare === compare) return;
  filters = next;
  compare = nextCompare;
  body.dataset.filters = filterQuery(filters);
  if (!config.error) transport.restart(requests());
}

function refresh() {
  // A frame that is retrying has its own schedule; one that gave up waits for a new token or
  // new filters (a wall screen must not repeat its ERROR every interval).
  if (config.error || body.dataset.state === "error") return;
  if (transport.refresh()) body.dataset.refreshes = String(Number(body.dataset.refreshes || 0) + 1);
}

window.addEventListener("message", (event) => {
  if (event.origin !== location.origin || event.source !== window.parent) return;
  const message = event.data;
  if (!message || typeof message !== "object") return;
  if (message.type === THEME && typeof message.theme === "string") {
    setTheme(message.theme);
  } else if (message.type === FILTERS && message.filters && typeof message.filters === "object") {
    // A page that says nothing of the comparison keeps it.
    setFilters(message.filters, "compare" in message ? comparisonKey(message.compare) : compare);
  } else if (message.type === REFRESH) {
    refresh();
  } else if (message.type === TOKEN && typeof message.token === "string" && message.token) {
    body.dataset.tokenUpdates = String(Number(body.dataset.tokenUpdates || 0) + 1);
    transport.setToken(message.token);
  }
});

/* --- Values ----------------------------------------------------------------------------- */

// The page's language (config.locale; without one, the browser's) writes every number and date a
// person reads here, with the chart's unit when it names one; date-times in config.time_zone.
// The CSV keeps the host's values as they are: a file is read by programs too.
const locale = typeof config.locale === "string" && config.locale ? config.locale : undefined;
const formats = numberFormats(config.unit || "", locale);
const plainFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
const labelOf = labelFormat(locale, config.time_zone || undefined);

function formatNumber(value) {
  return value === null || value === undefined ? "–" : formats.full(cleanNumber(value));
}

const plainFormats = numberFormats("", locale);

/** How a table writes a number of column `name`: the chart's unit is that of the measures it
 * plots, not of every column (a count of orders is not in euros). */
function cellFormat(cols) {
  const declared = config.categories && config.categories.length ? config.categories : null;
  const measured = new Set(declared || (detail ? [] : cols.categories));
  return (name, value) => (measured.has(name) ? formatNumber(value) : plainFormats.full(cleanNumber(value)));
}

function formatBig(value) {
  return value === null ? "–" : formats.big(cleanNumber(value));
}

/* --- Clicks ------------------------------------------------------------------------------ */

function clickHint() {
  return config.drill ? gettext("press Enter or click to see the details") : gettext("press Enter or click to filter the dashboard by it");
}

function chartClick(column, value) {
  if (!clickable || value === null || value === undefined) return;
  body.dataset.clicked = String(value);
  postUp({ type: CHART_CLICK, chart: config.chart, column, value: String(value) });
}

const markFocus = new Marks(chartEl, {
  onPick(index) {
    chartClick(marks.cols.index, marks.values[index]);
  },
  describe(index) {
    const row = marks.rows[index] || {};
    const values = marks.cols.categories.map((name) => humanize(name) + " " + formatNumber(toNumber(row[name])));
    return labelOf(row[marks.cols.index]) + ": " + values.join(", ");
  },
  announce,
});

function rowAction(cols) {
  if (detail) {
    const next = nextDrillParam(drillParams, filters);
    if (!next) return {};
    return {
      onRow(row) {
        const value = row[next];
        if (value === null || value === undefined) return;
        postUp({ type: DRILL, chart: config.chart, column: next, value: String(value) });
      },
      rowHint: (row) => interpolate(gettext("Show the details of %(column)s %(value)s"), { column: humanize(next), value: labelOf(row[next]) }, true),
    };
  }
  if (!clickable || !cols.index) return {};
  return { onRow: (row) => chartClick(cols.index, row[cols.index]), rowHint: () => clickHint() };
}

/* --- Drawing ----------------------------------------------------------------------------- */

function draw(meta, rows, earlier) {
  lastDraw = { meta, rows, earlier };
  body.dataset.rows = String(rows.length);
  if (earlier) {
    body.dataset.compare = compare;
    body.dataset.compareRows = String(earlier.rows.length);
  } else {
    delete body.dataset.compare;
    delete body.dataset.compareRows;
  }
  if (downloadEl) downloadEl.hidden = false;
  if (pngEl) pngEl.hidden = !pngSlug;
  if (toggleEl) toggleEl.hidden = !rows.length;
  if (!rows.length && body.dataset.view === "table") setView("chart");
  if (!rows.length && type === "kpi") {
    drawKpiEmpty({ names: [], index: "", categories: config.categories || [] });
    return;
  }
  if (!rows.length) {
    drawn = false;
    clearCustom();
    if (chart) chart.clear();
    markFocus.update({ count: 0, kind: "cartesian", horizontal: false, enabled: false });
    renderAccessible({ names: [], index: "", categories: [] }, []);
    setState("empty");
    showStatus(gettext("No data for this period"), "empty");
    chartEl.setAttribute("aria-label", titled(gettext("no data for this period")));
    return;
  }
  const cols = columns(meta, rows, viewConfig);
  if (type === "kpi" && kpiIsEmpty(rows, cols.names)) {
    drawKpiEmpty(cols);
    return;
  }
  if (type === "table") drawTable(cols, rows);
  else if (type === "kpi") drawKpi(cols, rows, earlier);
  else drawEcharts(cols, rows, earlier);
  renderAccessible(cols, rows);
  drawn = true;
  hideStatus();
  setState("ready");
}

function redraw() {
  if (lastDraw && drawn) draw(lastDraw.meta, lastDraw.rows, lastDraw.earlier);
}

// "auto" follows the system setting live: redraw the chart in the new colours.
if (window.matchMedia) {
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    if (body.dataset.theme === "auto") redraw();
  });
}

function clearCustom() {
  const old = frameBody.querySelector(".frame__custom");
  if (old) old.remove();
}

function custom(className) {
  clearCustom();
  chartEl.hidden = true;
  const el = document.createElement("div");
  el.className = "frame__custom " + className;
  frameBody.insertBefore(el, statusEl);
  return el;
}

function drawKpi(cols, rows, earlier) {
  const main = cols.categories[0];
  const delta = earlier ? kpiDelta(rows[0][main], (earlier.rows[0] || {})[main], VERSUS[compare], locale) : null;
  const el = custom("frame__kpi");
  const headline = fillKpi(el, { title: config.title, cols, row: rows[0], formatBig, formatNumber, delta, labelOf });
  chartEl.setAttribute("aria-label", titled(headline + (delta ? ", " + delta.spoken : "")));
}

function drawKpiEmpty(cols) {
  // Every KPI of a period without data reads the same: a dash, and why.
  drawn = true;
  fillEmptyKpi(custom("frame__kpi frame__kpi--empty"));
  renderAccessible(cols, []);
  if (toggleEl) toggleEl.hidden = true;
  hideStatus();
  setState("empty");
  chartEl.setAttribute("aria-label", titled(gettext("no data for this period")));
}

function drawTable(cols, rows) {
  const el = custom("frame__table");
  const names = tableColumns(cols, viewConfig);
  // The table scrolls: keyboard users must be able to reach it, and it needs a name.
  el.tabIndex = 0;
  el.setAttribute("role", "region");
  el.setAttribute("aria-label", config.title);
  const what = interpolate(ngettext("a table of %s row", "a table of %s rows", rows.length), [plainFormat.format(rows.length)]);
  chartEl.setAttribute("aria-label", titled(what));
  el.appendChild(buildTable(names, rows, numericColumns(names, rows), cellFormat(cols), { ...rowAction(cols), labelOf }));
  if (rows.length > MAX_TABLE_ROWS) el.appendChild(tableNote(rows.length, plainFormat));
}

function drawEcharts(cols, rows, earlier) {
  clearCustom();
  chartEl.hidden = false;
  const dark = isDark();
  const option = chartOption(cols, rows, {
    type,
    stacked: config.stacked,
    colors: chartColors(config, dark),
    dark,
    ink: ink(),
    formats,
    width: chartEl.clientWidth,
    height: chartEl.clientHeight,
    fontFamily: getComputedStyle(body).fontFamily,
    animation: !reducedMotion,
    clickable,
    comparison: earlier ? { rows: earlier.rows, label: COMPARISONS[compare] } : null,
    label: labelOf,
  });
  const first = !chart;
  if (first) {
    chart = window.echarts.init(chartEl, null, { renderer: "svg" });
    markFocus.attach(chart);
  }
  // Merge into the same instance: legend selections and zoom survive a refresh.
  chart.setOption(option, first ? {} : { replaceMerge: ["series", "xAxis", "yAxis", "legend"] });
  marks = { cols, rows: drawnRows(cols, rows, type), values: markValues(cols, rows, type) };
  const pie = type === "pie" || type === "donut";
  markFocus.update({ count: rows.length, kind: pie ? "pie" : "cartesian", horizontal: type === "bar_list", enabled: clickable });
  const what = interpolate(
    ngettext("%(count)s row of %(columns)s", "%(count)s rows of %(columns)s", rows.length),
    { count: plainFormat.format(rows.length), columns: cols.categories.map(humanize).join(", ") },
    true,
  );
  const how = clickable ? interpolate(gettext("; use the arrow keys to pick one, %(hint)s"), { hint: clickHint() }, true) : "";
  chartEl.setAttribute("aria-label", titled(what + how));
}

function renderAccessible(cols, rows) {
  dataEl.textContent = "";
  if (!rows.length) return;
  const names = dataColumns(cols, viewConfig);
  const table = buildTable(names, rows, numericColumns(names, rows), cellFormat(cols), { labelOf });
  table.createCaption().textContent = config.title;
  dataEl.appendChild(table);
}

/* --- Table view and CSV download ---------------------------------------------------------- */

function setView(view) {
  body.dataset.view = view;
  if (toggleEl) toggleEl.setAttribute("aria-pressed", view === "table" ? "true" : "false");
  if (view === "table") {
    dataEl.tabIndex = 0; // a scrolling region must be reachable by keyboard
    chartEl.setAttribute("aria-hidden", "true");
  } else {
    dataEl.removeAttribute("tabindex");
    chartEl.removeAttribute("aria-hidden");
    if (chart) chart.resize();
  }
}

/** The CSV of the rows drawn, {name, text}, or null before anything is drawn. */
function csvFile() {
  if (!lastDraw || (!lastDraw.rows.length && !lastDraw.meta.length)) return null;
  const { meta, rows } = lastDraw;
  const drilled = drillParams.map((name) => drillValues[name]).filter(Boolean);
  const name = csvName(config.title, filters, new Date().toISOString().slice(0, 10), drilled);
  // The rows on screen, fetched with the chart's token and filters (so the host's fixed params
  // apply to the file too), in the columns of the table view.
  const names = rows.length ? dataColumns(columns(meta, rows, viewConfig), viewConfig) : meta.map((m) => m.name);
  return { name, text: csvText(names, rows) };
}

function download() {
  const file = csvFile();
  if (!file) return;
  saveBlob(new Blob([file.text], { type: "text/csv;charset=utf-8" }), file.name);
  body.dataset.download = "done";
  announce(interpolate(gettext("Downloaded %(name)s"), { name: file.name }, true));
}

/* What the server's export renderer (charts/render.py) reads once the frame has settled: the
 * state, the same CSV as "Download CSV" and the rows drawn; `retrying` while a failed fetch is
 * to be tried again (an export waits for it). */
window.panesExport = () => {
  const state = body.dataset.state;
  const retrying = Boolean(transport.retrying);
  if (state === "loading") return { state, retrying };
  const file = csvFile();
  return { state, retrying, csv: file ? file.text : "", csvName: file ? file.name : "", rows: lastDraw ? lastDraw.rows : [] };
};

/* The PNG download: this chart's tile as the server draws it (charts/export_views.py), offered on a
 * dashboard page (/d/<slug>/, the frame's same-origin parent) with the frame's filters and the
 * theme it shows now ("auto" as the colours it resolved to). */
function dashboardSlug() {
  try {
    const match = hasParent && /^\/d\/([^/]+)\/$/.exec(window.parent.location.pathname);
    return match ? decodeURIComponent(match[1]) : "";
  } catch (error) {
    return "";
  }
}

const pngSlug = detail ? "" : dashboardSlug();

function pngHref() {
  const params = new URLSearchParams(filters);
  if (compare) params.set("compare", compare);
  if (isDark()) params.set("theme", "dark");
  const search = params.toString();
  return `/d/${encodeURIComponent(pngSlug)}/charts/${encodeURIComponent(config.chart)}.png` + (search ? "?" + search : "");
}

if (pngEl && pngSlug) pngEl.addEventListener("click", () => { pngEl.href = pngHref(); });
if (toggleEl) toggleEl.addEventListener("click", () => setView(body.dataset.view === "table" ? "chart" : "table"));
if (downloadEl) downloadEl.addEventListener("click", download);

/* --- Lifecycle --------------------------------------------------------------------------- */

let resizeFrame = 0;
window.addEventListener("resize", () => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => {
    if (!chart) return;
    // Label and legend layouts depend on the width: draw again, else just resize.
    if (type !== "kpi" && type !== "table") redraw();
    chart.resize();
  });
});

if (config.refresh_seconds && config.refresh_seconds >= 5) {
  setInterval(() => {
    // A pending retry already has its own schedule; a hidden frame can wait.
    if (!document.hidden && !transport.retrying && transport.token && body.dataset.state !== "error") transport.refresh();
  }, config.refresh_seconds * 1000);
}

body.dataset.filters = filterQuery(filters);
// The page may have changed filters or theme since it wrote this frame's address.
postUp({ type: FRAME_READY });
if (config.error) fail("bad_filter", config.error, false);
else transport.load(requests());
