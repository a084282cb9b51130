/* Panes on any page, with one script tag:
 *
 *   <script src="https://panes.example/static/charts/embed.js" async></script>
 *   <div data-panes-dashboard="sales-overview" data-theme="dark" data-date-from="2026-03-01"></div>
 *   <div data-panes-chart="12" data-titled="false"></div>
 *
 * Panes' origin is the origin this script was loaded from. Each element gets an iframe on
 * /embed/<slug>/ (or /embed/chart/<id>/) with the element's options as query parameters:
 *
 *   data-theme      light | dark | auto (auto follows the viewer's system setting)
 *   data-bordered   false: no tile borders or shadows
 *   data-titled     false: no chart titles (screen readers still get them)
 *   data-controls   true: show the filter bar and theme picker inside the embed
 *   data-filters    "date_from=2026-03-01&date_to=2026-03-31&city=Paris"
 *   data-date-from, data-date-to   the date range (override data-filters)
 *   data-locale     en | de | pl: the embed's language (numbers and dates too); absent: the
 *                   viewer's own setting, else their browser's
 *   data-title      the iframe's accessible name, until Panes sends the dashboard's own title
 *   data-height     the height before the first measurement (default 200 pixels)
 *
 * The embed page measures itself and posts {type: "panes:resize", height}; a message counts only
 * if it comes from Panes' origin AND from that element's own iframe. Changing data-theme or the
 * filter attributes later updates the embed without reloading it (postMessage, addressed to
 * Panes' origin only); other attribute changes reload it. Elements added later are picked up.
 *
 * The embed API, version 1 (PanesEmbed.API_VERSION; README "Embed JS API" documents it): each
 * mounted element has a handle, `element.panes` or `PanesEmbed.get(element)`:
 *
 *   handle.on(event, fn) / handle.off(event, fn)   events: ready, chart-click, filters-changed,
 *                                                  drill, error, resize; fn(detail)
 *   handle.setFilters(filters, {period, compare})  handle.setTheme(theme)   handle.refresh()
 *   handle.openDrill(chart, [value, ...])          handle.setLocale(locale)
 *
 * setLocale("de") reloads the embed in that language (and sets data-locale): `ready` fires again
 * once the new page has started, and the filters, period and comparison the embed last reported
 * (filters-changed) carry over to it.
 *
 * Each event is also a DOM CustomEvent "panes:<event>" (it bubbles) on the element. Actions asked
 * for before the embed is ready wait and go once it is; a listener added after `ready` is called
 * at once with that ready's detail. Events count only from Panes' origin and the element's own
 * iframe; actions are posted to Panes' origin only, and the embed obeys them only from an origin
 * Panes allows (PANES_EMBED_ALLOWED_ORIGINS).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) return;
  var API_VERSION = 1;
  var EVENT = "panes:event";
  var ACTION = "panes:action";
  var EVENTS = ["ready", "chart-click", "filters-changed", "drill", "error", "resize"];
  // setLocale is embed.js's own: it reloads the iframe, so it never goes over the wire.
  var ACTIONS = ["setFilters", "setTheme", "refresh", "openDrill", "setLocale"];
  var origin = new URL(script.src, location.href).origin;
  var registry = (window.PanesEmbed = window.PanesEmbed || { origins: {} });
  registry.API_VERSION = API_VERSION;
  registry.get = function (element) { return (element && element.panes) || null; };
  if (registry.origins[origin]) return; // the same script twice: the first one does the work
  registry.origins[origin] = true;

  var SELECTOR = "[data-panes-dashboard], [data-panes-chart]";
  var LIVE = ["data-theme", "data-filters", "data-date-from", "data-date-to"];
  var RELOAD = ["data-panes-dashboard", "data-panes-chart", "data-bordered", "data-titled", "data-controls", "data-locale"];
  var SWITCH_TRUE = ["", "1", "true", "yes", "on"];
  var MAX_HEIGHT = 100000;
  var embeds = []; // {element, iframe}

  function switchValue(value) {
    // data-bordered / data-titled: absent means on; "false", "0", "no", "off" turn it off.
    if (value === null || value === undefined) return null;
    return SWITCH_TRUE.indexOf(String(value).trim().toLowerCase()) !== -1;
  }

  function filtersOf(element) {
    var values = {};
    var given = element.getAttribute("data-filters");
    if (given) {
      new URLSearchParams(given.replace(/^\?/, "")).forEach(function (value, name) { values[name] = value; });
    }
    var from = element.getAttribute("data-date-from");
    var to = element.getAttribute("data-date-to");
    if (from !== null) values.date_from = from;
    if (to !== null) values.date_to = to;
    return values;
  }

  function themeOf(element) {
    var theme = (element.getAttribute("data-theme") || "").trim().toLowerCase();
    return ["light", "dark", "auto"].indexOf(theme) !== -1 ? theme : "light";
  }

  function localeOf(element) {
    // "de", "de-DE" and "DE" alike; Panes ignores a language it does not have.
    var value = (element.getAttribute("data-locale") || "").trim().toLowerCase().replace("_", "-");
    return /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/.test(value) ? value : "";
  }

  function embedUrl(element) {
    var chart = element.getAttribute("data-panes-chart");
    var slug = element.getAttribute("data-panes-dashboard");
    var path = chart ? "/embed/chart/" + encodeURIComponent(chart.trim()) + "/" : "/embed/" + encodeURIComponent((slug || "").trim()) + "/";
    var url = new URL(path, origin);
    var filters = filtersOf(element);
    Object.keys(filters).forEach(function (name) { url.searchParams.set(name, filters[name]); });
    url.searchParams.set("theme", themeOf(element));
    [["bordered", "data-bordered"], ["titled", "data-titled"], ["controls", "data-controls"]].forEach(function (pair) {
      var on = switchValue(element.getAttribute(pair[1]));
      if (on !== null) url.searchParams.set(pair[0], on ? "1" : "0");
    });
    var locale = localeOf(element);
    if (locale) url.searchParams.set("locale", locale);
    url.searchParams.set("autosize", "1");
    return url.toString();
  }

  function defaultTitle(element) {
    var chart = element.getAttribute("data-panes-chart");
    return chart ? "Panes chart " + chart : "Panes dashboard " + element.getAttribute("data-panes-dashboard");
  }

  function mount(element) {
    if (element.panesIframe) return;
    var iframe = document.createElement("iframe");
    iframe.src = embedUrl(element);
    iframe.title = element.getAttribute("data-title") || defaultTitle(element);
    // "origin" so the embed can tell who frames it even where the page sends no referrer.
    iframe.referrerPolicy = "origin";
    iframe.setAttribute("scrolling", "no");
    iframe.style.cssText = "display:block;width:100%;border:0;overflow:hidden;height:" + (parseInt(element.getAttribute("data-height"), 10) || 200) + "px";
    iframe.className = "panes-embed";
    matchScheme(iframe, themeOf(element));
    element.panesIframe = iframe;
    element.panesSrc = iframe.src;
    element.appendChild(iframe);
    var entry = { element: element, iframe: iframe, ready: null, queue: [], listeners: {} };
    element.panes = handleFor(entry);
    embeds.push(entry);
  }

  /* --- The embed API: a handle per element ------------------------------------------------- */

  function stringValues(values) {
    var out = {};
    if (!values || typeof values !== "object") return out;
    Object.keys(values).forEach(function (name) {
      if (values[name] !== null && values[name] !== undefined) out[name] = String(values[name]);
    });
    return out;
  }

  function act(entry, action, args) {
    var message = { type: ACTION, version: API_VERSION, action: action, args: args };
    // Until the embed said it is ready its window may still be about:blank or loading.
    if (entry.ready) send(entry, message);
    else entry.queue.push(message);
  }

  function call(fn, detail) {
    try {
      fn(detail);
    } catch (error) {
      setTimeout(function () { throw error; }); // one broken listener does not silence the others
    }
  }

  function handleFor(entry) {
    return {
      version: API_VERSION,
      on: function (event, fn) {
        if (EVENTS.indexOf(event) === -1 || typeof fn !== "function") return this;
        (entry.listeners[event] = entry.listeners[event] || []).push(fn);
        if (event === "ready" && entry.ready) {
          var detail = entry.ready;
          setTimeout(function () { call(fn, detail); });
        }
        return this;
      },
      off: function (event, fn) {
        var list = entry.listeners[event] || [];
        entry.listeners[event] = list.filter(function (f) { return f !== fn; });
        return this;
      },
      setFilters: function (filters, options) {
        options = options || {};
        act(entry, "setFilters", { filters: stringValues(filters), period: options.period ? String(options.period) : "", compare: options.compare ? String(options.compare) : "" });
      },
      setTheme: function (theme) {
        matchScheme(entry.iframe, String(theme));
        act(entry, "setTheme", { theme: String(theme) });
      },
      refresh: function () { act(entry, "refresh", {}); },
      openDrill: function (chart, path) {
        act(entry, "openDrill", { chart: String(chart), path: (path || []).map(String) });
      },
      setLocale: function (locale) {
        // Reloading now, not when the observer sees the attribute, keeps the order of calls
        // (setLocale then setFilters: the filters wait for the new page's ready).
        entry.element.setAttribute("data-locale", String(locale || ""));
        reload(entry, withState(embedUrl(entry.element), entry.state));
      },
    };
  }

  /** `url` showing the filters, period and comparison of `state` (a filters-changed detail). */
  function withState(url, state) {
    if (!state || !state.filters) return url;
    var next = new URL(url);
    Object.keys(state.filters).forEach(function (name) { next.searchParams.set(name, String(state.filters[name])); });
    if (state.period) {
      // A rolling period stands in for its dates, as in the dashboard's own address.
      next.searchParams.set("period", String(state.period));
      next.searchParams.delete("date_from");
      next.searchParams.delete("date_to");
    }
    if (state.compare) next.searchParams.set("compare", String(state.compare));
    return next.toString();
  }

  function reload(entry, next) {
    if (next === entry.element.panesSrc) return;
    entry.element.panesSrc = next;
    entry.ready = null; // a new page: actions wait for its own ready
    entry.iframe.src = next;
  }

  function receive(entry, event, detail) {
    if (event === "filters-changed" || event === "ready") entry.state = detail || null;
    if (event === "ready") {
      entry.ready = detail || {};
      var queued = entry.queue;
      entry.queue = [];
      queued.forEach(function (message) { send(entry, message); });
    }
    (entry.listeners[event] || []).slice().forEach(function (fn) { call(fn, detail); });
    entry.element.dispatchEvent(new CustomEvent("panes:" + event, { bubbles: true, detail: detail }));
  }

  function matchScheme(iframe, theme) {
    // An iframe whose colour scheme differs from its document's gets an opaque canvas; matching
    // it keeps the embed's background transparent on the intranet page in every theme.
    iframe.style.colorScheme = theme === "auto" ? "light dark" : theme;
  }

  function send(entry, message) {
    if (entry.iframe.contentWindow) entry.iframe.contentWindow.postMessage(message, origin);
  }

  function update(entry, attribute) {
    var element = entry.element;
    if (RELOAD.indexOf(attribute) !== -1) {
      if (attribute === "data-locale") reload(entry, withState(embedUrl(element), entry.state));
      else reload(entry, embedUrl(element));
      return;
    }
    if (attribute === "data-theme") {
      matchScheme(entry.iframe, themeOf(element));
      send(entry, { type: "panes:theme", theme: themeOf(element) });
    }
    else send(entry, { type: "panes:filters", filters: filtersOf(element) });
  }

  function scan(root) {
    if (root.matches && root.matches(SELECTOR)) mount(root);
    if (root.querySelectorAll) Array.prototype.forEach.call(root.querySelectorAll(SELECTOR), mount);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin) return;
    var message = event.data;
    if (!message) return;
    if (message.type === EVENT && message.version === API_VERSION && EVENTS.indexOf(message.event) !== -1) {
      embeds.forEach(function (entry) {
        if (entry.iframe.contentWindow === event.source) receive(entry, message.event, message.detail);
      });
      return;
    }
    if (message.type !== "panes:resize") return;
    embeds.forEach(function (entry) {
      if (entry.iframe.contentWindow !== event.source) return;
      var height = Number(message.height);
      if (isFinite(height) && height >= 0) entry.iframe.style.height = Math.min(Math.ceil(height), MAX_HEIGHT) + "px";
      if (typeof message.title === "string" && message.title && !entry.element.getAttribute("data-title")) {
        entry.iframe.title = message.title.slice(0, 200);
      }
      entry.element.setAttribute("data-panes-height", String(Math.ceil(height)));
    });
  });

  function start() {
    scan(document);
    if (!window.MutationObserver) return;
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        if (record.type === "childList") {
          Array.prototype.forEach.call(record.addedNodes, function (node) { if (node.nodeType === 1) scan(node); });
          return;
        }
        var entry = embeds.filter(function (e) { return e.element === record.target; })[0];
        if (entry && record.oldValue !== record.target.getAttribute(record.attributeName)) update(entry, record.attributeName);
      });
    }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeOldValue: true, attributeFilter: LIVE.concat(RELOAD) });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
