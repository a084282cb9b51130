// The frame's pure rules (static/charts/chart_format.js), run with `node --test tests/js/`.
import assert from "node:assert/strict";
import test from "node:test";

import {
  categoryLabelLayout,
  edgeLabelInterval,
  cleanNumber,
  csvField,
  csvText,
  kpiIsEmpty,
  numberFormats,
  pieLayout,
} from "../../static/charts/chart_format.js";

test("cleanNumber drops the float noise of sums and keeps written digits", () => {
  assert.equal(cleanNumber(540718.2499999999), 540718.25);
  assert.equal(cleanNumber(0.1 + 0.2), 0.3);
  assert.equal(cleanNumber(1234567.89), 1234567.89);
  assert.equal(cleanNumber(-0.000123), -0.000123);
  assert.equal(cleanNumber(NaN), null);
  assert.equal(cleanNumber(Infinity), null);
});

test("CSV fields: clean numbers, quoted text, empty nulls, big integers sent as text verbatim", () => {
  assert.equal(csvField(540718.2499999999), "540718.25");
  assert.equal(csvField(3), "3");
  assert.equal(csvField(null), "");
  assert.equal(csvField(undefined), "");
  assert.equal(csvField("18446744073709551615"), "18446744073709551615");
  assert.equal(csvField('Rocket "skates", red'), '"Rocket ""skates"", red"');
  assert.equal(csvField("two\nlines"), '"two\nlines"');
  assert.equal(csvField(" padded"), '" padded"');
  assert.equal(csvField(["a", "b"]), '"[""a"",""b""]"');
  assert.equal(csvField(true), "true");
});

test("csvText writes a header and a CRLF line per row, in the given column order", () => {
  const rows = [{ city: "Berlin", revenue: 540718.2499999999, orders: 12 }, { city: "Paris", revenue: null, orders: 0 }];
  assert.equal(csvText(["city", "revenue", "orders"], rows), "city,revenue,orders\r\nBerlin,540718.25,12\r\nParis,,0\r\n");
});

test("a KPI is empty without rows, or when its numbers are all null or zero", () => {
  const names = ["revenue", "orders", "avg_order"];
  assert.equal(kpiIsEmpty([], names), true);
  assert.equal(kpiIsEmpty([{ revenue: 0, orders: 0, avg_order: null }], names), true);
  assert.equal(kpiIsEmpty([{ revenue: null, orders: "0", avg_order: null }], names), true);
  assert.equal(kpiIsEmpty([{ revenue: 0, orders: 3, avg_order: 0 }], names), false);
  assert.equal(kpiIsEmpty([{ revenue: 12.5, orders: 1, avg_order: 12.5 }], names), false);
  assert.equal(kpiIsEmpty([{ label: "all" }], ["label"]), false);
});

test("numbers get thousands separators of the locale, and the chart's unit", () => {
  assert.equal(numberFormats("", "en-US").big(1234567.891), "1,234,568");
  assert.equal(numberFormats("", "de-DE").big(1234567.891), "1.234.568");
  assert.equal(numberFormats("", "en-US").full(1234.5678), "1,234.57");
  assert.equal(numberFormats("", "en-US").big(12.345), "12.35");
  assert.equal(numberFormats("", "en-US").big(null), "–");
  assert.equal(numberFormats("", "en-US").big(2.5e9), "2.5B");
  assert.equal(numberFormats("EUR", "en-US").big(540718.25), "€540,718");
  assert.equal(numberFormats("EUR", "de-DE").full(1234.5), "1.234,5\u00a0€");
  assert.equal(numberFormats("%", "en-US").full(12.5), "12.5%");
  assert.equal(numberFormats("ms", "en-US").full(1500), "1,500\u202fms");
  assert.equal(numberFormats("USD", "en-US").compact(1200000), "$1.2M");
});

test("the pie legend goes under the pie when the frame is narrow", () => {
  const phone = pieLayout(360, 270, true);
  assert.equal(phone.legend.orient, "horizontal");
  assert.equal(phone.legend.bottom, 0);
  assert.deepEqual(phone.center, ["50%", "44%"]);
  const desktop = pieLayout(560, 270, false);
  assert.equal(desktop.legend.orient, "vertical");
  assert.equal(desktop.legend.right, 8);
  assert.deepEqual(desktop.radius, [0, "74%"]);
});

test("bar labels: straight when they fit, rotated and truncated when not, never every other", () => {
  const cities = ["Berlin", "Paris", "Rome", "Madrid", "Lisbon", "Vienna"];
  assert.deepEqual(categoryLabelLayout(cities, 900), { interval: 0, rotate: 0 });
  const narrow = categoryLabelLayout(cities, 200);
  assert.equal(narrow.interval, 0);
  assert.equal(narrow.rotate, 40);
  assert.equal(narrow.overflow, "truncate");
  assert.ok(narrow.width > 0);
  const crowded = categoryLabelLayout(Array.from({ length: 60 }, (_, i) => "City " + i), 300);
  assert.equal(crowded.interval, "auto");
});

test("a line's axis always shows its last label and never crowds it", () => {
  const days = Array.from({ length: 365 }, (_, i) => new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10));
  const show = edgeLabelInterval(days, 300);
  const shown = days.filter((_, i) => show(i));
  assert.equal(shown.at(-1), "2026-12-31");
  assert.equal(shown[0], "2026-01-01");
  assert.ok(shown.length >= 2 && shown.length <= 4, shown.join(" "));
  const few = edgeLabelInterval(["a", "b", "c"], 900);
  assert.deepEqual([0, 1, 2].map(few), [true, true, true]);
});

import { columns, csvName, dataColumns, humanize, label, numericColumns, slug, tableColumns } from "../../static/charts/chart_format.js";

test("labels drop a midnight time, names read as words", () => {
  assert.equal(label("2026-03-01 00:00:00"), "2026-03-01");
  assert.equal(label("2026-03-01T00:00:00.000Z"), "2026-03-01");
  assert.equal(label("2026-03-01 10:30:00"), "2026-03-01 10:30:00");
  assert.equal(label(null), "");
  assert.equal(humanize("rocket_skates"), "Rocket skates");
});

test("columns: the configured index and categories, else the first column and the numeric ones", () => {
  const meta = [{ name: "city", type: "String" }, { name: "revenue", type: "Float64" }, { name: "orders", type: "UInt64" }];
  const rows = [{ city: "Paris", revenue: 1.5, orders: 2 }];
  assert.deepEqual(columns(meta, rows, { type: "bar", index: "", categories: [] }), {
    names: ["city", "revenue", "orders"],
    index: "city",
    categories: ["revenue", "orders"],
  });
  assert.equal(columns(meta, rows, { type: "kpi", index: "", categories: [] }).index, "");
  assert.deepEqual(columns([], rows, { type: "bar", index: "city", categories: ["orders"] }).categories, ["orders"]);
  // Without meta, numbers in the first row decide.
  assert.deepEqual(columns([], [{ day: "2026-03-01", n: "3" }], { type: "line" }).categories, ["n"]);
});

test("numeric columns, table columns and the data view's column order", () => {
  const rows = [{ city: "Paris", revenue: 1, ok: true }, { city: "Rome", revenue: null, ok: false }];
  assert.deepEqual(numericColumns(["city", "revenue", "ok"], rows), { city: false, revenue: true, ok: false });
  const cols = { names: ["city", "orders", "revenue"], index: "city", categories: ["revenue"] };
  assert.deepEqual(tableColumns(cols, { categories: ["revenue"] }), ["city", "revenue"]);
  assert.deepEqual(tableColumns(cols, { categories: [] }), ["city", "orders", "revenue"]);
  assert.deepEqual(dataColumns(cols, { type: "bar" }), ["city", "revenue", "orders"]);
});

test("CSV names: the title, the drilled values, then the date range or today", () => {
  assert.equal(slug("Revenue by city"), "revenue-by-city");
  assert.equal(slug("Café ☕"), "cafe");
  assert.equal(slug("☕"), "chart");
  assert.equal(csvName("Revenue by city", { date_from: "2026-03-01", date_to: "2026-03-31" }, "2026-12-01"), "revenue-by-city-2026-03-01_2026-03-31.csv");
  assert.equal(csvName("Revenue by city", {}, "2026-12-01"), "revenue-by-city-2026-12-01.csv");
  assert.equal(csvName("Revenue by city", { date_to: "2026-03-31" }, "2026-12-01", ["Paris", "Rocket skates"]), "revenue-by-city-paris-rocket-skates-start_2026-03-31.csv");
});
