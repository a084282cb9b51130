/* A dashboard's refresh interval (Dashboard.refresh_seconds), for wall screens: every N seconds
 * the page asks every Panes frame to fetch again. Nothing is sent while the tab is hidden; on
 * return one refresh catches up if one fell due meanwhile. Requests never stack: a frame ignores
 * REFRESH while its own fetch is in flight.
 */
export const MIN_SECONDS = 10;

/** Calls `refresh()` every `seconds` while the page is visible; returns a stop function. */
export function startAutoRefresh(seconds, refresh, { now = () => Date.now() } = {}) {
  if (!(Number(seconds) >= MIN_SECONDS)) return () => {};
  const periodMs = Number(seconds) * 1000;
  let last = now();
  let timer = null;

  function tick() {
    timer = null;
    if (document.hidden) return; // visibilitychange picks it up again
    last = now();
    refresh();
    plan(periodMs);
  }

  function plan(delay) {
    clearTimeout(timer);
    timer = setTimeout(tick, Math.max(0, delay));
  }

  function onVisibility() {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
      return;
    }
    const overdue = now() - last >= periodMs;
    if (overdue) tick();
    else plan(periodMs - (now() - last));
  }

  document.addEventListener("visibilitychange", onVisibility);
  plan(periodMs);
  return () => {
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisibility);
  };
}
