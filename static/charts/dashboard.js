/* The dashboard, embed and personal dashboard pages (charts/_grid.html): one state (filters,
 * period, comparison, theme) shown by the filter bar, kept in the address (not in embeds) and
 * sent to each Panes frame as the params that frame accepts. Around it:
 *
 * - token_refresh: fresh tokens for every chart frame, the drill panel's included;
 * - cross-filtering: a click on a mark of a chart with data-cross-filter sets that param (a
 *   second click on the same value clears it); every other chart that accepts it is filtered, the
 *   clicking chart never is; it shows as a chip;
 * - drill_panel: a click on a chart with a drill opens its detail table in a dialog;
 * - auto_refresh: page_config.refresh_seconds;
 * - embed_bridge: the embed API's events and actions, inside an embed framed by an allowed origin.
 *
 * Frames that start later ask with FRAME_READY and get the theme and their filters at once.
 */
import { API_VERSION, CHART_CLICK, ERROR, FRAME_READY, THEMES, sameFilters } from "./protocol.js";
import { localToday } from "./periods.js";
import { initialState, nextState, searchOf, toggleCrossFilter, frameFilters } from "./page_state.js";
import { startTokenRefresh } from "./token_refresh.js";
import { acceptedBy, frameOfWindow, panesFrames, refreshAll, tell, tileOf } from "./page_frames.js";
import { filterBar } from "./filter_bar.js";
import { drillOf, drillPanel } from "./drill_panel.js";
import { startAutoRefresh } from "./auto_refresh.js";
import { embedBridge } from "./embed_bridge.js";

const grid = document.querySelector("[data-panes-grid]");
if (grid) start(grid);

function readConfig() {
  const element = document.getElementById("panes-page-config");
  try {
    return (element && JSON.parse(element.textContent)) || {};
  } catch (error) {
    return {};
  }
}

function start(grid) {
  const page = readConfig();
  const body = document.body;
  const offered = (grid.dataset.offered || "").split(",").filter(Boolean);
  const crossFilters = (page.cross_filters || []).filter((param) => offered.includes(param));
  let state = initialState(page, offered);
  let theme = THEMES.find((name) => body.classList.contains("theme-" + name)) || "light";

  const tokens = startTokenRefresh(grid);
  const bar = filterBar(document.querySelector("[data-panes-controls]"), {
    offered,
    crossFilters,
    onRequest: (request) => applyState(request),
    onTheme: (next) => applyTheme(next, true),
  });
  const panel = drillPanel(document.querySelector("[data-drill-panel]"), {
    state: () => state,
    theme: () => theme,
    tokenFor: tokens.tokenFor,
    expiryFor: tokens.expiryFor,
    onPath: (drill, path) =>
      bridge.emit("drill", { chart: Number(drill.chart), title: drill.title, path: path.length ? panel.path() : [] }),
    onFilterBy: (param, value) => crossFilter(param, value, true),
  });
  const chartsById = new Map((page.charts || []).map((chart) => [String(chart.id), chart]));
  const bridge = embedBridge(page, {
    setFilters: (args) => applyState(args),
    setTheme: (args) => applyTheme(args.theme, false),
    refresh: () => refreshAll(),
    openDrill: (args) => {
      const tile = grid.querySelector(`.tile[data-chart="${CSS.escape(args.chart)}"]`);
      if (tile && drillOf(tile)) panel.open(tile, args.path);
    },
  });

  /** The values one frame is sent. */
  function valuesFor(frame) {
    if (frame === panel.frame()) return panel.filtersFor();
    const tile = tileOf(frame);
    return frameFilters(state.filters, acceptedBy(frame), tile ? tile.dataset.crossFilter || "" : "");
  }

  const tellFrame = (frame) => tell(frame, theme, valuesFor(frame), state.compare);
  const tellAll = () => panesFrames().forEach(tellFrame);

  function reflectInAddress() {
    if (page.embed) return;
    const url = new URL(location.href);
    // The theme when the address chose one, and the language it asked for (?locale=) stays.
    const extra = { theme: url.searchParams.get("theme") ? theme : "", locale: url.searchParams.get("locale") || "" };
    const search = searchOf(state, offered, extra);
    history.replaceState(history.state, "", url.pathname + (search ? "?" + search : "") + url.hash);
  }

  function publicState() {
    return { filters: { ...state.filters }, period: state.period, compare: state.compare };
  }

  function applyState(request) {
    const next = nextState(request, offered, localToday());
    if (next.errors) {
      bar.showErrors(next.errors);
      return false;
    }
    const changed =
      !sameFilters(next.filters, state.filters) || next.period !== state.period || next.compare !== state.compare;
    state = next;
    bar.render(state);
    body.dataset.filters = new URLSearchParams(state.filters).toString();
    reflectInAddress();
    if (changed) {
      tellAll();
      bridge.emit("filters-changed", publicState());
    }
    return true;
  }

  function crossFilter(param, value, set = false) {
    const filters = set ? { ...state.filters, [param]: value } : toggleCrossFilter(state.filters, param, value);
    applyState({ filters, period: state.period, compare: state.compare });
  }

  function applyTheme(next, remember) {
    if (!THEMES.includes(next)) return;
    theme = next;
    for (const name of THEMES) body.classList.remove("theme-" + name);
    body.classList.add("theme-" + theme);
    const radio = document.querySelector(`[data-panes-controls] input[name="theme"][value="${theme}"]`);
    if (radio) radio.checked = true;
    if (remember && !page.embed) {
      const secure = location.protocol === "https:" ? "; Secure" : "";
      document.cookie = `panes_theme=${theme}; path=/; max-age=31536000; SameSite=Lax${secure}`;
      reflectInAddress();
    }
    tellAll();
  }

  function onChartClick(frame, message) {
    const tile = tileOf(frame);
    if (!tile || typeof message.value !== "string") return;
    const chart = chartsById.get(tile.dataset.chart);
    bridge.emit("chart-click", {
      chart: Number(tile.dataset.chart),
      title: chart ? chart.title : tile.getAttribute("aria-label") || "",
      column: String(message.column || ""),
      value: message.value,
    });
    // A chart with both opens its drill; the panel offers the cross-filter as a button.
    if (drillOf(tile)) panel.open(tile, [message.value]);
    else if (tile.dataset.crossFilter && crossFilters.includes(tile.dataset.crossFilter)) {
      crossFilter(tile.dataset.crossFilter, message.value);
    }
  }

  window.addEventListener("message", (event) => {
    if (event.origin !== location.origin || !event.data) return;
    const frame = frameOfWindow(event.source);
    if (!frame) return;
    const message = event.data;
    if (message.type === FRAME_READY) tellFrame(frame);
    else if (message.type === CHART_CLICK) onChartClick(frame, message);
    else if (message.type === ERROR) {
      const tile = tileOf(frame);
      bridge.emit("error", {
        chart: Number(tile ? tile.dataset.chart : frame.dataset.chart),
        error: String(message.error || ""),
        message: String(message.message || ""),
      });
    }
  });

  startAutoRefresh(page.refresh_seconds, refreshAll);
  bar.render(state);
  if (Object.keys(state.filters).length) body.dataset.filters = new URLSearchParams(state.filters).toString();
  bridge.emit("ready", {
    version: API_VERSION,
    title: page.title || document.title,
    charts: page.charts || [],
    ...publicState(),
  });
}
