/* The page's side of the frame protocol: which Panes frames the page has, what each accepts, and
 * telling one the page's theme, filters and comparison (a message once it runs, its address
 * before: a lazy frame that has not started would lose a message).
 */
import { FILTERS, REFRESH, THEME } from "./protocol.js";
import { hasLoaded } from "./token_refresh.js";

/** Every Panes-rendered frame of the page: the grid's and the drill panel's. */
export function panesFrames() {
  return Array.from(document.querySelectorAll("iframe[data-panes-frame]"));
}

export function acceptedBy(frame) {
  return (frame.dataset.filterParams || "").split(",").filter(Boolean);
}

/** The tile (section.tile) a grid frame sits in, or null for the drill panel's frame. */
export function tileOf(frame) {
  return frame.closest(".tile");
}

/** The frame whose window sent a message, or undefined. */
export function frameOfWindow(source) {
  return panesFrames().find((frame) => frame.contentWindow === source);
}

function withQuery(frame, theme, values, compare) {
  const url = new URL(frame.src, location.href);
  for (const name of acceptedBy(frame)) url.searchParams.delete(name);
  for (const [name, value] of Object.entries(values)) url.searchParams.set(name, value);
  if (theme === "light") url.searchParams.delete("theme");
  else url.searchParams.set("theme", theme);
  if (compare) url.searchParams.set("compare", compare);
  else url.searchParams.delete("compare");
  return url.toString();
}

/** Sends `frame` the theme and its `values` (already narrowed to what it accepts). */
export function tell(frame, theme, values, compare) {
  if (!hasLoaded(frame)) {
    const next = withQuery(frame, theme, values, compare);
    if (next !== new URL(frame.src, location.href).toString()) frame.src = next;
    return;
  }
  frame.contentWindow.postMessage({ type: THEME, theme }, location.origin);
  frame.contentWindow.postMessage({ type: FILTERS, filters: values, compare }, location.origin);
}

/** Asks every loaded Panes frame to fetch again (each ignores it while a fetch is in flight). */
export function refreshAll() {
  for (const frame of panesFrames()) {
    if (hasLoaded(frame)) frame.contentWindow.postMessage({ type: REFRESH }, location.origin);
  }
}
