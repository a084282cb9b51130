// The pure rules of static/charts/frame_watch.js: when a Tinybird frame counts as failed.
import { test } from "node:test";
import assert from "node:assert/strict";

import { verdict, entryFor, FAILED, LOADED, WAITING, FRAME_TIMEOUT_MS } from "../../static/charts/frame_watch.js";

const base = { startedAt: 1000, loadedAt: null, entry: null, supported: true, timeoutMs: 15000, graceMs: 1500 };

test("a frame still loading waits until the timeout, then fails", () => {
  assert.deepEqual(verdict(base, 2000), { state: WAITING, reason: "", wakeAt: 16000 });
  assert.equal(verdict(base, 15999).state, WAITING);
  assert.deepEqual(verdict(base, 16000), { state: FAILED, reason: "timeout", wakeAt: null });
});

test("the default timeout is fifteen seconds", () => {
  const { timeoutMs, ...rest } = base;
  assert.equal(FRAME_TIMEOUT_MS, 15000);
  assert.equal(verdict(rest, 1000 + 14999).state, WAITING);
  assert.equal(verdict(rest, 1000 + 15000).state, FAILED);
});

test("a 4xx or 5xx answer fails at once, loaded or not", () => {
  assert.deepEqual(verdict({ ...base, entry: { status: 404 } }, 1001), { state: FAILED, reason: "HTTP 404", wakeAt: null });
  assert.equal(verdict({ ...base, loadedAt: 1200, entry: { status: 403 } }, 1300).reason, "HTTP 403");
  assert.equal(verdict({ ...base, loadedAt: 1200, entry: { status: 502 } }, 1300).state, FAILED);
});

test("a frame that loaded with a 2xx entry is loaded", () => {
  assert.equal(verdict({ ...base, loadedAt: 1200, entry: { status: 200 } }, 1300).state, LOADED);
  // A status the browser hides (0) is not a failure: the navigation did answer.
  assert.equal(verdict({ ...base, loadedAt: 1200, entry: { status: 0 } }, 1300).state, LOADED);
});

test("a load with no navigation entry is the browser's error page, after a grace period", () => {
  const loaded = { ...base, loadedAt: 1200 };
  assert.deepEqual(verdict(loaded, 1300), { state: WAITING, reason: "", wakeAt: 2700 });
  assert.deepEqual(verdict(loaded, 2700), { state: FAILED, reason: "no answer", wakeAt: null });
});

test("where the browser reports no frame navigations, a load is trusted", () => {
  assert.equal(verdict({ ...base, supported: false, loadedAt: 1200 }, 99999).state, LOADED);
  assert.equal(verdict({ ...base, supported: false }, 16000).state, FAILED);
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
  assert.deepEqual(entryFor([{ initiatorType: "iframe", name: "u", startTime: 5 }], "u", 0), { status: 0 });
});
