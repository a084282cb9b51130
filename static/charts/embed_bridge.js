/* The embed page's side of the embed API (version API_VERSION), spoken with the page that frames
 * it, and only when that page's origin is one of PANES_EMBED_ALLOWED_ORIGINS (page_config.origins):
 *
 * - events go up as {type: EVENT, version, event, detail}, addressed to that origin only; the
 *   height also goes up as the older {type: "panes:resize", height, title};
 * - actions come down as {type: ACTION, version, action, args} and count only from that origin
 *   AND from window.parent; the older {type: "panes:filters"} / {type: "panes:theme"} too.
 *
 * Anything else (another origin, another window, an unknown action) is ignored without a word.
 */
import { ACTION, API_VERSION, EMBED_ACTIONS, EMBED_EVENTS, EVENT } from "./protocol.js";

/** The framing page's origin when it is allowed: the browser's own record of who frames us,
 * else the referrer (embed.js sets referrerpolicy="origin"). */
export function allowedParentOrigin(allowed) {
  if (window.parent === window) return null;
  const candidates = [];
  if (location.ancestorOrigins && location.ancestorOrigins.length) candidates.push(location.ancestorOrigins[0]);
  if (document.referrer) {
    try {
      candidates.push(new URL(document.referrer).origin);
    } catch (error) {
      /* not a URL */
    }
  }
  return candidates.find((origin) => allowed.includes(origin)) || null;
}

function plainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Only string values survive from a framing page's filters. */
function strings(values) {
  const out = {};
  if (!plainObject(values)) return out;
  for (const [name, value] of Object.entries(values)) if (typeof value === "string") out[name] = value;
  return out;
}

/**
 * Starts the bridge when the page is an embed framed by an allowed origin, else returns a bridge
 * that says nothing. `actions` maps each EMBED_ACTIONS name to a handler of its checked args.
 */
export function embedBridge(page, actions) {
  const target = page.embed ? allowedParentOrigin(page.origins || []) : null;
  if (!target) return { active: false, emit() {} };

  function emit(event, detail) {
    if (!EMBED_EVENTS.includes(event)) return;
    window.parent.postMessage({ type: EVENT, version: API_VERSION, event, detail }, target);
  }

  let lastHeight = -1;
  let pending = 0;
  function measure() {
    pending = 0;
    const height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    window.parent.postMessage({ type: "panes:resize", height, title: page.title || document.title }, target);
    emit("resize", { height });
  }
  const schedule = () => {
    if (!pending) pending = requestAnimationFrame(measure);
  };
  if (window.ResizeObserver) new ResizeObserver(schedule).observe(document.body);
  window.addEventListener("resize", schedule);
  schedule();

  window.addEventListener("message", (event) => {
    if (event.source !== window.parent || event.origin !== target) return;
    const message = event.data;
    if (!plainObject(message)) return;
    if (message.type === "panes:theme" && typeof message.theme === "string") actions.setTheme({ theme: message.theme });
    else if (message.type === "panes:filters") actions.setFilters({ filters: strings(message.filters) });
    else if (message.type === ACTION && message.version === API_VERSION && EMBED_ACTIONS.includes(message.action)) {
      const args = plainObject(message.args) ? message.args : {};
      if (message.action === "setFilters") {
        actions.setFilters({
          filters: strings(args.filters),
          period: typeof args.period === "string" ? args.period : "",
          compare: typeof args.compare === "string" ? args.compare : "",
        });
      } else if (message.action === "setTheme" && typeof args.theme === "string") actions.setTheme({ theme: args.theme });
      else if (message.action === "refresh") actions.refresh({});
      else if (message.action === "openDrill" && Array.isArray(args.path)) {
        actions.openDrill({ chart: String(args.chart), path: args.path.filter((v) => typeof v === "string" || typeof v === "number").map(String) });
      }
    }
  });

  return { active: true, emit };
}
