/* Pure rules of the chart frame: number writing, CSV, the KPI empty state, label layouts, and
 * which columns a chart reads and a table shows.
 *
 * No DOM and no ECharts here, so `node --test tests/js/` checks every rule without a browser;
 * frame.js imports these and applies them.
 */

// Doubles carry about 15.95 significant digits: fifteen drop the noise of sums
// (540718.2499999999 -> 540718.25) and keep every digit a person wrote.
const SIGNIFICANT = 15;

/** A finite number without float noise, else null. */
export function cleanNumber(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  return Number(value.toPrecision(SIGNIFICANT));
}

/** A number or a numeric string as a number, else null ("", null, "abc", NaN are not numbers). */
export function toNumber(value) {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return null;
}

/** One CSV field (RFC 4180): numbers as a person writes them, text quoted when it must be. */
export function csvField(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    const clean = cleanNumber(value);
    return clean === null ? "" : String(clean);
  }
  // Strings are kept verbatim: a 64-bit integer the host sent as text must not lose digits.
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) || text !== text.trim() ? '"' + text.replace(/"/g, '""') + '"' : text;
}

/** A CSV document: a header of `names`, then one line per row, CRLF as RFC 4180 says. */
export function csvText(names, rows) {
  const lines = [names.map(csvField).join(",")];
  for (const row of rows) lines.push(names.map((name) => csvField(row[name])).join(","));
  return lines.join("\r\n") + "\r\n";
}

/**
 * Whether a KPI has nothing to show for the period: no row, or a row whose numbers are all
 * null or zero (a sum over no orders is 0 while an average over them is null; both mean "no
 * data", and every KPI of the period must say so the same way).
 */
export function kpiIsEmpty(rows, names) {
  if (!rows.length) return true;
  const first = rows[0];
  const numbers = names.filter((name) => first[name] === null || toNumber(first[name]) !== null);
  return numbers.length > 0 && numbers.every((name) => first[name] === null || toNumber(first[name]) === 0);
}

/**
 * Number writers for a chart's unit, in the viewer's locale (`locale`, e.g. "de"; undefined: the
 * browser's). Only what people read goes through them: the CSV keeps machine-readable numbers. `unit`: "" (plain), "%" (the values
 * are percentages already: 12.5 -> "12.5%"), a three-letter currency code ("EUR"), or any short
 * suffix ("ms", "kg").
 */
export function numberFormats(unit, locale) {
  const code = typeof unit === "string" ? unit.trim() : "";
  const isCurrency = /^[A-Z]{3}$/.test(code);
  const base = isCurrency ? { style: "currency", currency: code } : {};
  const full = new Intl.NumberFormat(locale, { ...base, maximumFractionDigits: 2, ...(isCurrency ? { minimumFractionDigits: 0 } : {}) });
  const whole = new Intl.NumberFormat(locale, { ...base, maximumFractionDigits: 0, minimumFractionDigits: 0 });
  const compact = new Intl.NumberFormat(locale, { ...base, notation: "compact", maximumFractionDigits: 1, minimumFractionDigits: 0 });
  const share = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
  const suffix = isCurrency || !code ? "" : code === "%" ? "%" : "\u202f" + code;
  const withUnit = (text) => text + suffix;
  return {
    /** Every digit that matters, for tooltips and tables; null -> "–". */
    full(value) {
      return value === null || value === undefined ? "–" : withUnit(full.format(value));
    },
    /** A headline: compact when huge, whole when large, up to two decimals when small. */
    big(value) {
      if (value === null || value === undefined) return "–";
      if (Math.abs(value) >= 1e9) return withUnit(compact.format(value));
      return withUnit(Math.abs(value) >= 1000 ? whole.format(value) : full.format(value));
    },
    /** Axis ticks: short. */
    compact(value) {
      return withUnit(compact.format(value));
    },
    /** A share in percent (12.3 -> "12%", "12 %" in German), whatever the unit. */
    percent(value) {
      return share.format(value / 100);
    },
  };
}

/**
 * Where a pie's legend goes: beside the pie when the frame is wide enough for both, else under
 * it, so at phone width the legend never sits on the slices.
 */
export function pieLayout(width, height, isDonut) {
  if (width >= 420 && width >= height * 1.15) {
    return {
      legend: { orient: "vertical", right: 8, top: "middle", bottom: undefined, left: undefined },
      center: ["38%", "52%"],
      radius: isDonut ? ["48%", "74%"] : [0, "74%"],
    };
  }
  return {
    legend: { orient: "horizontal", left: "center", bottom: 0, right: undefined, top: undefined },
    center: ["50%", "44%"],
    radius: isDonut ? ["40%", "66%"] : [0, "66%"],
  };
}

const CHAR_PX = 6.6; // the average width of a 12 px label character
const LABEL_GAP_PX = 8;
const MAX_LABEL_PX = 96; // a rotated label longer than this is truncated with "…"
const ROTATED_SLOT_PX = 14; // the room a rotated label needs across the axis

/**
 * The category axis labels of a vertical bar chart `axisPx` wide: every label, straight when they
 * fit, else rotated and truncated; only when not even rotated labels fit does ECharts thin them.
 */
export function categoryLabelLayout(labels, axisPx) {
  const count = Math.max(labels.length, 1);
  const slot = axisPx / count;
  const longest = Math.max(0, ...labels.map((text) => String(text).length)) * CHAR_PX;
  if (longest + LABEL_GAP_PX <= slot) return { interval: 0, rotate: 0 };
  const rotated = { rotate: 40, width: MAX_LABEL_PX, overflow: "truncate", ellipsis: "…" };
  if (slot >= ROTATED_SLOT_PX) return { interval: 0, ...rotated };
  return { interval: "auto", ...rotated };
}

/**
 * Which labels of a line's category axis (dates, mostly) to show on an axis `axisPx` wide: every
 * `step`-th from the first, and always the last (the end of the period), dropping a regular one
 * that would crowd it. Returns ECharts' `axisLabel.interval` callback.
 */
export function edgeLabelInterval(labels, axisPx) {
  const count = labels.length;
  const longest = Math.max(0, ...labels.map((text) => String(text).length)) * CHAR_PX + 2 * LABEL_GAP_PX;
  const step = Math.max(1, Math.ceil((count * longest) / Math.max(axisPx, 1)));
  return (index) => index === count - 1 || (index % step === 0 && count - 1 - index >= step);
}

/* --- Columns, labels and file names --------------------------------------------------------- */

/** A cell as a label: date-times at midnight read better as dates; null is empty. */
export function label(value) {
  if (value === null || value === undefined) return "";
  return String(value).replace(/[ T]00:00:00(\.0+)?Z?$/, "");
}

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_RE = /^(\d{4})-(\d{2})$/;
// A date-time as chart hosts write them; without an offset it is UTC (ClickHouse's default).
const MOMENT_RE = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/;

function dateTimeFormat(locale, options) {
  // An unknown time zone or locale must not cost the chart: the browser's then.
  for (const [tag, zone] of [[locale, options.timeZone], [locale, undefined], [undefined, undefined]]) {
    try {
      return new Intl.DateTimeFormat(tag, { ...options, timeZone: zone });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    }
  }
  return new Intl.DateTimeFormat();
}

/**
 * The label writer of a frame in `locale` ("de") and `timeZone` (an IANA name): dates ("2026-11-03",
 * or a date-time at midnight) and months ("2026-11") as the locale writes them, read as calendar
 * days (UTC), so no time zone ever moves them; date-times with a time of day in `timeZone`;
 * anything else as `label` writes it.
 */
export function labelFormat(locale, timeZone) {
  const day = dateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  const month = dateTimeFormat(locale, { year: "numeric", month: "short", timeZone: "UTC" });
  const moment = dateTimeFormat(locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: timeZone || undefined,
  });
  return (value) => {
    const text = label(value);
    let parts = DAY_RE.exec(text);
    if (parts) {
      const when = new Date(Date.UTC(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3])));
      return Number.isNaN(when.getTime()) || when.getUTCDate() !== Number(parts[3]) ? text : day.format(when);
    }
    parts = MONTH_RE.exec(text);
    if (parts && Number(parts[2]) >= 1 && Number(parts[2]) <= 12) {
      return month.format(new Date(Date.UTC(Number(parts[1]), Number(parts[2]) - 1, 1)));
    }
    parts = MOMENT_RE.exec(text);
    if (parts) {
      const when = new Date(`${parts[1]}T${parts[2]}${parts[3] || "Z"}`);
      return Number.isNaN(when.getTime()) ? text : moment.format(when);
    }
    return text;
  };
}

/** A column name as words: "rocket_skates" -> "Rocket skates". */
export function humanize(name) {
  const text = String(name).replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function isNumericType(type) {
  return /int|float|decimal|double|number/i.test(type || "");
}

/**
 * The columns of an answer ({meta, rows}) as a chart of `config` reads them: every name, the
 * index (config.index, else the first column; none for a KPI), and the plotted categories
 * (config.categories, else every numeric column but the index).
 */
export function columns(meta, rows, config) {
  const names = meta.length ? meta.map((m) => m.name) : Object.keys(rows[0] || {});
  const index = config.index || (config.type === "kpi" ? "" : names[0] || "");
  const categories =
    config.categories && config.categories.length
      ? config.categories.slice()
      : names.filter((name, i) => {
          if (name === index) return false;
          return meta.length ? isNumericType(meta[i].type) : toNumber((rows[0] || {})[name]) !== null;
        });
  return { names, index, categories };
}

/** name -> whether every value of the column is a number or null (booleans are not). */
export function numericColumns(names, rows) {
  const numeric = {};
  for (const name of names) {
    numeric[name] =
      rows.every((row) => row[name] === null || toNumber(row[name]) !== null) && typeof (rows[0] || {})[name] !== "boolean";
  }
  return numeric;
}

/** The columns of a table chart: its index and categories when it names them, else all. */
export function tableColumns(cols, config) {
  if (config.categories && config.categories.length) return [cols.index].concat(cols.categories).filter(Boolean);
  return cols.names;
}

/** The table view and the CSV: a table chart's own columns, else every column of the answer,
 * the plotted ones first. */
export function dataColumns(cols, config) {
  if (config.type === "table") return tableColumns(cols, config);
  const first = [cols.index].concat(cols.categories).filter((name) => name && cols.names.includes(name));
  return first.concat(cols.names.filter((name) => !first.includes(name)));
}

/** Text as a file-name part: lower case ASCII words joined by "-", at most 60 characters. */
export function slug(text, fallback = "chart") {
  const value = String(text || "").toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  return value.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || fallback;
}

/**
 * The CSV file's name: the chart's title, the drilled values (a detail table's), then the date
 * range of the filters, else `today` (YYYY-MM-DD).
 */
export function csvName(title, filters, today, drillValues = []) {
  const parts = [slug(title)];
  for (const value of drillValues) parts.push(slug(value, "value"));
  if (filters.date_from || filters.date_to) parts.push((filters.date_from || "start") + "_" + (filters.date_to || "end"));
  else parts.push(today);
  return parts.join("-") + ".csv";
}
