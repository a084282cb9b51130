/* Keeps a dashboard's chart tokens fresh without reloading the page.
 *
 * The server placed a token in every iframe. Shortly before the earliest one expires (the margin
 * is PANES_TOKEN_REFRESH_MARGIN_SECONDS, given in data-refresh-margin) this fetches
 * <token-url> and hands each workspace's new token to its charts: Tinybird iframes get their
 * `token` query parameter swapped, Panes frames get a `panes:token` message. A frame whose host
 * refused its token may ask with `panes:token-request`; the answer comes at once. A chart the new
 * token no longer covers becomes a copy of the page's `<template data-panes-placeholder>` tile.
 */
(function () {
  "use strict";

  var grid = document.querySelector("[data-panes-grid]");
  if (!grid) return;

  var tokenUrl = grid.dataset.tokenUrl || "";
  var margin = Number(grid.dataset.refreshMargin) || 120;
  var tenant = grid.dataset.tenant || "";
  var statusEl = document.querySelector("[data-panes-status]");
  // Server clock minus ours, so expiry times are compared on the server's clock.
  var skewMs = grid.dataset.serverNow ? Number(grid.dataset.serverNow) * 1000 - Date.now() : 0;
  var current = {}; // workspace id -> the token its charts hold
  var timer = null;
  var inflight = null;
  var failures = 0;
  var stopped = false;

  function frames() {
    return Array.prototype.slice.call(grid.querySelectorAll("iframe[data-workspace]"));
  }

  function serverNow() {
    return (Date.now() + skewMs) / 1000;
  }

  function tokenInSrc(frame) {
    try {
      var url = new URL(frame.src, location.href);
      if (frame.dataset.kind === "tinybird") return url.searchParams.get("token");
      return new URLSearchParams(url.hash.replace(/^#/, "")).get("token");
    } catch (e) {
      return null;
    }
  }

  frames().forEach(function (frame) {
    var value = tokenInSrc(frame);
    if (value) current[frame.dataset.workspace] = value;
  });

  function say(text) {
    if (!statusEl) return;
    statusEl.textContent = text || "";
    statusEl.hidden = !text;
  }

  /* --- Handing tokens to the charts -------------------------------------------------------- */

  function hasLoaded(frame) {
    // Panes frames are same-origin: until the frame has navigated, its window is about:blank
    // and a message would be lost, so a frame still waiting (lazy loading) gets a new src.
    try {
      return frame.contentWindow && frame.contentWindow.location.href !== "about:blank";
    } catch (e) {
      return true;
    }
  }

  function deliver(frame, value) {
    if (frame.dataset.kind === "tinybird") {
      var url = new URL(frame.src, location.href);
      if (url.searchParams.get("token") === value) return;
      url.searchParams.set("token", value);
      frame.src = url.toString();
    } else if (hasLoaded(frame)) {
      frame.contentWindow.postMessage({ type: "panes:token", token: value }, location.origin);
    } else {
      var src = new URL(frame.src, location.href);
      src.hash = "token=" + encodeURIComponent(value);
      frame.src = src.toString();
    }
  }

  function failClosed(frame, message) {
    // The organisation lost access to this chart since the page loaded (or its workspace lost its
    // key): drop the iframe and draw the server's own tile (charts/_tile.html, in a <template>)
    // in its place, with ``message`` when the server gave one.
    var tile = frame.closest(".tile");
    var template = document.querySelector("template[data-panes-placeholder]");
    if (!tile || !template) {
      frame.remove();
      return;
    }
    var placeholder = template.content.firstElementChild.cloneNode(true);
    var title = tile.getAttribute("aria-label") || frame.title;
    placeholder.dataset.chart = tile.dataset.chart;
    placeholder.setAttribute("aria-label", title);
    placeholder.querySelector(".tile__title").textContent = title;
    if (message) {
      placeholder.querySelector(".tile__message").textContent = message;
      placeholder.classList.replace("tile--unconfigured", "tile--unavailable");
      placeholder.dataset.state = "unavailable";
    }
    placeholder.style.cssText = tile.style.cssText; // its place in the grid: --span, --tile-height
    tile.replaceWith(placeholder);
  }

  function apply(doc, requester) {
    var unconfigured = (doc.unconfigured || []).map(String);
    var unavailable = doc.unavailable || {};
    frames().forEach(function (frame) {
      var tile = frame.closest(".tile");
      var grant = (doc.workspaces || {})[frame.dataset.workspace];
      var chart = tile ? tile.dataset.chart : "";
      if (!grant || !grant.token || unconfigured.indexOf(chart) !== -1 || unavailable[chart]) {
        failClosed(frame, unavailable[chart] || "");
        return;
      }
      frame.dataset.expiresAt = String(grant.expires_at);
      // A frame that asked gets an answer even if nothing changed: it decides what a refusal means.
      if (grant.token !== current[frame.dataset.workspace] || frame.contentWindow === requester) {
        deliver(frame, grant.token);
      }
    });
    Object.keys(doc.workspaces || {}).forEach(function (id) {
      current[id] = doc.workspaces[id].token;
    });
  }

  /* --- Fetching ---------------------------------------------------------------------------- */

  function stop(text) {
    stopped = true;
    clearTimeout(timer);
    say(text);
  }

  function refresh(requester) {
    if (!tokenUrl || stopped) return Promise.resolve();
    if (inflight) {
      return inflight.then(function (doc) { if (doc && requester) apply(doc, requester); });
    }
    clearTimeout(timer);
    inflight = fetch(tokenUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || type.indexOf("application/json") === -1) {
          stop("You have been signed out. Reload the page to sign in again.");
          return null;
        }
        return response.json().then(function (doc) {
          if (response.ok) return doc;
          if (response.status === 403 || response.status === 404) {
            stop("This dashboard is no longer available to you. Reload the page.");
            return null;
          }
          throw new Error(doc.error || "HTTP " + response.status);
        });
      })
      .then(function (doc) {
        if (!doc) return null;
        if (doc.tenant && tenant && doc.tenant !== tenant) {
          // The organisation was switched in another tab: this page shows the old one's charts.
          location.reload();
          return null;
        }
        if (typeof doc.now === "number") skewMs = doc.now * 1000 - Date.now();
        failures = 0;
        say("");
        apply(doc, requester);
        schedule();
        return doc;
      })
      .catch(function () {
        failures += 1;
        say("Could not renew access to the charts; retrying…");
        clearTimeout(timer);
        timer = setTimeout(refresh, Math.min(60000, 5000 * Math.pow(2, failures - 1)));
        return null;
      })
      .then(function (doc) {
        inflight = null;
        return doc;
      });
    return inflight;
  }

  function schedule() {
    clearTimeout(timer);
    if (!tokenUrl || stopped) return;
    var expiries = frames().map(function (f) { return Number(f.dataset.expiresAt); }).filter(function (n) { return n > 0; });
    if (!expiries.length) return;
    // A few seconds past the point where the server stops reusing the token, so it mints anew.
    var due = Math.min.apply(null, expiries) - margin + 5;
    var delay = Math.max(5, due - serverNow()) * 1000;
    timer = setTimeout(refresh, Math.min(delay, 2147483647));
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== location.origin) return;
    var message = event.data;
    if (!message || message.type !== "panes:token-request") return;
    var isOurs = frames().some(function (frame) { return frame.contentWindow === event.source; });
    if (isOurs) refresh(event.source);
  });

  // Timers sleep with the tab; on return, catch up at once if the renewal is overdue.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden || stopped) return;
    var expiries = frames().map(function (f) { return Number(f.dataset.expiresAt); }).filter(function (n) { return n > 0; });
    if (expiries.length && Math.min.apply(null, expiries) - margin <= serverNow()) refresh();
  });

  schedule();
})();

/* Filters and theme for every Panes chart on the page, and, inside an embed, the framing page.
 *
 * Filter values are edited in the filter bar (or sent by the framing page), checked here as the
 * server checks them (charts/filters.py), reflected in the address (history.replaceState, not in
 * embeds) and posted to each Panes frame as `panes:filters`, only the params that frame accepts
 * (data-filter-params). The theme picker swaps the theme class, remembers the choice in the
 * `panes_theme` cookie (so the server renders the next page in it) and posts `panes:theme`.
 * Frames that start later ask with `panes:frame-ready` and get both at once.
 *
 * In an embed, the page measures itself and posts {type: "panes:resize", height} to its parent,
 * addressed to the parent's origin only, and only if that origin is one of
 * PANES_EMBED_ALLOWED_ORIGINS; it takes `panes:filters` and `panes:theme` from that origin only.
 */
(function () {
  "use strict";

  var grid = document.querySelector("[data-panes-grid]");
  if (!grid) return;
  var configEl = document.getElementById("panes-page-config");
  var page = (configEl && JSON.parse(configEl.textContent)) || {};
  var body = document.body;
  var THEMES = ["light", "dark", "auto"];
  var DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
  var MAX_LENGTH = 200;
  var offered = (grid.dataset.offered || "").split(",").filter(Boolean);
  var form = document.querySelector("[data-panes-controls]");
  var clearButton = form && form.querySelector("[data-filters-clear]");
  var filters = {};
  var theme = THEMES.filter(function (name) { return body.classList.contains("theme-" + name); })[0] || "light";

  function inputs() {
    return form ? Array.prototype.slice.call(form.querySelectorAll("[data-filter]")) : [];
  }

  // What the server put in the frames' addresses (the filter bar shows the same values).
  if (page.filters && typeof page.filters === "object") {
    Object.keys(page.filters).forEach(function (name) { filters[name] = String(page.filters[name]); });
  } else {
    inputs().forEach(function (input) {
      if (input.value) filters[input.dataset.filter] = input.value;
    });
  }

  function panesFrames() {
    return Array.prototype.slice.call(grid.querySelectorAll("iframe[data-panes-frame]"));
  }

  function acceptedBy(frame) {
    return (frame.dataset.filterParams || "").split(",").filter(Boolean);
  }

  function subset(values, names) {
    var out = {};
    names.forEach(function (name) { if (values[name]) out[name] = values[name]; });
    return out;
  }

  function isDateParam(name) {
    return name === "date" || name.indexOf("date_") === 0 || /_date$/.test(name);
  }

  function realDate(text) {
    if (!DATE_RE.test(text)) return false;
    var d = new Date(text + "T00:00:00Z");
    return !isNaN(d) && d.toISOString().slice(0, 10) === text;
  }

  /* Check values as charts/filters.py does: name -> error message (empty when all are fine). */
  function check(values) {
    var errors = {};
    Object.keys(values).forEach(function (name) {
      var value = values[name];
      if (value.length > MAX_LENGTH) errors[name] = "at most " + MAX_LENGTH + " characters.";
      else if (isDateParam(name) && !realDate(value)) errors[name] = "use a date written YYYY-MM-DD, e.g. 2026-03-31.";
    });
    if (!errors.date_from && !errors.date_to && values.date_from && values.date_to && values.date_from > values.date_to) {
      errors.date_to = "must be on or after the start date.";
    }
    return errors;
  }

  function showErrors(errors) {
    inputs().forEach(function (input) {
      var name = input.dataset.filter;
      var box = form.querySelector('[data-filter-error="' + name + '"]');
      var control = input.closest(".control");
      if (errors[name]) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", box ? box.id : "");
        if (box) { box.textContent = errors[name]; box.hidden = false; }
        if (control) control.classList.add("control--error");
      } else {
        input.removeAttribute("aria-invalid");
        if (box) { box.textContent = ""; box.hidden = true; }
        if (control) control.classList.remove("control--error");
      }
    });
  }

  /* --- Telling the frames ------------------------------------------------------------------ */

  function notYetLoaded(frame) {
    try {
      return !frame.contentWindow || frame.contentWindow.location.href === "about:blank";
    } catch (e) {
      return false;
    }
  }

  function withQuery(frame) {
    // A frame that has not started yet gets the state in its address instead of a message.
    var url = new URL(frame.src, location.href);
    acceptedBy(frame).forEach(function (name) { url.searchParams.delete(name); });
    var mine = subset(filters, acceptedBy(frame));
    Object.keys(mine).forEach(function (name) { url.searchParams.set(name, mine[name]); });
    if (theme === "light") url.searchParams.delete("theme");
    else url.searchParams.set("theme", theme);
    return url.toString();
  }

  function tell(frame) {
    if (notYetLoaded(frame)) {
      var next = withQuery(frame);
      if (next !== new URL(frame.src, location.href).toString()) frame.src = next;
      return;
    }
    frame.contentWindow.postMessage({ type: "panes:theme", theme: theme }, location.origin);
    frame.contentWindow.postMessage({ type: "panes:filters", filters: subset(filters, acceptedBy(frame)) }, location.origin);
  }

  function tellAll() {
    panesFrames().forEach(tell);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== location.origin || !event.data || event.data.type !== "panes:frame-ready") return;
    panesFrames().forEach(function (frame) {
      if (frame.contentWindow === event.source) tell(frame);
    });
  });

  /* --- Filters ------------------------------------------------------------------------------ */

  function clean(values) {
    var out = {};
    offered.forEach(function (name) {
      var value = values[name];
      if (typeof value === "string" && value.trim()) out[name] = value.trim();
    });
    return out;
  }

  function reflectInAddress() {
    if (page.embed) return;
    var url = new URL(location.href);
    var params = new URLSearchParams();
    offered.forEach(function (name) { if (filters[name]) params.set(name, filters[name]); });
    if (url.searchParams.get("theme")) params.set("theme", theme);
    var search = params.toString();
    history.replaceState(history.state, "", url.pathname + (search ? "?" + search : "") + url.hash);
  }

  function applyFilters(values) {
    var next = clean(values);
    var errors = check(next);
    showErrors(errors);
    if (Object.keys(errors).length) return false;
    filters = next;
    inputs().forEach(function (input) { input.value = filters[input.dataset.filter] || ""; });
    if (clearButton) clearButton.hidden = !Object.keys(filters).length;
    body.dataset.filters = new URLSearchParams(filters).toString();
    reflectInAddress();
    tellAll();
    return true;
  }

  function fromInputs() {
    var values = {};
    inputs().forEach(function (input) { values[input.dataset.filter] = input.value; });
    return values;
  }

  if (form) {
    form.addEventListener("change", function (event) {
      if (event.target.matches("[data-filter]")) applyFilters(fromInputs());
      else if (event.target.name === "theme") applyTheme(event.target.value, true);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      applyFilters(fromInputs());
    });
    if (clearButton) {
      clearButton.hidden = !Object.keys(filters).length;
      clearButton.addEventListener("click", function () { applyFilters({}); });
    }
  }

  /* --- Theme -------------------------------------------------------------------------------- */

  function applyTheme(next, remember) {
    if (THEMES.indexOf(next) === -1) return;
    theme = next;
    THEMES.forEach(function (name) { body.classList.remove("theme-" + name); });
    body.classList.add("theme-" + theme);
    if (form) {
      var radio = form.querySelector('input[name="theme"][value="' + theme + '"]');
      if (radio) radio.checked = true;
    }
    if (remember && !page.embed) {
      document.cookie = "panes_theme=" + theme + "; path=/; max-age=31536000; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
      reflectInAddress();
    }
    tellAll();
  }

  /* --- Inside an embed: size and controls from the framing page ------------------------------ */

  function parentOrigin() {
    // The browser's own record of who frames us, else the referrer; either must be allowed.
    var candidates = [];
    if (location.ancestorOrigins && location.ancestorOrigins.length) candidates.push(location.ancestorOrigins[0]);
    if (document.referrer) {
      try { candidates.push(new URL(document.referrer).origin); } catch (e) { /* not a URL */ }
    }
    var allowed = page.origins || [];
    return candidates.filter(function (origin) { return allowed.indexOf(origin) !== -1; })[0] || null;
  }

  if (page.embed && window.parent !== window) {
    var target = parentOrigin();
    if (target) {
      var lastHeight = -1;
      var pending = 0;
      var measure = function () {
        pending = 0;
        var height = Math.ceil(body.getBoundingClientRect().height);
        if (height === lastHeight) return;
        lastHeight = height;
        window.parent.postMessage({ type: "panes:resize", height: height, title: page.title || document.title }, target);
      };
      var schedule = function () { if (!pending) pending = requestAnimationFrame(measure); };
      if (window.ResizeObserver) new ResizeObserver(schedule).observe(body);
      window.addEventListener("resize", schedule);
      schedule();

      window.addEventListener("message", function (event) {
        if (event.source !== window.parent || event.origin !== target || !event.data) return;
        if (event.data.type === "panes:theme" && typeof event.data.theme === "string") applyTheme(event.data.theme, false);
        if (event.data.type === "panes:filters" && event.data.filters && typeof event.data.filters === "object") {
          var values = {};
          Object.keys(event.data.filters).forEach(function (name) {
            if (typeof event.data.filters[name] === "string") values[name] = event.data.filters[name];
          });
          applyFilters(values);
        }
      });
    }
  }
})();
