/* How a chart frame gets its rows: the token, the fetch, the backoff and the token requests.
 *
 * The token arrives in the URL fragment (never sent to a server, removed from the address at
 * once) and later from the parent page (TOKEN). Rows come from
 * `${api}/v0/pipes/${pipe}.json?<filters>` with `Authorization: Bearer`, without cookies. A
 * refused token is asked for again once (TOKEN_REQUEST); a busy or unreachable host is retried
 * with a growing, jittered delay; anything else is a failure that stays until the page sends a
 * new token or new filters.
 *
 * One load may fetch several filter sets with the same token (the chart's and its comparison
 * period's): the first decides the outcome, the others are drawn when they succeed. A load
 * replaces the one in flight; refresh() never stacks a request on one in flight.
 */
import { gettext, interpolate } from "./i18n.js";
import { TOKEN_REQUEST } from "./protocol.js";

export const MAX_BACKOFF_MS = 60000;
export const TOKEN_WAIT_MS = 6000;

/** The token in the fragment `#token=...` of `loc`, removed from the address bar. */
export function takeTokenFromHash(loc, hist) {
  const value = new URLSearchParams(loc.hash.replace(/^#/, "")).get("token");
  if (loc.hash) hist.replaceState(hist.state, "", loc.pathname + loc.search);
  return value || null;
}

/** Whether a JWT's exp has passed (a token that is not a readable JWT is not known expired). */
export function tokenExpired(token, now = Date.now()) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(part + "===".slice((part.length + 3) % 4)));
    return typeof claims.exp === "number" && claims.exp * 1000 <= now;
  } catch {
    return false;
  }
}

/** The delay before retry number `attempt` (0-based): doubling from `base`, at most a minute,
 * ±20 % so frames that failed together do not retry together. */
export function backoffDelay(base, attempt, random = Math.random) {
  const delay = Math.min(MAX_BACKOFF_MS, base * Math.pow(2, attempt));
  return delay * (0.8 + random() * 0.4);
}

/** `filters` as a query string, in a stable order. */
export function filterQuery(filters) {
  const params = new URLSearchParams();
  for (const name of Object.keys(filters).sort()) params.set(name, filters[name]);
  return params.toString();
}

/** The pipe's rows URL with `filters` as its query. */
export function pipeUrl(api, pipe, filters) {
  const query = filterQuery(filters);
  return `${api}/v0/pipes/${encodeURIComponent(pipe)}.json${query ? "?" + query : ""}`;
}

/**
 * What one answer of the host means: {kind: "rows", meta, rows}; {kind: "refused"} (ask for a
 * token); {kind: "retry", error, message, afterMs | base}; {kind: "fail", error, message}.
 */
export function outcome(status, payload, retryAfter) {
  payload = payload || {};
  if (status >= 200 && status < 300 && Array.isArray(payload.data)) {
    return { kind: "rows", meta: Array.isArray(payload.meta) ? payload.meta : [], rows: payload.data };
  }
  if (status === 401 || status === 403) return { kind: "refused" };
  if (status === 429) {
    const after = Number(retryAfter);
    const busy = { kind: "retry", error: "rate_limited", message: gettext("Busy, retrying…") };
    return after > 0 ? { ...busy, afterMs: Math.min(after * 1000, MAX_BACKOFF_MS) } : { ...busy, base: 1000 };
  }
  if (status >= 500 || status < 400) {
    // 5xx, or a success that is not the host's JSON (a proxy page): try again later.
    return { kind: "retry", error: "unreachable", message: gettext("Chart host unreachable, retrying…"), base: 2000 };
  }
  if (status === 404) return { kind: "fail", error: "not_found", message: gettext("This chart's data source was not found") };
  const reason = typeof payload.error === "string" ? payload.error.slice(0, 200) : "HTTP " + status;
  return { kind: "fail", error: "bad_request", message: interpolate(gettext("This chart cannot be drawn: %(reason)s"), { reason }, true) };
}

async function fetchAnswer(url, token, signal) {
  const response = await fetch(url, {
    headers: { Authorization: "Bearer " + token, Accept: "application/json" },
    credentials: "omit",
    cache: "no-store",
    mode: "cors",
    referrerPolicy: "no-referrer",
    signal,
  });
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  return outcome(response.status, payload, response.headers.get("Retry-After"));
}

/**
 * The rows of one pipe for a frame. Hooks: onLoading(), onRows(main {meta, rows}, extras [{meta,
 * rows} | null]), onFail(error, message, retrying), onAskToken() (shows that access is being
 * refreshed). `parent` is the window to ask for tokens, or null.
 */
export class Transport {
  constructor({ api, pipe, token, parent, origin, onLoading, onRows, onFail, onAskToken }) {
    Object.assign(this, { api, pipe, token, parent, origin, onLoading, onRows, onFail, onAskToken });
    this.requests = [{}];
    this.controller = null;
    this.retryTimer = null;
    this.tokenWaitTimer = null;
    this.attempt = 0;
    this.askedForToken = false; // at most one request to the parent per token
  }

  /** Whether a fetch is in flight. */
  get busy() {
    return this.controller !== null;
  }

  /** Whether a retry is scheduled. */
  get retrying() {
    return this.retryTimer !== null;
  }

  /** Fetch `requests` (filter objects; the first is the chart's), replacing any fetch in flight. */
  load(requests = this.requests) {
    this.requests = requests;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!this.token) {
      this.askForToken();
      return;
    }
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.onLoading();
    const answers = requests.map((filters) => fetchAnswer(pipeUrl(this.api, this.pipe, filters), this.token, controller.signal));
    Promise.all(answers).then(
      (results) => {
        if (this.controller !== controller) return;
        this.controller = null;
        this.handle(results);
      },
      (error) => {
        if (this.controller !== controller) return;
        this.controller = null;
        if (error && error.name === "AbortError") return;
        this.onFail("unreachable", gettext("Chart host unreachable, retrying…"), true);
        this.retryIn(backoffDelay(2000, this.attempt++));
      },
    );
  }

  /** Fetch again now, unless a fetch is in flight: a refresh never stacks requests. */
  refresh() {
    if (this.busy) return false;
    this.load();
    return true;
  }

  /** Start over with new filters: the backoff too. */
  restart(requests) {
    this.attempt = 0;
    this.load(requests);
  }

  /** A token from the page. */
  setToken(token) {
    clearTimeout(this.tokenWaitTimer);
    if (token !== this.token) this.askedForToken = false;
    this.token = token;
    this.attempt = 0;
    this.load();
  }

  handle(results) {
    const [main, ...extras] = results;
    if (main.kind === "rows") {
      this.attempt = 0;
      this.askedForToken = false;
      this.onRows(main, extras.map((extra) => (extra.kind === "rows" ? extra : null)));
    } else if (main.kind === "refused") {
      this.askForToken();
    } else if (main.kind === "retry") {
      this.onFail(main.error, main.message, true);
      this.retryIn(main.afterMs || backoffDelay(main.base, this.attempt++));
    } else {
      this.onFail(main.error, main.message, false);
    }
  }

  retryIn(ms) {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.load();
    }, ms);
  }

  refused() {
    if (!this.token || tokenExpired(this.token)) this.onFail("expired", gettext("Access expired — refresh the page"), false);
    else this.onFail("forbidden", gettext("Not allowed"), false);
  }

  askForToken() {
    // Once per token: if the parent has nothing newer, the refusal stands.
    if (this.askedForToken || !this.parent) {
      this.refused();
      return;
    }
    this.askedForToken = true;
    this.onAskToken();
    this.parent.postMessage({ type: TOKEN_REQUEST }, this.origin);
    clearTimeout(this.tokenWaitTimer);
    this.tokenWaitTimer = setTimeout(() => this.refused(), TOKEN_WAIT_MS);
  }
}
