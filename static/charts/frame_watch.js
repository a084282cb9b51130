/* Tinybird chart frames that do not load say so in Panes' words, not with the browser's
 * broken-frame page.
 *
 * A page cannot look inside another origin's frame: Chromium fires `load` for its own error page
 * too, and hides the status of another origin's navigation (its timing entry says 0). So next to
 * the frame the watch asks the frame's host itself: a no-cors HEAD request fails only when the
 * host cannot be reached at all (offline, refused, no such name); a CORS HEAD request then reads
 * the status where the host allows it (a 4xx or 5xx fails the tile; where it does not allow it,
 * the load counts). A frame with no `load` after FRAME_TIMEOUT_MS fails too. Where the page's
 * policy does not let it ask (no data-probe-frames on the grid), only the timeout counts. The rules are
 * `verdict`, pure, tested with node --test (tests/js/frame_watch.test.mjs).
 */
import { gettext } from "./i18n.js";

export const FRAME_TIMEOUT_MS = 15000;
export const MESSAGE = gettext("Chart host unavailable");
export const HINT = gettext("This chart did not load. Check your connection, or try again in a moment.");

export const WAITING = "waiting";
export const LOADED = "loaded";
export const FAILED = "failed";

/* What a frame's state means at time `now` (milliseconds, the same clock as the others):
 * {startedAt, loadedAt: number|null, probe: null | {reachable: boolean, status: number|null},
 *  entry: {status}|null, timeoutMs} -> {state: WAITING|LOADED|FAILED, reason, wakeAt: number|null}.
 * ``probe`` is null until the host answered the watch's own requests (or where it cannot ask). */
export function verdict(frame, now) {
  const timeoutMs = frame.timeoutMs ?? FRAME_TIMEOUT_MS;
  const deadline = frame.startedAt + timeoutMs;
  const probe = frame.probe;
  if (probe && probe.reachable === false) return { state: FAILED, reason: "unreachable", wakeAt: null };
  const status = (probe && probe.status) || (frame.entry && Number(frame.entry.status)) || 0;
  if (status >= 400) return { state: FAILED, reason: `HTTP ${status}`, wakeAt: null };
  if (frame.loadedAt == null) {
    if (now >= deadline) return { state: FAILED, reason: "timeout", wakeAt: null };
    return { state: WAITING, reason: "", wakeAt: deadline };
  }
  // Loaded: trust it once the host answered, or once the deadline passed without a verdict.
  if (probe || now >= deadline) return { state: LOADED, reason: "", wakeAt: null };
  return { state: WAITING, reason: "", wakeAt: deadline };
}

/* The timing entry of the navigation to `src` started at or after `since` (ms), as {status}. */
export function entryFor(entries, src, since) {
  const found = entries
    .filter((e) => e.initiatorType === "iframe" && e.name === src && e.startTime >= since - 1)
    .pop();
  return found ? { status: found.responseStatus ?? 0 } : null;
}

/* Ask ``src``'s host: {reachable: false} when it cannot be reached, else {reachable: true,
 * status} with the status where the host lets this page read it (null where it does not).
 * ``fetchImpl`` is the page's fetch (a stand-in in the tests). */
export async function probe(src, fetchImpl) {
  const quiet = { method: "HEAD", credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer", redirect: "follow" };
  try {
    await fetchImpl(src, { ...quiet, mode: "no-cors" });
  } catch (e) {
    return { reachable: false, status: null };
  }
  try {
    const response = await fetchImpl(src, { ...quiet, mode: "cors" });
    return { reachable: true, status: response.status };
  } catch (e) {
    return { reachable: true, status: null }; // the host does not share its status with Panes
  }
}

/* --- In the page ---------------------------------------------------------------------------- */

function showFailure(frame, retry) {
  const tile = frame.closest(".tile");
  if (!tile || tile.querySelector("[data-frame-failure]")) return;
  frame.style.display = "none";
  tile.classList.add("tile--unavailable");
  tile.dataset.state = "unavailable";
  const box = document.createElement("div");
  box.className = "tile__placeholder";
  box.dataset.frameFailure = "";
  const title = document.createElement("h2");
  title.className = "tile__title";
  title.textContent = tile.getAttribute("aria-label") || frame.title;
  const notice = document.createElement("div");
  notice.className = "tile__notice";
  notice.setAttribute("role", "status");
  const icon = document.createElement("span");
  icon.className = "tile__icon";
  icon.setAttribute("aria-hidden", "true");
  // The same warning sign as the server's unavailable tiles (charts/_tile.html).
  icon.innerHTML = '<svg viewBox="0 0 24 24" width="22" height="22"><path d="M12 3 2 20h20L12 3Z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/><path d="M12 10v4M12 17v.5" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>';
  const message = document.createElement("p");
  message.className = "tile__message";
  message.textContent = MESSAGE;
  const hint = document.createElement("p");
  hint.textContent = HINT;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn--small";
  button.textContent = gettext("Try again");
  button.addEventListener("click", retry);
  notice.append(icon, message, hint, button);
  box.append(title, notice);
  tile.append(box);
}

function clearFailure(frame) {
  const tile = frame.closest(".tile");
  const box = tile && tile.querySelector("[data-frame-failure]");
  if (!box) return;
  box.remove();
  tile.classList.remove("tile--unavailable");
  tile.dataset.state = "ok";
  frame.style.display = "";
}

export function watch(frame, { timeoutMs = FRAME_TIMEOUT_MS, probing = true } = {}) {
  let state = null;
  let timer = 0;

  function judge() {
    clearTimeout(timer);
    if (!state) return;
    if (!state.entry && state.loadedAt != null) {
      state.entry = entryFor(performance.getEntriesByType("resource"), state.src, state.since);
    }
    const result = verdict(state, performance.now());
    frame.dataset.frameWatch = result.state;
    if (result.state === FAILED) {
      state = null;
      showFailure(frame, () => { frame.src = frame.src; }); // the observer below starts a new watch
    } else if (result.state === LOADED) {
      state = null;
    } else if (result.wakeAt != null) {
      timer = setTimeout(judge, Math.max(0, result.wakeAt - performance.now()));
    }
  }

  function start(since = performance.now()) {
    const mine = { src: frame.src, since, startedAt: performance.now(), loadedAt: null, entry: null, probe: null, timeoutMs };
    state = mine;
    clearFailure(frame); // a new navigation (Try again, a fresh token) gets a fresh chance
    if (probing && typeof fetch === "function") {
      probe(mine.src, fetch.bind(window)).then((answer) => {
        if (state !== mine) return; // a newer navigation is being judged
        mine.probe = answer;
        judge();
      });
    }
    // Loaded before this module ran: its navigation's timing entry is already there.
    if (since === 0 && entryFor(performance.getEntriesByType("resource"), mine.src, 0)) mine.loadedAt = performance.now();
    judge();
  }

  frame.addEventListener("load", () => {
    if (!state || state.src !== frame.src) return;
    state.loadedAt = performance.now();
    judge();
  });
  // The refresh script re-points a Tinybird frame at a new token: a new navigation to judge.
  new MutationObserver(() => {
    if (!state || state.src !== frame.src) start();
  }).observe(frame, { attributes: true, attributeFilter: ["src"] });
  if (frame.loading === "lazy" && "IntersectionObserver" in window) {
    // A lazy frame starts when it nears the viewport; its clock starts then too.
    const seen = new IntersectionObserver((items) => {
      if (items.some((item) => item.isIntersecting)) {
        seen.disconnect();
        if (!state) start(0);
      }
    }, { rootMargin: "200px" });
    seen.observe(frame);
  } else {
    start(0);
  }
}

if (typeof document !== "undefined") {
  if (performance.setResourceTimingBufferSize) performance.setResourceTimingBufferSize(1000);
  // Only pages whose policy lets them ask the frames' hosts probe (charts.views.PROBE_FRAME_HOSTS);
  // elsewhere a blocked probe would look like a host that is down, so the timeout alone counts.
  document.querySelectorAll("[data-panes-grid]").forEach((grid) => {
    const probing = grid.hasAttribute("data-probe-frames");
    grid.querySelectorAll('iframe[data-kind="tinybird"]').forEach((frame) => watch(frame, { probing }));
  });
}
