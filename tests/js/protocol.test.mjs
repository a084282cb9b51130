// static/charts/protocol.js: the filter checks every script applies, and embed.js's spelling of
// the embed API (embed.js is a classic script and cannot import the module).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import {
  API_VERSION,
  ACTION,
  EMBED_ACTIONS,
  EMBED_EVENTS,
  EVENT,
  acceptedFilters,
  checkFilters,
  isDateParam,
  isRealDate,
  sameFilters,
  valueProblem,
} from "../../static/charts/protocol.js";

test("date params are named date, date_* or *_date", () => {
  for (const name of ["date", "date_from", "date_to", "order_date"]) assert.ok(isDateParam(name), name);
  for (const name of ["city", "dates", "update", "mandate_id"]) assert.ok(!isDateParam(name), name);
});

test("only real YYYY-MM-DD dates pass", () => {
  assert.ok(isRealDate("2024-02-29"));
  for (const text of ["2023-02-29", "2026-13-01", "2026-3-1", "01/03/2026", "", null, "2026-03-01T00:00"]) {
    assert.ok(!isRealDate(text), String(text));
  }
});

test("a value is refused for its length, control characters or a bad date", () => {
  assert.equal(valueProblem("city", "Paris"), "");
  assert.match(valueProblem("city", "x".repeat(201)), /at most 200/);
  assert.equal(valueProblem("city", "x".repeat(200)), "");
  assert.match(valueProblem("city", "Pa\nris"), /control characters/);
  assert.match(valueProblem("date_from", "2026-02-30"), /YYYY-MM-DD/);
});

test("checkFilters names each bad value and a range that ends before it starts", () => {
  assert.deepEqual(checkFilters({ date_from: "2026-03-01", date_to: "2026-03-31", city: "Paris" }), {});
  assert.deepEqual(Object.keys(checkFilters({ date_from: "2026-03-31", date_to: "2026-03-01" })), ["date_to"]);
  assert.deepEqual(Object.keys(checkFilters({ date_from: "nope", date_to: "2026-03-01" })), ["date_from"]);
});

test("acceptedFilters keeps only accepted, trimmed, valid strings", () => {
  const values = { date_from: " 2026-03-01 ", date_to: "2026-02-30", city: "Paris", company_id: "globex", n: 3, empty: "  " };
  assert.deepEqual(acceptedFilters(values, ["date_from", "date_to", "city", "n", "empty"]), { date_from: "2026-03-01", city: "Paris" });
  assert.deepEqual(acceptedFilters(null, ["city"]), {});
});

test("sameFilters compares values, not key order", () => {
  assert.ok(sameFilters({ a: "1", b: "2" }, { b: "2", a: "1" }));
  assert.ok(!sameFilters({ a: "1" }, { a: "1", b: "2" }));
});

test("embed.js spells the embed API as the module does", () => {
  const source = readFileSync(new URL("../../static/charts/embed.js", import.meta.url), "utf8");
  assert.match(source, new RegExp(`API_VERSION = ${API_VERSION};`));
  for (const name of [EVENT, ACTION, ...EMBED_EVENTS, ...EMBED_ACTIONS]) {
    assert.ok(source.includes(`"${name}"`), `embed.js does not name "${name}"`);
  }
});
