/* Pure ECharts option builders of the chart frame: line, area, bar, bar list, pie and donut, the
 * muted comparison series, the KPI delta and the keyboard's walk over the marks.
 *
 * No DOM and no window.echarts: everything a builder needs from the page (the theme's ink, the
 * frame's size, the number writers) comes in `ctx`, so `node --test tests/js/chart_options.test.mjs`
 * checks the options without a browser. frame.js measures the page and hands them to ECharts.
 *
 * ctx = {type, stacked, colors, dark, ink: {text, legend, axis, grid, surface, tooltip,
 *        tooltipText, tooltipBorder}, formats (chart_format.numberFormats), width, height,
 *        fontFamily, animation, clickable, comparison: null | {rows, label},
 *        label: how a category value is written (chart_format.labelFormat; default `label`)}
 */
import { categoryLabelLayout, cleanNumber, edgeLabelInterval, humanize, label, pieLayout, toNumber } from "./chart_format.js";
import { gettext, interpolate } from "./i18n.js";

export const PALETTE = Object.freeze(["#4f46e5", "#06b6d4", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#ec4899", "#64748b"]);
// The same hues, lighter, for dark backgrounds.
export const DARK_PALETTE = Object.freeze(["#818cf8", "#22d3ee", "#fbbf24", "#34d399", "#f87171", "#a78bfa", "#f472b6", "#94a3b8"]);

/** The chart types that can draw a comparison series (time charts and bars). */
export const COMPARED_TYPES = Object.freeze(["line", "area", "bar"]);
export const COMPARE_PREFIX = "compare:"; // the id of a comparison series: never a click target

/** The chart's own colours, else the organisation's brand palette, else Panes'. */
export function chartColors(config, dark) {
  if (config.colors && config.colors.length) return config.colors.slice();
  if (config.palette && config.palette.length) return config.palette.slice();
  return (dark ? DARK_PALETTE : PALETTE).slice();
}

function fullNumber(formats) {
  return (value) => (value === null || value === undefined ? "–" : formats.full(cleanNumber(value)));
}

/** The rows in the order the chart draws them: a bar list biggest first, else as they came. */
export function drawnRows(cols, rows, type) {
  if (type !== "bar_list") return rows;
  const key = cols.categories[0];
  return rows.slice().sort((a, b) => (toNumber(b[key]) || 0) - (toNumber(a[key]) || 0));
}

/** The raw index value of each drawn mark, as a string (what a click on it carries); null for a
 * mark without one. */
export function markValues(cols, rows, type) {
  return drawnRows(cols, rows, type).map((row) => {
    const value = row[cols.index];
    return value === null || value === undefined ? null : String(value);
  });
}

function looksLikeDate(value) {
  return /^\d{4}-\d{2}/.test(String(value));
}

/**
 * The comparison row for each drawn row, or null. Dates and months pair by position (the third
 * day of this period with the third of the earlier one); anything else (a city, a product) pairs
 * with the earlier row of the same index value.
 */
export function alignComparison(rows, earlier, index) {
  const byPosition = rows.length > 0 && rows.every((row) => looksLikeDate(row[index]));
  if (byPosition) return rows.map((_, i) => (i < earlier.length ? earlier[i] : null));
  const byKey = new Map(earlier.map((row) => [String(row[index]), row]));
  return rows.map((row) => byKey.get(String(row[index])) || null);
}

function axes(labels, ctx) {
  const { ink, formats } = ctx;
  return {
    category: {
      type: "category",
      data: labels,
      axisTick: { show: false },
      axisLine: { lineStyle: { color: ink.axis } },
      axisLabel: { color: ink.text, hideOverlap: true },
    },
    value: {
      type: "value",
      axisLabel: { color: ink.text, formatter: (v) => formats.compact(v) },
      splitLine: { lineStyle: { color: ink.grid } },
    },
  };
}

function mainSeries(name, rows, ctx) {
  const { type } = ctx;
  const isBarList = type === "bar_list";
  const s = {
    id: name,
    name: humanize(name),
    type: type === "bar" || isBarList ? "bar" : "line",
    data: rows.map((row) => toNumber(row[name])),
    emphasis: { focus: "series" },
  };
  if (ctx.stacked) s.stack = "total";
  if (s.type === "line") {
    s.showSymbol = rows.length <= 32;
    s.symbol = ctx.dark ? "circle" : "emptyCircle";
    s.symbolSize = 6;
    s.lineStyle = { width: 2 };
    if (type === "area") s.areaStyle = { opacity: ctx.stacked ? 0.55 : 0.16 };
  } else {
    s.barMaxWidth = isBarList ? 22 : 40;
    s.itemStyle = { borderRadius: isBarList ? [0, 4, 4, 0] : [4, 4, 0, 0] };
  }
  return s;
}

/**
 * The muted series of an earlier period, one per category, named "<Category> (<label>)", in the
 * category's colour: dashed and thin on line and area charts, pale bars beside the bars. Silent:
 * a click on the earlier period means nothing on this dashboard.
 */
export function comparisonSeries(cols, rows, comparison, ctx) {
  const paired = alignComparison(rows, comparison.rows, cols.index);
  return cols.categories.map((name, i) => {
    const color = ctx.colors[i % ctx.colors.length];
    const s = {
      id: COMPARE_PREFIX + name,
      name: `${humanize(name)} (${comparison.label})`,
      type: ctx.type === "bar" ? "bar" : "line",
      data: paired.map((row) => (row ? toNumber(row[name]) : null)),
      silent: true,
      z: 1,
    };
    if (ctx.stacked) s.stack = "comparison";
    if (s.type === "line") {
      s.showSymbol = false;
      s.symbol = "none";
      s.lineStyle = { width: 1.5, type: "dashed", color, opacity: 0.65 };
      s.itemStyle = { color, opacity: 0.65 };
      s.emphasis = { disabled: true };
    } else {
      s.barMaxWidth = 40;
      s.itemStyle = { color, opacity: 0.35, borderRadius: [4, 4, 0, 0] };
      s.emphasis = { disabled: true };
    }
    return s;
  });
}

/** A line, area, bar or bar list chart. */
export function cartesianOption(cols, rows, ctx) {
  const type = ctx.type;
  const isBarList = type === "bar_list";
  rows = drawnRows(cols, rows, type);
  const labelOf = ctx.label || label;
  const labels = rows.map((row) => labelOf(row[cols.index]));
  const ax = axes(labels, ctx);
  const series = cols.categories.map((name) => mainSeries(name, rows, ctx));
  const compared = ctx.comparison && COMPARED_TYPES.includes(type);
  if (compared) series.push(...comparisonSeries(cols, rows, ctx.comparison, ctx));
  const legend = cols.categories.length > 1 || Boolean(compared);
  const axisPx = Math.max(ctx.width - 60, 1);
  if (isBarList) {
    ax.category.inverse = true;
    ax.category.axisLine = { show: false };
    ax.category.axisLabel.hideOverlap = false;
    ax.category.axisLabel.width = 140;
    ax.category.axisLabel.overflow = "truncate";
  } else if (type === "bar") {
    ax.category.boundaryGap = true;
    // Every bar keeps its label: rotated and truncated when the frame is narrow.
    const layout = categoryLabelLayout(labels, axisPx);
    Object.assign(ax.category.axisLabel, layout, { hideOverlap: layout.interval !== 0 });
  } else {
    // Lines reach the edges: the first and last labels align inward so none is clipped.
    ax.category.boundaryGap = false;
    Object.assign(ax.category.axisLabel, {
      alignMinLabel: "left",
      alignMaxLabel: "right",
      interval: edgeLabelInterval(labels, axisPx),
      hideOverlap: false,
      showMinLabel: true,
      showMaxLabel: true,
    });
  }
  const pointer = type === "line" || type === "area" ? "line" : "shadow";
  return {
    grid: { left: 4, right: 16, top: legend ? 34 : 12, bottom: 4, containLabel: true },
    xAxis: isBarList ? ax.value : ax.category,
    yAxis: isBarList ? ax.category : ax.value,
    tooltip: { trigger: "axis", axisPointer: { type: pointer }, valueFormatter: fullNumber(ctx.formats), confine: true },
    legend: {
      show: legend,
      top: 0,
      left: 10,
      type: "scroll",
      icon: "roundRect",
      itemWidth: 12,
      itemHeight: 8,
      textStyle: { color: ctx.ink.legend },
      pageTextStyle: { color: ctx.ink.text },
    },
    series,
  };
}

/** A pie or donut of the first category. */
export function pieOption(cols, rows, ctx) {
  const key = cols.categories[0];
  const labelOf = ctx.label || label;
  const data = rows.map((row) => ({ name: labelOf(row[cols.index]), value: toNumber(row[key]) }));
  const few = data.length <= 8;
  const isDonut = ctx.type === "donut";
  const layout = pieLayout(ctx.width, ctx.height, isDonut);
  const legend = { show: true, type: "scroll", icon: "circle", itemWidth: 8, itemHeight: 8, textStyle: { color: ctx.ink.legend }, pageTextStyle: { color: ctx.ink.text } };
  return {
    tooltip: { trigger: "item", valueFormatter: fullNumber(ctx.formats), confine: true },
    legend: Object.assign(legend, layout.legend),
    series: [
      {
        id: key,
        name: humanize(key),
        type: "pie",
        center: layout.center,
        radius: layout.radius,
        avoidLabelOverlap: true,
        itemStyle: { borderColor: ctx.ink.surface, borderWidth: 2, borderRadius: isDonut ? 4 : 0 },
        // Percentages inside the larger slices only: small ones would overlap (the tooltip has them).
        label: {
          show: few && ctx.type === "pie",
          position: "inside",
          color: ctx.dark ? "#0b1120" : "#fff", // the dark palette is light: dark ink reads on it
          fontWeight: 600,
          formatter: (p) => (p.percent >= 7 ? ctx.formats.percent(p.percent) : ""),
        },
        labelLine: { show: false },
        data,
      },
    ],
  };
}

/** The whole option of an ECharts chart, in the theme's colours. */
export function chartOption(cols, rows, ctx) {
  const option = ctx.type === "pie" || ctx.type === "donut" ? pieOption(cols, rows, ctx) : cartesianOption(cols, rows, ctx);
  option.color = ctx.colors;
  option.textStyle = { fontFamily: ctx.fontFamily, color: ctx.ink.text };
  option.tooltip.backgroundColor = ctx.ink.tooltip;
  option.tooltip.borderColor = ctx.ink.tooltipBorder;
  option.tooltip.textStyle = { color: ctx.ink.tooltipText };
  option.animation = ctx.animation;
  option.aria = { enabled: true };
  // ECharts points at every mark; only a chart whose clicks do something should.
  for (const series of option.series) series.cursor = ctx.clickable && !series.silent ? "pointer" : "default";
  return option;
}

/**
 * A KPI's change against an earlier period: {direction: "up" | "down" | "flat" | "none", text,
 * spoken}. "▲ 12.3% vs previous period"; "–" when there is no earlier value or it is 0 (no
 * percentage of nothing). `versus` says what it is compared with ("vs previous period":
 * periods.VERSUS, a whole phrase because languages put it differently); the percentage is
 * written in `locale`.
 */
export function kpiDelta(current, earlier, versus, locale) {
  const now = toNumber(current);
  const before = toNumber(earlier);
  const say = (fmt, percent = "") => interpolate(fmt, { percent, versus }, true);
  if (now === null || before === null || before === 0) {
    return { direction: "none", text: `– ${versus}`, spoken: say(gettext("no change to show %(versus)s")) };
  }
  const change = ((now - before) / Math.abs(before)) * 100;
  const percent = new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(Math.abs(change) / 100);
  if (Number(Math.abs(change).toFixed(1)) === 0) {
    return { direction: "flat", text: `${percent} ${versus}`, spoken: say(gettext("unchanged %(versus)s")) };
  }
  if (change > 0) return { direction: "up", text: `▲ ${percent} ${versus}`, spoken: say(gettext("up %(percent)s %(versus)s"), percent) };
  return { direction: "down", text: `▼ ${percent} ${versus}`, spoken: say(gettext("down %(percent)s %(versus)s"), percent) };
}

/**
 * The mark a key moves the keyboard focus to among `count` marks, from `current` (-1: none), or
 * null when the key does not move it. Arrows step and stop at the ends; Home and End jump.
 */
export function stepMark(current, key, count) {
  if (count < 1) return null;
  const last = count - 1;
  switch (key) {
    case "ArrowRight":
    case "ArrowDown":
      return current < 0 ? 0 : Math.min(current + 1, last);
    case "ArrowLeft":
    case "ArrowUp":
      return current < 0 ? last : Math.max(current - 1, 0);
    case "Home":
      return 0;
    case "End":
      return last;
    default:
      return null;
  }
}

/** The first drill param without a value in `filters`: what a detail row's click sets next, or
 * "" at the last level. */
export function nextDrillParam(drillParams, filters) {
  for (const name of drillParams || []) if (!filters[name]) return name;
  return "";
}
