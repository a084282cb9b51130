// static/charts/periods.js: the filter bar's presets and comparisons. The cases of
// tests/fixtures/periods.json are the ones charts/periods.py passes too (tests/charts/test_periods.py).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { COMPARISONS, PRESETS, comparisonRange, localToday, presetRange } from "../../static/charts/periods.js";

const FIXTURE = JSON.parse(readFileSync(new URL("../fixtures/periods.json", import.meta.url), "utf8"));
const PRESET_CASES = FIXTURE.cases.filter((item) => "preset" in item);
const COMPARISON_CASES = FIXTURE.cases.filter((item) => "comparison" in item);
// A day ahead of UTC, a day behind it, and a zone whose clocks jump on a Sunday in March.
const ZONES = ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Sao_Paulo", "Europe/Paris"];

/** Runs `check` with process.env.TZ set to each zone (Node follows TZ changes at run time). */
function inEveryZone(check) {
  const saved = process.env.TZ;
  try {
    for (const zone of ZONES) {
      process.env.TZ = zone;
      check(zone);
    }
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

/** A seeded generator (mulberry32): the random checks draw the same dates on every run. */
function seeded(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY_MS = 86400000;
const dayNumber = (text) => Date.parse(text + "T00:00:00Z") / DAY_MS;
const written = (number) => new Date(number * DAY_MS).toISOString().slice(0, 10);

/** Random real dates between 1900 and 2200, drawn as UTC day numbers. */
function randomDays(count, seed) {
  const random = seeded(seed);
  const first = dayNumber("1900-01-01");
  const last = dayNumber("2200-12-31");
  return Array.from({ length: count }, () => written(first + Math.floor(random() * (last - first + 1))));
}

test("the labels and their order are those of charts/periods.py", () => {
  assert.deepEqual(Object.entries(PRESETS), FIXTURE.presets);
  assert.deepEqual(Object.entries(COMPARISONS), FIXTURE.comparisons);
  assert.ok(Object.isFrozen(PRESETS) && Object.isFrozen(COMPARISONS));
});

test("every preset covers the shared cases' range, in every time zone", () => {
  inEveryZone((zone) => {
    for (const item of PRESET_CASES) {
      assert.deepEqual(presetRange(item.preset, item.today), item.range, `${item.preset} on ${item.today} in ${zone}`);
    }
  });
});

test("every comparison covers the shared cases' range, in every time zone", () => {
  inEveryZone((zone) => {
    for (const item of COMPARISON_CASES) {
      const [from, to] = item.range;
      assert.deepEqual(comparisonRange(from, to, item.comparison), item.expected, `${item.comparison} of ${from}..${to} in ${zone}`);
    }
  });
});

test("values that are not keys or dates are refused with null", () => {
  for (const key of [undefined, null, 7, "__proto__", "constructor", "hasOwnProperty"]) {
    assert.equal(presetRange(key, "2026-03-15"), null);
    assert.equal(comparisonRange("2026-03-01", "2026-03-15", key), null);
  }
  for (const day of [undefined, null, 20260315, "", "2026-03-15T00:00", " 2026-03-15", "15/03/2026"]) {
    assert.equal(presetRange("last_7_days", day), null);
    assert.equal(comparisonRange(day, "2026-03-15", "previous_period"), null);
    assert.equal(comparisonRange("2026-03-01", day, "previous_year"), null);
  }
});

test("random days: every preset ends today or at the end of last month and starts on or before its end", () => {
  for (const today of randomDays(400, 12)) {
    for (const key of Object.keys(PRESETS)) {
      const [from, to] = presetRange(key, today);
      assert.ok(from <= to, `${key} on ${today}`);
      if (key === "previous_month") {
        assert.equal(written(dayNumber(to) + 1), today.slice(0, 8) + "01", `${key} on ${today}`);
        assert.equal(from, to.slice(0, 8) + "01");
      } else {
        assert.equal(to, today, `${key} on ${today}`);
      }
    }
    for (const [key, days] of [["last_7_days", 7], ["last_30_days", 30], ["last_90_days", 90]]) {
      const [from, to] = presetRange(key, today);
      assert.equal(dayNumber(to) - dayNumber(from) + 1, days, `${key} on ${today}`);
    }
    assert.equal(presetRange("year_to_date", today)[0], today.slice(0, 4) + "-01-01");
  }
});

test("random ranges: the previous period has the same length and ends the day before", () => {
  const random = seeded(34);
  for (const from of randomDays(400, 56)) {
    const length = 1 + Math.floor(random() * 800);
    const to = written(dayNumber(from) + length - 1);
    const [earlierFrom, earlierTo] = comparisonRange(from, to, "previous_period");
    assert.equal(dayNumber(earlierTo), dayNumber(from) - 1, `${from}..${to}`);
    assert.equal(dayNumber(earlierTo) - dayNumber(earlierFrom) + 1, length, `${from}..${to}`);
  }
});

test("random ranges: the same period last year moves both ends back one year, Feb 29 to Feb 28", () => {
  const random = seeded(78);
  for (const from of randomDays(400, 90)) {
    const to = written(dayNumber(from) + Math.floor(random() * 800));
    const earlier = comparisonRange(from, to, "previous_year");
    [from, to].forEach((day, end) => {
      const year = String(Number(day.slice(0, 4)) - 1).padStart(4, "0");
      const monthDay = day.slice(5) === "02-29" ? "02-28" : day.slice(5);
      assert.equal(earlier[end], `${year}-${monthDay}`, `${from}..${to}`);
    });
  }
});

test("localToday is the viewer's own calendar date, not UTC's", () => {
  const morning = new Date("2026-03-01T11:00:00Z");
  const before = new Date("2026-03-01T10:30:00Z");
  const seen = {};
  inEveryZone((zone) => {
    seen[zone] = [localToday(morning), localToday(before)];
  });
  assert.deepEqual(seen.UTC, ["2026-03-01", "2026-03-01"]);
  assert.deepEqual(seen["Pacific/Kiritimati"], ["2026-03-02", "2026-03-02"], "UTC+14 is already on the next day");
  assert.deepEqual(seen["Pacific/Pago_Pago"], ["2026-03-01", "2026-02-28"], "UTC-11 turns to March 1 at 11:00 UTC");
  assert.equal(localToday(new Date(2026, 0, 5, 0, 30)), "2026-01-05");
  assert.equal(localToday(new Date(2026, 11, 31, 23, 59)), "2026-12-31");
  assert.match(localToday(), /^\d{4}-\d{2}-\d{2}$/);
});
