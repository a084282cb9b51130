// The chart frame's pure option builders (static/charts/chart_options.js), without a browser.
import assert from "node:assert/strict";
import test from "node:test";

import { numberFormats } from "../../static/charts/chart_format.js";
import { VERSUS } from "../../static/charts/periods.js";
import {
  COMPARE_PREFIX,
  DARK_PALETTE,
  PALETTE,
  alignComparison,
  chartColors,
  chartOption,
  comparisonSeries,
  kpiDelta,
  markValues,
  nextDrillParam,
  stepMark,
} from "../../static/charts/chart_options.js";

const INK = { text: "#444", legend: "#333", axis: "#ddd", grid: "#eee", surface: "#fff", tooltip: "#fff", tooltipText: "#111", tooltipBorder: "#ddd" };

function ctx(type, extra = {}) {
  return {
    type,
    stacked: false,
    colors: PALETTE.slice(),
    dark: false,
    ink: INK,
    formats: numberFormats("EUR", "en-US"),
    width: 800,
    height: 300,
    fontFamily: "system-ui",
    animation: false,
    comparison: null,
    ...extra,
  };
}

const DAYS = [
  { date: "2026-03-01", revenue: 10, orders: 1 },
  { date: "2026-03-02", revenue: 20, orders: 2 },
  { date: "2026-03-03", revenue: 30, orders: 3 },
];
const EARLIER_DAYS = [
  { date: "2026-02-26", revenue: 5, orders: 1 },
  { date: "2026-02-27", revenue: 15, orders: 1 },
];
const CITIES = [
  { city: "Berlin", revenue: 5 },
  { city: "Paris", revenue: 50 },
  { city: "Rome", revenue: 20 },
];

test("colours: the chart's own, else the brand palette, else Panes' for the theme", () => {
  assert.deepEqual(chartColors({ colors: ["#111"], palette: ["#222"] }, false), ["#111"]);
  assert.deepEqual(chartColors({ colors: [], palette: ["#222"] }, false), ["#222"]);
  assert.deepEqual(chartColors({}, true), DARK_PALETTE.slice());
});

test("a line chart: one series per category on a category axis of the labels, with a tooltip in the unit", () => {
  const cols = { names: ["date", "revenue"], index: "date", categories: ["revenue"] };
  const option = chartOption(cols, DAYS, ctx("line"));
  assert.deepEqual(option.xAxis.data, ["2026-03-01", "2026-03-02", "2026-03-03"]);
  assert.equal(option.xAxis.boundaryGap, false);
  assert.equal(option.yAxis.type, "value");
  assert.equal(option.series.length, 1);
  assert.deepEqual(option.series[0].data, [10, 20, 30]);
  assert.equal(option.series[0].type, "line");
  assert.equal(option.legend.show, false);
  assert.equal(option.tooltip.valueFormatter(1234.5), "€1,234.5");
  assert.equal(option.tooltip.valueFormatter(null), "–");
  assert.equal(option.aria.enabled, true);
  assert.equal(typeof option.xAxis.axisLabel.interval, "function");
});

test("area and stacked bars", () => {
  const cols = { names: ["date", "revenue", "orders"], index: "date", categories: ["revenue", "orders"] };
  const area = chartOption(cols, DAYS, ctx("area", { stacked: true }));
  assert.equal(area.series[0].areaStyle.opacity, 0.55);
  assert.equal(area.series[0].stack, "total");
  assert.equal(area.legend.show, true);
  const bars = chartOption(cols, DAYS, ctx("bar"));
  assert.equal(bars.series[0].type, "bar");
  assert.equal(bars.xAxis.boundaryGap, true);
  assert.equal(bars.series[0].stack, undefined);
});

test("a bar list is sorted biggest first on an inverted vertical axis, and its marks follow that order", () => {
  const cols = { names: ["city", "revenue"], index: "city", categories: ["revenue"] };
  const option = chartOption(cols, CITIES, ctx("bar_list"));
  assert.equal(option.yAxis.type, "category");
  assert.equal(option.yAxis.inverse, true);
  assert.deepEqual(option.yAxis.data, ["Paris", "Rome", "Berlin"]);
  assert.deepEqual(option.series[0].data, [50, 20, 5]);
  assert.deepEqual(markValues(cols, CITIES, "bar_list"), ["Paris", "Rome", "Berlin"]);
  assert.deepEqual(markValues(cols, CITIES, "bar"), ["Berlin", "Paris", "Rome"]);
});

test("a mark's value is the raw index value as a string", () => {
  const cols = { names: ["day", "n"], index: "day", categories: ["n"] };
  assert.deepEqual(markValues(cols, [{ day: "2026-03-01 00:00:00", n: 1 }, { day: 7, n: 2 }, { day: null, n: 3 }], "line"), ["2026-03-01 00:00:00", "7", null]);
});

test("pie and donut: slices of the first category, the legend placed by the frame's size", () => {
  const cols = { names: ["city", "revenue"], index: "city", categories: ["revenue"] };
  const pie = chartOption(cols, CITIES, ctx("pie"));
  assert.equal(pie.series[0].type, "pie");
  assert.deepEqual(pie.series[0].data.map((d) => d.name), ["Berlin", "Paris", "Rome"]);
  assert.equal(pie.series[0].label.show, true);
  assert.equal(pie.series[0].label.formatter({ percent: 6 }), "");
  assert.equal(pie.series[0].label.formatter({ percent: 66.6 }), "67%");
  assert.equal(pie.legend.orient, "vertical");
  const donut = chartOption(cols, CITIES, ctx("donut", { width: 300, height: 300 }));
  assert.equal(donut.series[0].label.show, false);
  assert.equal(donut.legend.orient, "horizontal");
  assert.equal(donut.series[0].radius[0], "40%");
});

test("comparison: days pair by position, anything else by index value", () => {
  assert.deepEqual(alignComparison(DAYS, EARLIER_DAYS, "date"), [EARLIER_DAYS[0], EARLIER_DAYS[1], null]);
  const earlier = [{ city: "Rome", revenue: 10 }, { city: "Berlin", revenue: 1 }];
  assert.deepEqual(alignComparison(CITIES, earlier, "city"), [earlier[1], null, earlier[0]]);
  const months = [{ month: "2026-03", n: 1 }];
  assert.deepEqual(alignComparison(months, [{ month: "2025-03", n: 2 }], "month"), [{ month: "2025-03", n: 2 }]);
});

test("a compared line chart gets a muted, dashed, silent second series per category in its colour", () => {
  const cols = { names: ["date", "revenue", "orders"], index: "date", categories: ["revenue", "orders"] };
  const comparison = { rows: EARLIER_DAYS, label: "Previous period" };
  const option = chartOption(cols, DAYS, ctx("line", { comparison }));
  assert.equal(option.series.length, 4);
  const [, , revenue, orders] = option.series;
  assert.equal(revenue.id, COMPARE_PREFIX + "revenue");
  assert.equal(revenue.name, "Revenue (Previous period)");
  assert.deepEqual(revenue.data, [5, 15, null]);
  assert.equal(revenue.lineStyle.type, "dashed");
  assert.equal(revenue.lineStyle.color, PALETTE[0]);
  assert.equal(orders.lineStyle.color, PALETTE[1]);
  assert.ok(revenue.lineStyle.opacity < 1);
  assert.equal(revenue.silent, true);
  assert.equal(option.legend.show, true); // one category, but two series to tell apart
});

test("compared bars are pale bars; a stacked chart stacks the earlier period on its own", () => {
  const cols = { names: ["city", "revenue"], index: "city", categories: ["revenue"] };
  const series = comparisonSeries(cols, CITIES, { rows: [{ city: "Paris", revenue: 40 }], label: "Same period last year" }, ctx("bar", { stacked: true }));
  assert.equal(series[0].type, "bar");
  assert.equal(series[0].name, "Revenue (Same period last year)");
  assert.deepEqual(series[0].data, [null, 40, null]);
  assert.ok(series[0].itemStyle.opacity < 0.5);
  assert.equal(series[0].stack, "comparison");
});

test("bar lists and pies never draw a comparison", () => {
  const cols = { names: ["city", "revenue"], index: "city", categories: ["revenue"] };
  const comparison = { rows: CITIES, label: "Previous period" };
  assert.equal(chartOption(cols, CITIES, ctx("bar_list", { comparison })).series.length, 1);
  assert.equal(chartOption(cols, CITIES, ctx("pie", { comparison })).series.length, 1);
});

test("the KPI delta: up, down, flat, and a dash when the earlier value is 0 or missing", () => {
  assert.deepEqual(kpiDelta(112.3, 100, VERSUS.previous_period, "en-US"), {
    direction: "up",
    text: "▲ 12.3% vs previous period",
    spoken: "up 12.3% vs previous period",
  });
  assert.equal(kpiDelta("50", "200", VERSUS.previous_year, "en-US").text, "▼ 75.0% vs same period last year");
  assert.equal(kpiDelta(100, 100, VERSUS.previous_period, "en-US").direction, "flat");
  assert.equal(kpiDelta(10, 0, VERSUS.previous_period, "en-US").text, "– vs previous period");
  assert.equal(kpiDelta(10, null, VERSUS.previous_period, "en-US").direction, "none");
  assert.equal(kpiDelta(10, undefined, VERSUS.previous_period, "en-US").direction, "none");
  assert.equal(kpiDelta(-5, -10, VERSUS.previous_period, "en-US").text, "▲ 50.0% vs previous period");
});

test("the KPI delta writes its percentage in the frame's locale", () => {
  assert.equal(kpiDelta(112.3, 100, VERSUS.previous_period, "de").text, "▲ 12,3\u00a0% vs previous period");
  assert.equal(kpiDelta(50, 200, VERSUS.previous_period, "pl").text, "▼ 75,0% vs previous period");
});

test("the keyboard walks the marks and stops at the ends", () => {
  assert.equal(stepMark(-1, "ArrowRight", 3), 0);
  assert.equal(stepMark(-1, "ArrowLeft", 3), 2);
  assert.equal(stepMark(0, "ArrowRight", 3), 1);
  assert.equal(stepMark(2, "ArrowDown", 3), 2);
  assert.equal(stepMark(1, "ArrowUp", 3), 0);
  assert.equal(stepMark(0, "ArrowLeft", 3), 0);
  assert.equal(stepMark(1, "End", 3), 2);
  assert.equal(stepMark(1, "Home", 3), 0);
  assert.equal(stepMark(1, "a", 3), null);
  assert.equal(stepMark(-1, "ArrowRight", 0), null);
});

test("the next drill param is the first without a value", () => {
  assert.equal(nextDrillParam(["city", "product"], { city: "Paris" }), "product");
  assert.equal(nextDrillParam(["city", "product"], { city: "Paris", product: "Anvil" }), "");
  assert.equal(nextDrillParam(["city"], {}), "city");
  assert.equal(nextDrillParam(undefined, {}), "");
});

test("only a chart whose clicks do something points at its marks", () => {
  const cols = { names: ["city", "revenue"], index: "city", categories: ["revenue"] };
  const comparison = { rows: CITIES, label: "Previous period" };
  assert.deepEqual(chartOption(cols, CITIES, ctx("bar", { clickable: true, comparison })).series.map((s) => s.cursor), ["pointer", "default"]);
  assert.deepEqual(chartOption(cols, CITIES, ctx("pie")).series.map((s) => s.cursor), ["default"]);
});
