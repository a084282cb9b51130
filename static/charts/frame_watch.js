/* Tinybird chart frames that do not load say so in Panes' words, not with the browser's
 * broken-frame page.
 *
 * A page cannot look inside another origin's frame, so the watch reads what the browser tells the
 * parent: the frame's `load` event, and the Resource Timing entry of its navigation
 * (initiatorType "iframe"), whose responseStatus is the answer's HTTP status. A 4xx or 5xx answer
 * fails the tile at once; a frame that loaded but left no entry loaded the browser's own error
 * page (refused, offline); a frame that has not loaded after FRAME_TIMEOUT_MS fails too. The
 * rules are `verdict`, pure, tested with node --test (tests/js/frame_watch.test.mjs).
 */

export const FRAME_TIMEOUT_MS = 15000;
// After `load`, how long the navigation's timing entry may take to appear.
export const ENTRY_GRACE_MS = 1500;
export const MESSAGE = "Chart host unavailable";
export const HINT = "This chart did not load. Check your connection, or try again in a moment.";

export const WAITING = "waiting";
export const LOADED = "loaded";
export const FAILED = "failed";

/* What a frame's state means at time `now` (milliseconds, the same clock as the others):
 * {startedAt, loadedAt: number|null, entry: {status: number}|null, supported: boolean,
 *  timeoutMs, graceMs} -> {state: WAITING|LOADED|FAILED, reason, wakeAt: number|null}.
 * `supported`: this browser reports frame navigations as timing entries with a status. */
export function verdict(frame, now) {
  const timeoutMs = frame.timeoutMs ?? FRAME_TIMEOUT_MS;
  const graceMs = frame.graceMs ?? ENTRY_GRACE_MS;
  const status = frame.entry ? Number(frame.entry.status) || 0 : null;
  if (status !== null && status >= 400) return { state: FAILED, reason: `HTTP ${status}`, wakeAt: null };
  if (frame.loadedAt == null) {
    const deadline = frame.startedAt + timeoutMs;
    if (now >= deadline) return { state: FAILED, reason: "timeout", wakeAt: null };
    return { state: WAITING, reason: "", wakeAt: deadline };
  }
  if (!frame.supported || frame.entry) return { state: LOADED, reason: "", wakeAt: null };
  const until = frame.loadedAt + graceMs;
  if (now >= until) return { state: FAILED, reason: "no answer", wakeAt: null };
  return { state: WAITING, reason: "", wakeAt: until };
}

/* The timing entry of the navigation to `src` started at or after `since` (ms), as {status}. */
export function entryFor(entries, src, since) {
  const found = entries
    .filter((e) => e.initiatorType === "iframe" && e.name === src && e.startTime >= since - 1)
    .pop();
  return found ? { status: found.responseStatus ?? 0 } : null;
}

/* --- In the page ---------------------------------------------------------------------------- */

function timingSupported() {
  return typeof PerformanceResourceTiming !== "undefined" && "responseStatus" in PerformanceResourceTiming.prototype;
}

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
  icon.textContent = "!";
  const message = document.createElement("p");
  message.className = "tile__message";
  message.textContent = MESSAGE;
  const hint = document.createElement("p");
  hint.className = "tile__hint";
  hint.textContent = HINT;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn--small";
  button.textContent = "Try again";
  button.addEventListener("click", () => {
    box.remove();
    tile.classList.remove("tile--unavailable");
    tile.dataset.state = "ok";
    frame.style.display = "";
    retry();
  });
  notice.append(icon, message, hint, button);
  box.append(title, notice);
  tile.append(box);
}

export function watch(frame, { timeoutMs = FRAME_TIMEOUT_MS, graceMs = ENTRY_GRACE_MS } = {}) {
  const supported = timingSupported();
  let state = null;
  let timer = 0;

  function judge() {
    clearTimeout(timer);
    if (!state) return;
    if (supported && !state.entry) {
      state.entry = entryFor(performance.getEntriesByType("resource"), state.src, state.since);
      // Loaded before this module ran: the navigation's entry is there, its load event is past.
      if (state.entry && state.loadedAt == null) state.loadedAt = performance.now();
    }
    const result = verdict(state, performance.now());
    frame.dataset.frameWatch = result.state;
    if (result.state === FAILED) {
      state = null;
      showFailure(frame, () => { frame.src = frame.src; start(); });
    } else if (result.wakeAt != null) {
      timer = setTimeout(judge, Math.max(0, result.wakeAt - performance.now()));
    }
  }

  function start(since = performance.now()) {
    state = { src: frame.src, since, startedAt: performance.now(), loadedAt: null, entry: null, supported, timeoutMs, graceMs };
    judge();
  }

  frame.addEventListener("load", () => {
    if (!state) return;
    state.loadedAt = performance.now();
    judge();
  });
  // The refresh script re-points a Tinybird frame at a new token: a new navigation to judge.
  new MutationObserver(() => { if (state && state.src !== frame.src) start(); }).observe(frame, { attributes: true, attributeFilter: ["src"] });
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
  document.querySelectorAll('[data-panes-grid] iframe[data-kind="tinybird"]').forEach((frame) => watch(frame));
}
