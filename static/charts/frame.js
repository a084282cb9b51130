/* Panes chart frame: reads rows from a chart host with the token it was given and draws them.
 *
 * The token arrives in the URL fragment (never sent to a server, removed from the address at
 * once) and later from the parent page by postMessage. Rows come from
 * `${api}/v0/pipes/${pipe}.json` with `Authorization: Bearer`, without cookies. Every outcome is a
 * state a person understands, and is mirrored on <body data-state data-rows data-error> for tests.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("panes-chart-config").textContent);
  var body = document.body;
  var chartEl = document.getElementById("panes-chart");
  var statusEl = document.getElementById("panes-status");
  var dataEl = document.getElementById("panes-data");
  var frameBody = chartEl.parentNode;

  var PALETTE = ["#4f46e5", "#06b6d4", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#ec4899", "#64748b"];
  var MAX_BACKOFF_MS = 60000;
  var MAX_TABLE_ROWS = 1000;
  var TOKEN_WAIT_MS = 6000;

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

  window.addEventListener("message", function (event) {
    if (event.origin !== location.origin || event.source !== window.parent) return;
    var message = event.data;
    if (!message || message.type !== "panes:token" || typeof message.token !== "string" || !message.token) return;
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
    var url = config.api + "/v0/pipes/" + encodeURIComponent(config.pipe) + ".json";
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

  var fullFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  var compactFormat = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

  function num(value) {
    if (typeof value === "number") return isFinite(value) ? value : null;
    if (typeof value === "string" && value.trim() !== "" && isFinite(Number(value))) return Number(value);
    return null;
  }

  function formatNumber(value) {
    return value === null || value === undefined ? "–" : fullFormat.format(value);
  }

  var wholeFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

  function formatBig(value) {
    // A headline number: compact when huge, whole when large, up to two decimals when small.
    if (value === null) return "–";
    if (Math.abs(value) >= 1e9) return compactFormat.format(value);
    return Math.abs(value) >= 1000 ? wholeFormat.format(value) : fullFormat.format(value);
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
    return config.colors && config.colors.length ? config.colors : PALETTE;
  }

  /* --- Drawing ----------------------------------------------------------------------------- */

  function draw(meta, rows) {
    body.dataset.rows = String(rows.length);
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
    el.setAttribute("aria-label", config.title + ": " + big.textContent);
  }

  function tableColumns(cols) {
    if (config.categories && config.categories.length) return [cols.index].concat(cols.categories).filter(Boolean);
    return cols.names;
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
    el.appendChild(buildTable(names, rows, numericColumns(names, rows)));
    if (rows.length > MAX_TABLE_ROWS) {
      var note = document.createElement("p");
      note.className = "frame__note";
      note.textContent = "Showing the first " + fullFormat.format(MAX_TABLE_ROWS) + " of " + fullFormat.format(rows.length) + " rows.";
      el.appendChild(note);
    }
  }

  function axisOption(rows, cols) {
    var textColor = "#6b7280";
    var categoryAxis = {
      type: "category",
      data: rows.map(function (row) { return label(row[cols.index]); }),
      axisTick: { show: false },
      axisLine: { lineStyle: { color: "#d1d5db" } },
      axisLabel: { color: textColor, hideOverlap: true },
    };
    var valueAxis = {
      type: "value",
      axisLabel: { color: textColor, formatter: function (v) { return compactFormat.format(v); } },
      splitLine: { lineStyle: { color: "#eef0f3" } },
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
    } else {
      axes.category.boundaryGap = type === "bar";
    }
    return {
      grid: { left: 4, right: 16, top: legend ? 34 : 12, bottom: 4, containLabel: true },
      xAxis: isBarList ? axes.value : axes.category,
      yAxis: isBarList ? axes.category : axes.value,
      tooltip: { trigger: "axis", axisPointer: { type: pointerType(type) }, valueFormatter: formatNumber, confine: true },
      legend: { show: legend, top: 0, left: 10, type: "scroll", icon: "roundRect", itemWidth: 12, itemHeight: 8, textStyle: { color: "#374151" } },
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
    return {
      tooltip: { trigger: "item", valueFormatter: formatNumber, confine: true },
      legend: { show: true, type: "scroll", orient: "vertical", right: 8, top: "middle", icon: "circle", itemWidth: 8, itemHeight: 8, textStyle: { color: "#374151" } },
      series: [{
        id: key,
        name: humanize(key),
        type: "pie",
        center: ["38%", "52%"],
        radius: config.type === "donut" ? ["48%", "74%"] : [0, "74%"],
        avoidLabelOverlap: true,
        itemStyle: { borderColor: "#fff", borderWidth: 2, borderRadius: config.type === "donut" ? 4 : 0 },
        // Percentages inside the larger slices only: small ones would overlap (the tooltip has them).
        label: {
          show: few && config.type === "pie",
          position: "inside",
          color: "#fff",
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
    option.color = colors();
    option.textStyle = { fontFamily: getComputedStyle(body).fontFamily };
    option.animation = !reducedMotion;
    option.aria = { enabled: true };
    var first = !chart;
    if (first) chart = window.echarts.init(chartEl, null, { renderer: "svg" });
    // Merge into the same instance: legend selections and zoom survive a refresh.
    chart.setOption(option, first ? {} : { replaceMerge: ["series", "xAxis", "yAxis"] });
    chartEl.setAttribute("aria-label", config.title + ": " + rows.length + " rows of " + cols.categories.map(humanize).join(", "));
  }

  function renderAccessible(cols, rows) {
    dataEl.textContent = "";
    if (!rows.length) return;
    var names = config.type === "table" ? tableColumns(cols) : [cols.index].concat(cols.categories).filter(Boolean);
    var table = buildTable(names, rows, numericColumns(names, rows));
    var caption = table.createCaption();
    caption.textContent = config.title;
    dataEl.appendChild(table);
  }

  /* --- Lifecycle --------------------------------------------------------------------------- */

  var resizeFrame = 0;
  window.addEventListener("resize", function () {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(function () { if (chart) chart.resize(); });
  });

  if (config.refresh_seconds && config.refresh_seconds >= 5) {
    setInterval(function () {
      // A pending retry already has its own schedule; a hidden frame can wait.
      if (!document.hidden && !retryTimer && token && body.dataset.state !== "error") load();
    }, config.refresh_seconds * 1000);
  }

  load();
})();
