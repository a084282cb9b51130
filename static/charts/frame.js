/* Panes chart frame: reads rows from a chart host with the token it was given and draws them.
 *
 * The token arrives in the URL fragment (never sent to a server, removed from the address at
 * once) and later from the parent page by postMessage. Rows come from
 * `${api}/v0/pipes/${pipe}.json?<filters>` with `Authorization: Bearer`, without cookies. Every
 * outcome is a state a person understands, and is mirrored on <body data-state data-rows
 * data-error> for tests.
 *
 * The parent page (same origin only) may also send `panes:filters` (values for the params this
 * chart accepts, config.filter_params; anything else is dropped) and `panes:theme`. The rows can
 * be shown as a table and downloaded as CSV through the same token and filters, so the chart
 * host's fixed params apply to the download exactly as to the chart. The CSV is written from the
 * rows drawn (numbers without float noise), with exactly the columns of the table view.
 *
 * The rules that need no DOM (number writing, CSV, the KPI empty state, label layouts) live in
 * chart_format.js, tested with `node --test tests/js/`.
 */
import {
  categoryLabelLayout,
  edgeLabelInterval,
  cleanNumber,
  csvText,
  kpiIsEmpty,
  numberFormats,
  pieLayout,
  toNumber,
} from "./chart_format.js";

(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("panes-chart-config").textContent);
  var body = document.body;
  var chartEl = document.getElementById("panes-chart");
  var statusEl = document.getElementById("panes-status");
  var dataEl = document.getElementById("panes-data");
  var frameBody = chartEl.parentNode;
  var toggleEl = document.getElementById("panes-view-toggle");
  var downloadEl = document.getElementById("panes-download");

  var PALETTE = ["#4f46e5", "#06b6d4", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#ec4899", "#64748b"];
  // The same hues, lighter, for dark backgrounds.
  var DARK_PALETTE = ["#818cf8", "#22d3ee", "#fbbf24", "#34d399", "#f87171", "#a78bfa", "#f472b6", "#94a3b8"];
  var MAX_BACKOFF_MS = 60000;
  var MAX_TABLE_ROWS = 1000;
  var TOKEN_WAIT_MS = 6000;
  var THEMES = ["light", "dark", "auto"];
  var DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
  var accepted = Array.isArray(config.filter_params) ? config.filter_params : [];
  var filters = cleanFilters(config.filters || {});
  var lastRows = null; // [meta, rows] of the last draw, to redraw on a theme change

  var token = takeTokenFromHash();
  var chart = null; // the ECharts instance, kept across re-fetches so its state survives
  var controller = null;
  var retryTimer = null;
  var tokenWaitTimer = null;
  var attempt = 0;
  var askedForToken = false; // at most one request to the parent per token
  var drawn = false;
  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var hasParent = window.parent && window.parent !== window;

  function takeTokenFromHash() {
    var value = new URLSearchParams(location.hash.replace(/^#/, "")).get("token");
    if (location.hash) history.replaceState(history.state, "", location.pathname + location.search);
    return value || null;
  }

  /* --- States ------------------------------------------------------------------------------ */

  function setState(state, error) {
    body.dataset.state = state;
    if (error) body.dataset.error = error;
    else delete body.dataset.error;
  }

  function showStatus(text, kind) {
    // kind: "loading" (spinner, covers), "badge" (small, over a drawn chart), "error", "empty"
    statusEl.hidden = false;
    statusEl.className = "frame__status" + (kind === "badge" ? " frame__status--badge" : "") + (kind === "error" ? " frame__status--error" : "");
    statusEl.textContent = "";
    if (kind === "loading") {
      var spinner = document.createElement("span");
      spinner.className = "spinner";
      spinner.setAttribute("aria-hidden", "true");
      statusEl.appendChild(spinner);
    }
    var span = document.createElement("span");
    span.className = "frame__status-text";
    span.textContent = text;
    statusEl.appendChild(span);
  }

  function hideStatus() {
    statusEl.hidden = true;
  }

  function fail(error, text, retrying) {
    setState("error", error);
    showStatus(text, retrying && drawn ? "badge" : retrying ? "loading" : "error");
    if (!retrying) chartEl.setAttribute("aria-label", config.title + ": " + text);
  }

  /* --- Token ------------------------------------------------------------------------------- */

  function tokenExpired(value) {
    try {
      var part = value.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      var claims = JSON.parse(atob(part + "===".slice((part.length + 3) % 4)));
      return typeof claims.exp === "number" && claims.exp * 1000 <= Date.now();
    } catch (e) {
      return false;
    }
  }

  function refused() {
    if (!token || tokenExpired(token)) fail("expired", "Access expired — refresh the page", false);
    else fail("forbidden", "Not allowed", false);
  }

  function askForToken() {
    // Once per token: if the parent has nothing newer, the refusal stands.
    if (askedForToken || !hasParent) {
      refused();
      return;
    }
    askedForToken = true;
    showStatus("Refreshing access…", "loading");
    window.parent.postMessage({ type: "panes:token-request" }, location.origin);
    clearTimeout(tokenWaitTimer);
    tokenWaitTimer = setTimeout(refused, TOKEN_WAIT_MS);
  }

  /* --- Filters and theme from the page -------------------------------------------------------- */

  function isDateParam(name) {
    return name === "date" || name.indexOf("date_") === 0 || /_date$/.test(name);
  }

  function cleanFilters(values) {
    // Only the params this chart accepts, as short strings; a bad date is dropped.
    var clean = {};
    accepted.forEach(function (name) {
      var value = values[name];
      if (typeof value !== "string") return;
      value = value.trim();
      if (!value || value.length > 200) return;
      if (isDateParam(name) && !DATE_RE.test(value)) return;
      clean[name] = value;
    });
    return clean;
  }

  function sameFilters(a, b) {
    var keys = Object.keys(a).concat(Object.keys(b));
    return keys.every(function (key) { return a[key] === b[key]; });
  }

  function querySuffix() {
    var params = new URLSearchParams();
    Object.keys(filters).sort().forEach(function (name) { params.set(name, filters[name]); });
    var text = params.toString();
    return text ? "?" + text : "";
  }

  function setTheme(theme) {
    if (THEMES.indexOf(theme) === -1 || theme === body.dataset.theme) return;
    THEMES.forEach(function (name) { body.classList.remove("theme-" + name); });
    body.classList.add("theme-" + theme);
    body.dataset.theme = theme;
    redraw();
  }

  function redraw() {
    if (lastRows && drawn) draw(lastRows[0], lastRows[1]);
  }

  // "auto" follows the system setting live: redraw the chart in the new colours.
  if (window.matchMedia) {
    var darkQuery = window.matchMedia("(prefers-color-scheme: dark)");
    var onScheme = function () { if (body.dataset.theme === "auto") redraw(); };
    if (darkQuery.addEventListener) darkQuery.addEventListener("change", onScheme);
    else if (darkQuery.addListener) darkQuery.addListener(onScheme);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== location.origin || event.source !== window.parent) return;
    var message = event.data;
    if (!message) return;
    if (message.type === "panes:theme" && typeof message.theme === "string") {
      setTheme(message.theme);
      return;
    }
    if (message.type === "panes:filters" && message.filters && typeof message.filters === "object") {
      var next = cleanFilters(message.filters);
      if (sameFilters(next, filters)) return;
      filters = next;
      body.dataset.filters = querySuffix().slice(1);
      attempt = 0;
      if (!config.error) load();
      return;
    }
    if (message.type !== "panes:token" || typeof message.token !== "string" || !message.token) return;
    clearTimeout(tokenWaitTimer);
    if (message.token !== token) askedForToken = false;
    token = message.token;
    body.dataset.tokenUpdates = String(Number(body.dataset.tokenUpdates || 0) + 1);
    attempt = 0;
    load();
  });

  /* --- Fetching ---------------------------------------------------------------------------- */

  function backoff(base) {
    var delay = Math.min(MAX_BACKOFF_MS, base * Math.pow(2, attempt));
    attempt += 1;
    return delay * (0.8 + Math.random() * 0.4);
  }

  function retryIn(ms) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () {
      retryTimer = null;
      load();
    }, ms);
  }

  function load() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (!token) {
      askForToken();
      return;
    }
    if (controller) controller.abort();
    controller = new AbortController();
    if (!drawn) {
      setState("loading");
      showStatus("Loading…", "loading");
    }
    var url = config.api + "/v0/pipes/" + encodeURIComponent(config.pipe) + ".json" + querySuffix();
    fetch(url, {
      headers: { Authorization: "Bearer " + token, Accept: "application/json" },
      credentials: "omit",
      cache: "no-store",
      mode: "cors",
      referrerPolicy: "no-referrer",
      signal: controller.signal,
    })
      .then(function (response) {
        return response.json().then(
          function (payload) { return { response: response, payload: payload }; },
          function () { return { response: response, payload: null }; }
        );
      })
      .then(handle, function (error) {
        if (error && error.name === "AbortError") return;
        fail("unreachable", "Chart host unreachable, retrying…", true);
        retryIn(backoff(2000));
      });
  }

  function handle(result) {
    var status = result.response.status;
    var payload = result.payload || {};
    if (status >= 200 && status < 300 && Array.isArray(payload.data)) {
      attempt = 0;
      askedForToken = false;
      draw(payload.meta || [], payload.data);
      return;
    }
    if (status === 401 || status === 403) {
      askForToken();
    } else if (status === 429) {
      var after = Number(result.response.headers.get("Retry-After"));
      fail("rate_limited", "Busy, retrying…", true);
      retryIn(after > 0 ? Math.min(after * 1000, MAX_BACKOFF_MS) : backoff(1000));
    } else if (status >= 500 || status < 400) {
      // 5xx, or a success that is not the host's JSON (a proxy page): try again later.
      fail("unreachable", "Chart host unreachable, retrying…", true);
      retryIn(backoff(2000));
    } else if (status === 404) {
      fail("not_found", "This chart's data source was not found", false);
    } else {
      var reason = typeof payload.error === "string" ? payload.error.slice(0, 200) : "HTTP " + status;
      fail("bad_request", "This chart cannot be drawn: " + reason, false);
    }
  }

  /* --- Values and formatting --------------------------------------------------------------- */

  // The viewer's locale (undefined: the browser's), with the chart's unit when it names one.
  var formats = numberFormats(config.unit || "", undefined);
  var plainFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  var num = toNumber;

  function formatNumber(value) {
    return value === null || value === undefined ? "–" : formats.full(cleanNumber(value));
  }

  function formatBig(value) {
    return value === null ? "–" : formats.big(cleanNumber(value));
  }

  function label(value) {
    if (value === null || value === undefined) return "";
    // Date-times at midnight read better as dates.
    return String(value).replace(/[ T]00:00:00(\.0+)?Z?$/, "");
  }

  function humanize(name) {
    var text = String(name).replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function isNumericType(type) {
    return /int|float|decimal|double|number/i.test(type || "");
  }

  function columns(meta, rows) {
    var names = meta.length ? meta.map(function (m) { return m.name; }) : Object.keys(rows[0] || {});
    var index = config.index || (config.type === "kpi" ? "" : names[0] || "");
    var categories = config.categories && config.categories.length ? config.categories.slice() : names.filter(function (name, i) {
      if (name === index) return false;
      return meta.length ? isNumericType(meta[i].type) : num(rows[0][name]) !== null;
    });
    return { names: names, index: index, categories: categories };
  }

  function colors() {
    // The chart's own colours, else the organisation's brand palette, else Panes'.
    if (config.colors && config.colors.length) return config.colors;
    if (config.palette && config.palette.length) return config.palette;
    return isDark() ? DARK_PALETTE : PALETTE;
  }

  function isDark() {
    return cssVar("color-scheme", "light").indexOf("dark") !== -1;
  }

  function cssVar(name, fallback) {
    var value = getComputedStyle(body).getPropertyValue(name).trim();
    return value || fallback;
  }

  function ink() {
    // Chart text and lines from the page's theme, so a dark frame gets light labels.
    return {
      text: cssVar("--chart-text", "#4b5563"),
      legend: cssVar("--chart-legend", "#374151"),
      axis: cssVar("--chart-axis", "#d1d5db"),
      grid: cssVar("--chart-grid", "#eef0f3"),
      surface: cssVar("--surface", "#ffffff"),
      tooltip: cssVar("--surface", "#ffffff"),
      tooltipText: cssVar("--text", "#111827"),
      tooltipBorder: cssVar("--border-strong", "#d1d5db"),
    };
  }

  /* --- Drawing ----------------------------------------------------------------------------- */

  function draw(meta, rows) {
    lastRows = [meta, rows];
    body.dataset.rows = String(rows.length);
    if (downloadEl) downloadEl.hidden = false;
    if (toggleEl) toggleEl.hidden = !rows.length;
    if (!rows.length && body.dataset.view === "table") setView("chart");
    if (!rows.length && config.type === "kpi") {
      drawKpiEmpty({ names: [], index: "", categories: config.categories || [] });
      return;
    }
    if (!rows.length) {
      drawn = false;
      clearCustom();
      if (chart) chart.clear();
      renderAccessible({ names: [], index: "", categories: [] }, []);
      setState("empty");
      showStatus("No data for this period", "empty");
      chartEl.setAttribute("aria-label", config.title + ": no data for this period");
      return;
    }
    var cols = columns(meta, rows);
    if (config.type === "kpi" && kpiIsEmpty(rows, cols.names)) {
      drawKpiEmpty(cols);
      return;
    }
    if (config.type === "table") drawTable(cols, rows);
    else if (config.type === "kpi") drawKpi(cols, rows);
    else drawEcharts(cols, rows);
    renderAccessible(cols, rows);
    drawn = true;
    hideStatus();
    setState("ready");
  }

  function clearCustom() {
    var old = frameBody.querySelector(".frame__custom");
    if (old) old.remove();
  }

  function custom(className) {
    clearCustom();
    chartEl.hidden = true;
    var el = document.createElement("div");
    el.className = "frame__custom " + className;
    frameBody.insertBefore(el, statusEl);
    return el;
  }

  function drawKpi(cols, rows) {
    var el = custom("frame__kpi");
    var first = rows[0];
    var main = cols.categories[0];
    var value = num(first[main]);
    var big = document.createElement("div");
    big.className = "frame__kpi-value";
    big.textContent = value === null ? label(first[main]) || "–" : formatBig(value);
    big.title = value === null ? "" : formatNumber(value);
    var caption = document.createElement("div");
    caption.className = "frame__kpi-label";
    var name = humanize(main || "");
    var parts = [];
    // The column name only when the title does not already say it.
    if (config.title.toLowerCase().indexOf(name.toLowerCase()) === -1) parts.push(name);
    if (cols.index && first[cols.index] !== undefined) parts.push(label(first[cols.index]));
    caption.textContent = parts.join(" · ");
    el.appendChild(big);
    el.appendChild(caption);
    cols.categories.slice(1).forEach(function (name) {
      var extra = document.createElement("div");
      extra.className = "frame__kpi-label";
      extra.textContent = humanize(name) + ": " + formatNumber(num(first[name]));
      el.appendChild(extra);
    });
    chartEl.setAttribute("aria-label", config.title + ": " + big.textContent);
  }

  function drawKpiEmpty(cols) {
    // Every KPI of a period without data reads the same: a dash, and why.
    drawn = true;
    var el = custom("frame__kpi frame__kpi--empty");
    var big = document.createElement("div");
    big.className = "frame__kpi-value";
    big.textContent = "–";
    var caption = document.createElement("div");
    caption.className = "frame__kpi-label";
    caption.textContent = "No data for this period";
    el.appendChild(big);
    el.appendChild(caption);
    renderAccessible(cols, []);
    if (toggleEl) toggleEl.hidden = true;
    hideStatus();
    setState("empty");
    chartEl.setAttribute("aria-label", config.title + ": no data for this period");
  }

  function tableColumns(cols) {
    if (config.categories && config.categories.length) return [cols.index].concat(cols.categories).filter(Boolean);
    return cols.names;
  }

  function dataColumns(cols) {
    // The table view and the CSV: a table chart's own columns, else every column of the answer,
    // the plotted ones first.
    if (config.type === "table") return tableColumns(cols);
    var first = [cols.index].concat(cols.categories).filter(function (name) { return name && cols.names.indexOf(name) !== -1; });
    return first.concat(cols.names.filter(function (name) { return first.indexOf(name) === -1; }));
  }

  function buildTable(names, rows, numeric) {
    var table = document.createElement("table");
    var thead = table.createTHead().insertRow();
    names.forEach(function (name) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = humanize(name);
      if (numeric[name]) th.className = "num";
      thead.appendChild(th);
    });
    var tbody = table.createTBody();
    rows.slice(0, MAX_TABLE_ROWS).forEach(function (row) {
      var tr = tbody.insertRow();
      names.forEach(function (name) {
        var td = tr.insertCell();
        var value = num(row[name]);
        if (numeric[name] && value !== null) {
          td.className = "num";
          td.textContent = formatNumber(value);
        } else {
          td.textContent = label(row[name]);
        }
      });
    });
    return table;
  }

  function numericColumns(names, rows) {
    var numeric = {};
    names.forEach(function (name) {
      numeric[name] = rows.every(function (row) { return row[name] === null || num(row[name]) !== null; }) && typeof rows[0][name] !== "boolean";
    });
    return numeric;
  }

  function drawTable(cols, rows) {
    var el = custom("frame__table");
    var names = tableColumns(cols);
    // The table scrolls: keyboard users must be able to reach it, and it needs a name.
    el.tabIndex = 0;
    el.setAttribute("role", "region");
    el.setAttribute("aria-label", config.title);
    chartEl.setAttribute("aria-label", config.title + ": a table of " + rows.length + " rows");
    el.appendChild(buildTable(names, rows, numericColumns(names, rows)));
    if (rows.length > MAX_TABLE_ROWS) {
      var note = document.createElement("p");
      note.className = "frame__note";
      note.textContent = "Showing the first " + plainFormat.format(MAX_TABLE_ROWS) + " of " + plainFormat.format(rows.length) + " rows.";
      el.appendChild(note);
    }
  }

  function axisOption(rows, cols) {
    var colours = ink();
    var categoryAxis = {
      type: "category",
      data: rows.map(function (row) { return label(row[cols.index]); }),
      axisTick: { show: false },
      axisLine: { lineStyle: { color: colours.axis } },
      axisLabel: { color: colours.text, hideOverlap: true },
    };
    var valueAxis = {
      type: "value",
      axisLabel: { color: colours.text, formatter: function (v) { return formats.compact(v); } },
      splitLine: { lineStyle: { color: colours.grid } },
    };
    return { category: categoryAxis, value: valueAxis };
  }

  function cartesianOption(cols, rows) {
    var type = config.type;
    var isBarList = type === "bar_list";
    if (isBarList) {
      var key = cols.categories[0];
      rows = rows.slice().sort(function (a, b) { return (num(b[key]) || 0) - (num(a[key]) || 0); });
    }
    var axes = axisOption(rows, cols);
    var legend = cols.categories.length > 1;
    var series = cols.categories.map(function (name) {
      var s = {
        id: name,
        name: humanize(name),
        type: type === "bar" || isBarList ? "bar" : "line",
        data: rows.map(function (row) { return num(row[name]); }),
        emphasis: { focus: "series" },
      };
      if (config.stacked) s.stack = "total";
      if (s.type === "line") {
        s.showSymbol = rows.length <= 32;
        s.symbol = isDark() ? "circle" : "emptyCircle";
        s.symbolSize = 6;
        s.lineStyle = { width: 2 };
        if (type === "area") s.areaStyle = { opacity: config.stacked ? 0.55 : 0.16 };
      } else {
        s.barMaxWidth = isBarList ? 22 : 40;
        s.itemStyle = { borderRadius: isBarList ? [0, 4, 4, 0] : [4, 4, 0, 0] };
      }
      return s;
    });
    if (isBarList) {
      axes.category.inverse = true;
      axes.category.axisLine = { show: false };
      axes.category.axisLabel.hideOverlap = false;
      axes.category.axisLabel.width = 140;
      axes.category.axisLabel.overflow = "truncate";
    } else if (type === "bar") {
      axes.category.boundaryGap = true;
      // Every bar keeps its label: rotated and truncated when the frame is narrow.
      var layout = categoryLabelLayout(axes.category.data, Math.max(chartEl.clientWidth - 60, 1));
      Object.assign(axes.category.axisLabel, layout, { hideOverlap: layout.interval !== 0 });
    } else {
      // Lines reach the edges: the first and last labels align inward so none is clipped.
      axes.category.boundaryGap = false;
      axes.category.axisLabel.alignMinLabel = "left";
      axes.category.axisLabel.alignMaxLabel = "right";
      axes.category.axisLabel.interval = edgeLabelInterval(axes.category.data, Math.max(chartEl.clientWidth - 60, 1));
      axes.category.axisLabel.hideOverlap = false;
      axes.category.axisLabel.showMinLabel = true;
      axes.category.axisLabel.showMaxLabel = true;
    }
    return {
      grid: { left: 4, right: 16, top: legend ? 34 : 12, bottom: 4, containLabel: true },
      xAxis: isBarList ? axes.value : axes.category,
      yAxis: isBarList ? axes.category : axes.value,
      tooltip: { trigger: "axis", axisPointer: { type: pointerType(type) }, valueFormatter: formatNumber, confine: true },
      legend: { show: legend, top: 0, left: 10, type: "scroll", icon: "roundRect", itemWidth: 12, itemHeight: 8, textStyle: { color: ink().legend }, pageTextStyle: { color: ink().text } },
      series: series,
    };
  }

  function pointerType(type) {
    return type === "line" || type === "area" ? "line" : "shadow";
  }

  function pieOption(cols, rows) {
    var key = cols.categories[0];
    var data = rows.map(function (row) {
      return { name: label(row[cols.index]), value: num(row[key]) };
    });
    var few = data.length <= 8;
    var layout = pieLayout(chartEl.clientWidth, chartEl.clientHeight, config.type === "donut");
    var legend = { show: true, type: "scroll", icon: "circle", itemWidth: 8, itemHeight: 8, textStyle: { color: ink().legend }, pageTextStyle: { color: ink().text } };
    return {
      tooltip: { trigger: "item", valueFormatter: formatNumber, confine: true },
      legend: Object.assign(legend, layout.legend),
      series: [{
        id: key,
        name: humanize(key),
        type: "pie",
        center: layout.center,
        radius: layout.radius,
        avoidLabelOverlap: true,
        itemStyle: { borderColor: ink().surface, borderWidth: 2, borderRadius: config.type === "donut" ? 4 : 0 },
        // Percentages inside the larger slices only: small ones would overlap (the tooltip has them).
        label: {
          show: few && config.type === "pie",
          position: "inside",
          color: isDark() ? "#0b1120" : "#fff", // the dark palette is light: dark ink reads on it
          fontWeight: 600,
          formatter: function (p) { return p.percent >= 7 ? Math.round(p.percent) + "%" : ""; },
        },
        labelLine: { show: false },
        data: data,
      }],
    };
  }

  function drawEcharts(cols, rows) {
    clearCustom();
    chartEl.hidden = false;
    var option = config.type === "pie" || config.type === "donut" ? pieOption(cols, rows) : cartesianOption(cols, rows);
    var colours = ink();
    option.color = colors();
    option.textStyle = { fontFamily: getComputedStyle(body).fontFamily, color: colours.text };
    option.tooltip.backgroundColor = colours.tooltip;
    option.tooltip.borderColor = colours.tooltipBorder;
    option.tooltip.textStyle = { color: colours.tooltipText };
    option.animation = !reducedMotion;
    option.aria = { enabled: true };
    var first = !chart;
    if (first) chart = window.echarts.init(chartEl, null, { renderer: "svg" });
    // Merge into the same instance: legend selections and zoom survive a refresh.
    chart.setOption(option, first ? {} : { replaceMerge: ["series", "xAxis", "yAxis", "legend"] });
    chartEl.setAttribute("aria-label", config.title + ": " + rows.length + " rows of " + cols.categories.map(humanize).join(", "));
  }

  function renderAccessible(cols, rows) {
    dataEl.textContent = "";
    if (!rows.length) return;
    var names = dataColumns(cols);
    var table = buildTable(names, rows, numericColumns(names, rows));
    var caption = table.createCaption();
    caption.textContent = config.title;
    dataEl.appendChild(table);
  }

  /* --- Table view and CSV download ---------------------------------------------------------- */

  var announceEl = document.getElementById("panes-announce");

  function announce(text) {
    if (announceEl) announceEl.textContent = text;
  }

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

  function slug(text) {
    var value = String(text || "").toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
    return value.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "chart";
  }

  function csvName() {
    var parts = [slug(config.title)];
    if (filters.date_from || filters.date_to) parts.push((filters.date_from || "start") + "_" + (filters.date_to || "end"));
    else parts.push(new Date().toISOString().slice(0, 10));
    return parts.join("-") + ".csv";
  }

  function saveBlob(blob, name) {
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
  }

  function download() {
    if (!lastRows || !lastRows[1].length && !lastRows[0].length) return;
    var name = csvName();
    var meta = lastRows[0];
    var rows = lastRows[1];
    // The rows on screen, fetched with the chart's token and filters (so the host's fixed params
    // apply to the file too), in the columns of the table view.
    var names = rows.length ? dataColumns(columns(meta, rows)) : meta.map(function (m) { return m.name; });
    saveBlob(new Blob([csvText(names, rows)], { type: "text/csv;charset=utf-8" }), name);
    body.dataset.download = "done";
    announce("Downloaded " + name);
  }

  if (toggleEl) {
    toggleEl.addEventListener("click", function () {
      setView(body.dataset.view === "table" ? "chart" : "table");
    });
  }
  if (downloadEl) downloadEl.addEventListener("click", download);

  /* --- Lifecycle --------------------------------------------------------------------------- */

  var resizeFrame = 0;
  window.addEventListener("resize", function () {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(function () {
      if (!chart) return;
      // Label and legend layouts depend on the width: draw again, else just resize.
      if (config.type !== "kpi" && config.type !== "table") redraw();
      chart.resize();
    });
  });

  if (config.refresh_seconds && config.refresh_seconds >= 5) {
    setInterval(function () {
      // A pending retry already has its own schedule; a hidden frame can wait.
      if (!document.hidden && !retryTimer && token && body.dataset.state !== "error") load();
    }, config.refresh_seconds * 1000);
  }

  // The page may have changed filters or theme since it wrote this frame's address.
  if (hasParent) window.parent.postMessage({ type: "panes:frame-ready" }, location.origin);
  if (config.error) fail("bad_filter", config.error, false);
  else load();
})();
