/* Keeps a page's chart tokens fresh without reloading it.
 *
 * The server placed a token in every iframe. Shortly before the earliest one expires (the margin
 * is PANES_TOKEN_REFRESH_MARGIN_SECONDS, given in data-refresh-margin) this fetches
 * <token-url> and hands each workspace's new token to its charts: Tinybird iframes get their
 * `token` query parameter swapped, Panes frames get a TOKEN message. A frame whose host refused
 * its token may ask with TOKEN_REQUEST; the answer comes at once. A chart the new token no longer
 * covers becomes a copy of the page's `<template data-panes-placeholder>` tile; the drill panel's
 * frame (outside the grid, data-drill-frame) is told with a "panes:frame-lost" DOM event instead.
 */
import { gettext } from "./i18n.js";
import { TOKEN, TOKEN_REQUEST } from "./protocol.js";

/** Every chart iframe of the page that holds a token: the grid's and the drill panel's. */
export function tokenFrames() {
  return Array.from(document.querySelectorAll("iframe[data-workspace]"));
}

export function tokenInSrc(frame) {
  try {
    const url = new URL(frame.src, location.href);
    if (frame.dataset.kind === "tinybird") return url.searchParams.get("token");
    return new URLSearchParams(url.hash.replace(/^#/, "")).get("token");
  } catch (error) {
    return null;
  }
}

/** Whether a same-origin frame has navigated: until then its window is about:blank and a
 * message to it would be lost. */
export function hasLoaded(frame) {
  try {
    return Boolean(frame.contentWindow) && frame.contentWindow.location.href !== "about:blank";
  } catch (error) {
    return true;
  }
}

function deliver(frame, value) {
  if (frame.dataset.kind === "tinybird") {
    const url = new URL(frame.src, location.href);
    if (url.searchParams.get("token") === value) return;
    url.searchParams.set("token", value);
    frame.src = url.toString();
  } else if (hasLoaded(frame)) {
    frame.contentWindow.postMessage({ type: TOKEN, token: value }, location.origin);
  } else {
    // A frame still waiting (lazy loading) gets the token in its address instead.
    const src = new URL(frame.src, location.href);
    src.hash = "token=" + encodeURIComponent(value);
    frame.src = src.toString();
  }
}

function failClosed(frame, message) {
  if (frame.hasAttribute("data-drill-frame")) {
    frame.dispatchEvent(new CustomEvent("panes:frame-lost", { bubbles: true }));
    return;
  }
  // The organisation lost access to this chart since the page loaded (or its workspace lost its
  // key): drop the iframe and draw the server's own tile (charts/_tile.html, in a <template>)
  // in its place, with `message` when the server gave one.
  const tile = frame.closest(".tile");
  const template = document.querySelector("template[data-panes-placeholder]");
  if (!tile || !template) {
    frame.remove();
    return;
  }
  const placeholder = template.content.firstElementChild.cloneNode(true);
  const title = tile.getAttribute("aria-label") || frame.title;
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

/**
 * Starts refreshing the tokens of `grid`'s page. Returns {tokenFor(workspace)}: the token the
 * workspace's charts hold now, for a frame the page opens later (the drill panel).
 */
export function startTokenRefresh(grid) {
  const tokenUrl = grid.dataset.tokenUrl || "";
  const margin = Number(grid.dataset.refreshMargin) || 120;
  const tenant = grid.dataset.tenant || "";
  const statusEl = document.querySelector("[data-panes-status]");
  // Server clock minus ours, so expiry times are compared on the server's clock.
  let skewMs = grid.dataset.serverNow ? Number(grid.dataset.serverNow) * 1000 - Date.now() : 0;
  const current = {}; // workspace id -> the token its charts hold
  let timer = null;
  let inflight = null;
  let failures = 0;
  let stopped = false;

  for (const frame of tokenFrames()) {
    const value = tokenInSrc(frame);
    if (value) current[frame.dataset.workspace] = value;
  }

  const serverNow = () => (Date.now() + skewMs) / 1000;
  const expiries = () => tokenFrames().map((f) => Number(f.dataset.expiresAt)).filter((n) => n > 0);

  function say(text) {
    if (!statusEl) return;
    statusEl.textContent = text || "";
    statusEl.hidden = !text;
  }

  function apply(doc, requester) {
    const unconfigured = (doc.unconfigured || []).map(String);
    const unavailable = doc.unavailable || {};
    for (const frame of tokenFrames()) {
      const tile = frame.closest(".tile");
      const grant = (doc.workspaces || {})[frame.dataset.workspace];
      const chart = tile ? tile.dataset.chart : frame.dataset.chart || "";
      if (!grant || !grant.token || unconfigured.includes(chart) || unavailable[chart]) {
        failClosed(frame, unavailable[chart] || "");
        continue;
      }
      frame.dataset.expiresAt = String(grant.expires_at);
      // A frame that asked gets an answer even if nothing changed: it decides what a refusal means.
      if (grant.token !== current[frame.dataset.workspace] || frame.contentWindow === requester) {
        deliver(frame, grant.token);
      }
    }
    for (const [id, grant] of Object.entries(doc.workspaces || {})) current[id] = grant.token;
  }

  function stop(text) {
    stopped = true;
    clearTimeout(timer);
    say(text);
  }

  async function fetchDocument() {
    const response = await fetch(tokenUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
    const type = response.headers.get("Content-Type") || "";
    if (response.redirected || !type.includes("application/json")) {
      stop(gettext("You have been signed out. Reload the page to sign in again."));
      return null;
    }
    const doc = await response.json();
    if (response.ok) return doc;
    if (response.status === 403 || response.status === 404) {
      stop(gettext("This dashboard is no longer available to you. Reload the page."));
      return null;
    }
    throw new Error(doc.error || "HTTP " + response.status);
  }

  function refresh(requester) {
    if (!tokenUrl || stopped) return Promise.resolve(null);
    if (inflight) {
      return inflight.then((doc) => {
        if (doc && requester) apply(doc, requester);
        return doc;
      });
    }
    clearTimeout(timer);
    inflight = fetchDocument()
      .then((doc) => {
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
      .catch(() => {
        failures += 1;
        say(gettext("Could not renew access to the charts; retrying…"));
        clearTimeout(timer);
        timer = setTimeout(refresh, Math.min(60000, 5000 * 2 ** (failures - 1)));
        return null;
      })
      .then((doc) => {
        inflight = null;
        return doc;
      });
    return inflight;
  }

  function schedule() {
    clearTimeout(timer);
    if (!tokenUrl || stopped) return;
    const known = expiries();
    if (!known.length) return;
    // Just past the point where the server stops reusing the token, so it mints anew, and well
    // before expiry even when the margin is short: a quarter of the margin, at most 5 s.
    const due = Math.min(...known) - margin + Math.min(5, margin / 4);
    const delay = Math.max(5, due - serverNow()) * 1000;
    timer = setTimeout(refresh, Math.min(delay, 2147483647));
  }

  window.addEventListener("message", (event) => {
    if (event.origin !== location.origin) return;
    if (!event.data || event.data.type !== TOKEN_REQUEST) return;
    if (tokenFrames().some((frame) => frame.contentWindow === event.source)) refresh(event.source);
  });

  // Timers sleep with the tab; on return, catch up at once if the renewal is overdue.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden || stopped) return;
    const known = expiries();
    if (known.length && Math.min(...known) - margin <= serverNow()) refresh();
  });

  schedule();
  return {
    tokenFor: (workspace) => current[workspace] || "",
    expiryFor: (workspace) => {
      const frame = tokenFrames().find((f) => f.dataset.workspace === String(workspace) && f.dataset.expiresAt);
      return frame ? frame.dataset.expiresAt : "";
    },
  };
}
