/* Keeps a dashboard's chart tokens fresh without reloading the page.
 *
 * The server placed a token in every iframe. Shortly before the earliest one expires (the margin
 * is PANES_TOKEN_REFRESH_MARGIN_SECONDS, given in data-refresh-margin) this fetches
 * <token-url> and hands each workspace's new token to its charts: Tinybird iframes get their
 * `token` query parameter swapped, Panes frames get a `panes:token` message. A frame whose host
 * refused its token may ask with `panes:token-request`; the answer comes at once.
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

  function failClosed(frame) {
    // The organisation lost access to this chart since the page loaded: drop the iframe.
    var tile = frame.closest(".tile");
    if (!tile) return;
    var title = frame.title;
    tile.className = "tile tile--unconfigured";
    tile.dataset.state = "unconfigured";
    tile.textContent = "";
    var box = document.createElement("div");
    box.className = "tile__placeholder";
    var heading = document.createElement("h2");
    heading.className = "tile__title";
    heading.textContent = title;
    var notice = document.createElement("div");
    notice.className = "tile__notice";
    var message = document.createElement("p");
    message.className = "tile__message";
    message.textContent = "Not configured for your organisation";
    notice.appendChild(message);
    box.appendChild(heading);
    box.appendChild(notice);
    tile.appendChild(box);
  }

  function apply(doc, requester) {
    var unconfigured = (doc.unconfigured || []).map(String);
    frames().forEach(function (frame) {
      var tile = frame.closest(".tile");
      var grant = (doc.workspaces || {})[frame.dataset.workspace];
      if (!grant || !grant.token || (tile && unconfigured.indexOf(tile.dataset.chart) !== -1)) {
        failClosed(frame);
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
