// The chart frame's transport (static/charts/transport.js): answers, backoff, token requests,
// and refreshes that never stack, with a stub fetch instead of a host.
import assert from "node:assert/strict";
import test from "node:test";

import { TOKEN_REQUEST } from "../../static/charts/protocol.js";
import { MAX_BACKOFF_MS, Transport, backoffDelay, outcome, pipeUrl, takeTokenFromHash, tokenExpired } from "../../static/charts/transport.js";

function jwt(claims) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "HS256" })}.${part(claims)}.sig`;
}

test("the host's answers: rows, a refusal, retries with their delay, failures that stay", () => {
  assert.deepEqual(outcome(200, { meta: [{ name: "a" }], data: [{ a: 1 }] }), { kind: "rows", meta: [{ name: "a" }], rows: [{ a: 1 }] });
  assert.equal(outcome(403, {}).kind, "refused");
  assert.equal(outcome(401, null).kind, "refused");
  assert.deepEqual(outcome(429, {}, "3"), { kind: "retry", error: "rate_limited", message: "Busy, retrying…", afterMs: 3000 });
  assert.equal(outcome(429, {}, "9999").afterMs, MAX_BACKOFF_MS);
  assert.equal(outcome(429, {}, null).base, 1000);
  assert.equal(outcome(503, {}).error, "unreachable");
  assert.equal(outcome(200, null).kind, "retry"); // a proxy's page, not the host's JSON
  assert.equal(outcome(404, {}).error, "not_found");
  assert.deepEqual(outcome(400, { error: "bad param" }), { kind: "fail", error: "bad_request", message: "This chart cannot be drawn: bad param" });
});

test("backoff doubles up to a minute, with ±20 % jitter", () => {
  assert.equal(backoffDelay(2000, 0, () => 0.5), 2000);
  assert.equal(backoffDelay(2000, 3, () => 0.5), 16000);
  assert.equal(backoffDelay(2000, 10, () => 0.5), MAX_BACKOFF_MS);
  assert.equal(backoffDelay(1000, 0, () => 0), 800);
  assert.ok(Math.abs(backoffDelay(1000, 0, () => 1) - 1200) < 1e-6);
});

test("the rows URL: the pipe escaped, the filters sorted", () => {
  assert.equal(pipeUrl("https://api", "sales", {}), "https://api/v0/pipes/sales.json");
  assert.equal(pipeUrl("https://api", "a/b", { z: "1", city: "São Paulo" }), "https://api/v0/pipes/a%2Fb.json?city=S%C3%A3o+Paulo&z=1");
});

test("tokens: taken from the fragment and wiped from the address; expiry read from the JWT", () => {
  const calls = [];
  const hist = { state: null, replaceState: (...args) => calls.push(args) };
  assert.equal(takeTokenFromHash({ hash: "#token=abc", pathname: "/frame/1/", search: "?x=1" }, hist), "abc");
  assert.deepEqual(calls, [[null, "", "/frame/1/?x=1"]]);
  assert.equal(takeTokenFromHash({ hash: "", pathname: "/", search: "" }, hist), null);
  assert.equal(calls.length, 1);
  assert.equal(tokenExpired(jwt({ exp: 100 }), 200_000), true);
  assert.equal(tokenExpired(jwt({ exp: 300 }), 200_000), false);
  assert.equal(tokenExpired("not a jwt"), false);
});

function stubFetch(answer) {
  const calls = [];
  const pending = [];
  globalThis.fetch = (url, init) => {
    calls.push({ url, init });
    return new Promise((resolve, reject) => {
      pending.push({ resolve: () => resolve(answer(url)), reject });
      init.signal.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })));
    });
  };
  return { calls, pending, settle: () => pending.splice(0).forEach((p) => p.resolve()) };
}

function response(status, payload) {
  return { status, json: async () => payload, headers: { get: () => null } };
}

function transport(hooks = {}) {
  const seen = { rows: [], fails: [], asked: 0, posted: [] };
  const t = new Transport({
    api: "https://api",
    pipe: "sales",
    token: jwt({ exp: Date.now() / 1000 + 600 }),
    parent: { postMessage: (message, origin) => seen.posted.push([message, origin]) },
    origin: "http://localhost",
    onLoading() {},
    onRows: (main, extras) => seen.rows.push([main, extras]),
    onFail: (...args) => seen.fails.push(args),
    onAskToken: () => seen.asked++,
    ...hooks,
  });
  return { t, seen };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

test("a refresh never stacks a request on one in flight", async () => {
  const host = stubFetch(() => response(200, { meta: [], data: [{ n: 1 }] }));
  const { t, seen } = transport();
  t.load([{ date_from: "2026-03-01" }]);
  const started = [1, 2, 3, 4, 5].map(() => t.refresh());
  assert.deepEqual(started, [false, false, false, false, false]);
  assert.equal(host.calls.length, 1);
  host.settle();
  await tick();
  assert.equal(seen.rows.length, 1);
  assert.equal(t.busy, false);
  assert.equal(t.refresh(), true);
  assert.equal(host.calls.length, 2);
  assert.equal(host.calls[1].url, "https://api/v0/pipes/sales.json?date_from=2026-03-01");
  assert.equal(host.calls[1].init.credentials, "omit");
  assert.match(host.calls[1].init.headers.Authorization, /^Bearer /);
});

test("a comparison is fetched with the same token; if only it fails, the chart still draws", async () => {
  const host = stubFetch((url) => (url.includes("2026-02") ? response(500, {}) : response(200, { meta: [], data: [{ n: 2 }] })));
  const { t, seen } = transport();
  t.load([{ date_from: "2026-03-01" }, { date_from: "2026-02-01" }]);
  assert.equal(host.calls.length, 2);
  assert.equal(host.calls[0].init.headers.Authorization, host.calls[1].init.headers.Authorization);
  host.settle();
  await tick();
  assert.equal(seen.rows.length, 1);
  assert.deepEqual(seen.rows[0][0].rows, [{ n: 2 }]);
  assert.deepEqual(seen.rows[0][1], [null]);
});

test("a new load replaces the one in flight", async () => {
  const host = stubFetch(() => response(200, { meta: [], data: [] }));
  const { t, seen } = transport();
  t.load([{ a: "1" }]);
  t.restart([{ a: "2" }]);
  host.settle();
  await tick();
  assert.equal(host.calls.length, 2);
  assert.equal(seen.rows.length, 1);
  assert.equal(seen.fails.length, 0);
});

test("a refused token is asked for once; refused again, the frame says it is not allowed", async () => {
  const host = stubFetch(() => response(403, {}));
  const { t, seen } = transport();
  t.load();
  host.settle();
  await tick();
  assert.equal(seen.asked, 1);
  assert.deepEqual(seen.posted, [[{ type: TOKEN_REQUEST }, "http://localhost"]]);
  t.setToken(t.token); // the parent had nothing newer
  host.settle();
  await tick();
  assert.deepEqual(seen.fails.at(-1), ["forbidden", "Not allowed", false]);
  clearTimeout(t.tokenWaitTimer);
});

test("an unreachable host is retried later, not at once", async () => {
  const host = stubFetch(() => response(502, {}));
  const { t, seen } = transport();
  t.load();
  host.settle();
  await tick();
  assert.deepEqual(seen.fails[0], ["unreachable", "Chart host unreachable, retrying…", true]);
  assert.equal(t.retrying, true);
  assert.equal(host.calls.length, 1);
  clearTimeout(t.retryTimer);
});
