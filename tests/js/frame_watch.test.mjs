// The pure rules of static/charts/frame_watch.js: when a Tinybird frame counts as failed.
import { test } from "node:test";
import assert from "node:assert/strict";

import { verdict, entryFor, probe, FAILED, LOADED, WAITING, FRAME_TIMEOUT_MS } from "../../static/charts/frame_watch.js";

const base = { startedAt: 1000, loadedAt: null, entry: null, probe: null, timeoutMs: 15000 };
const reachable = { reachable: true, status: null };

test("a frame still loading waits until the timeout, then fails", () => {
  assert.deepEqual(verdict(base, 2000), { state: WAITING, reason: "", wakeAt: 16000 });
  assert.equal(verdict({ ...base, probe: reachable }, 15999).state, WAITING);
  assert.deepEqual(verdict(base, 16000), { state: FAILED, reason: "timeout", wakeAt: null });
});

test("the default timeout is fifteen seconds", () => {
  const { timeoutMs, ...rest } = base;
  assert.equal(FRAME_TIMEOUT_MS, 15000);
  assert.equal(verdict(rest, 1000 + 14999).state, WAITING);
  assert.equal(verdict(rest, 1000 + 15000).state, FAILED);
});

test("a host that cannot be reached fails at once, even though the frame 'loaded' its error page", () => {
  const down = { ...base, loadedAt: 1100, probe: { reachable: false, status: null } };
  assert.deepEqual(verdict(down, 1200), { state: FAILED, reason: "unreachable", wakeAt: null });
});

test("a 4xx or 5xx answer fails at once, from the probe or a visible timing entry", () => {
  assert.equal(verdict({ ...base, loadedAt: 1100, probe: { reachable: true, status: 404 } }, 1200).reason, "HTTP 404");
  assert.equal(verdict({ ...base, probe: { reachable: true, status: 503 } }, 1200).state, FAILED);
  assert.equal(verdict({ ...base, loadedAt: 1100, entry: { status: 403 } }, 1200).reason, "HTTP 403");
});

test("a frame that loaded from a host that answered is loaded, status shared or not", () => {
  assert.equal(verdict({ ...base, loadedAt: 1200, probe: { reachable: true, status: 200 } }, 1300).state, LOADED);
  assert.equal(verdict({ ...base, loadedAt: 1200, probe: reachable, entry: { status: 0 } }, 1300).state, LOADED);
});

test("a load with no answer to the probe yet waits, and is trusted at the deadline", () => {
  const loaded = { ...base, loadedAt: 1200 };
  assert.deepEqual(verdict(loaded, 1300), { state: WAITING, reason: "", wakeAt: 16000 });
  assert.equal(verdict(loaded, 16000).state, LOADED);
});

test("entryFor picks the latest iframe navigation to that address since the start", () => {
  const entries = [
    { initiatorType: "iframe", name: "https://a/x?token=1", startTime: 10, responseStatus: 200 },
    { initiatorType: "fetch", name: "https://a/x?token=2", startTime: 50, responseStatus: 500 },
    { initiatorType: "iframe", name: "https://a/x?token=2", startTime: 60, responseStatus: 404 },
  ];
  assert.deepEqual(entryFor(entries, "https://a/x?token=2", 0), { status: 404 });
  assert.equal(entryFor(entries, "https://a/x?token=1", 20), null);
  assert.equal(entryFor(entries, "https://a/other", 0), null);
});

test("probe: unreachable, status shared, status hidden; never credentials or a referrer", async () => {
  const calls = [];
  const refusing = async (url, init) => { calls.push(init); throw new TypeError("Failed to fetch"); };
  assert.deepEqual(await probe("https://h/x", refusing), { reachable: false, status: null });
  assert.equal(calls.length, 1);
  assert.equal(calls[0].mode, "no-cors");
  assert.equal(calls[0].credentials, "omit");
  assert.equal(calls[0].referrerPolicy, "no-referrer");
  assert.equal(calls[0].method, "HEAD");

  const sharing = async (url, init) => (init.mode === "no-cors" ? { status: 0, type: "opaque" } : { status: 404 });
  assert.deepEqual(await probe("https://h/x", sharing), { reachable: true, status: 404 });

  const hiding = async (url, init) => { if (init.mode === "cors") throw new TypeError("CORS"); return { status: 0 }; };
  assert.deepEqual(await probe("https://h/x", hiding), { reachable: true, status: null });
});
