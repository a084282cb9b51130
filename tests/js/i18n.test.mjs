// static/charts/i18n.js (gettext and friends, with and without Django's catalogue) and the frame's
// locale-aware writers in static/charts/chart_format.js: numbers, currencies and dates per language.
import assert from "node:assert/strict";
import test from "node:test";

import { csvText, labelFormat, numberFormats } from "../../static/charts/chart_format.js";
import { gettext, interpolate, locale, ngettext } from "../../static/charts/i18n.js";

// Intl's group separator in Polish (and French) is a no-break space; which one depends on the ICU.
const SPACE = "[\\u00a0\\u202f ]";

test("without a catalogue the scripts speak English", () => {
  assert.equal(globalThis.django, undefined);
  assert.equal(gettext("Loading…"), "Loading…");
  assert.equal(ngettext("%s row", "%s rows", 1), "%s row");
  assert.equal(ngettext("%s row", "%s rows", 0), "%s rows");
  assert.equal(ngettext("%s row", "%s rows", 2), "%s rows");
  assert.equal(locale(), "en");
});

test("interpolate fills positional and named placeholders as Django's does", () => {
  assert.equal(interpolate("%s of %s", [3, 10]), "3 of 10");
  assert.equal(interpolate("%(shown)s of %(total)s", { shown: "1,000", total: 12 }, true), "1,000 of 12");
  assert.equal(interpolate("%(a)s and %(a)s", { a: "x" }, true), "x and x");
});

test("with Django's catalogue the scripts use it, plural forms included", (t) => {
  const polish = {
    "Loading…": "Ładowanie…",
    "%s row": ["%s wiersz", "%s wiersze", "%s wierszy"],
  };
  const pluralidx = (n) => (n == 1 ? 0 : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 10 || n % 100 >= 20) ? 1 : 2);
  globalThis.django = {
    gettext: (msgid) => (typeof polish[msgid] === "string" ? polish[msgid] : msgid),
    ngettext: (singular, plural, n) => (polish[singular] ? polish[singular][pluralidx(n)] : n == 1 ? singular : plural),
  };
  globalThis.document = { documentElement: { lang: "pl-PL" } };
  t.after(() => {
    delete globalThis.django;
    delete globalThis.document;
  });
  assert.equal(gettext("Loading…"), "Ładowanie…");
  assert.equal(gettext("Not translated"), "Not translated");
  assert.equal(interpolate(ngettext("%s row", "%s rows", 1), [1]), "1 wiersz");
  assert.equal(interpolate(ngettext("%s row", "%s rows", 3), [3]), "3 wiersze");
  assert.equal(interpolate(ngettext("%s row", "%s rows", 5), [5]), "5 wierszy");
  assert.equal(interpolate(ngettext("%s row", "%s rows", 22), [22]), "22 wiersze");
  assert.equal(locale(), "pl");
});

test("numbers follow the locale: separators for thousands and decimals", () => {
  assert.equal(numberFormats("", "en").full(1234.5), "1,234.5");
  assert.equal(numberFormats("", "de").full(1234.5), "1.234,5");
  // Polish groups from five digits on (CLDR's minimum grouping digits is 2 for pl).
  assert.equal(numberFormats("", "pl").full(1234.5), "1234,5");
  assert.match(numberFormats("", "pl").full(12345.5), new RegExp(`^12${SPACE}345,5$`));
  assert.match(numberFormats("", "pl").full(1234567.25), new RegExp(`^1${SPACE}234${SPACE}567,25$`));
  assert.equal(numberFormats("", "de").big(1234567.8), "1.234.568");
  // A pie's shares: the sign's place differs.
  assert.equal(numberFormats("EUR", "en").percent(23.4), "23%");
  assert.match(numberFormats("EUR", "de").percent(23.4), new RegExp(`^23${SPACE}%$`));
  assert.equal(numberFormats("", "pl").percent(35.5), "36%");
});

test("currencies follow the locale: symbol place and separators", () => {
  assert.equal(numberFormats("EUR", "en").full(1234.5), "€1,234.5");
  assert.match(numberFormats("EUR", "de").full(1234.5), new RegExp(`^1\\.234,5${SPACE}€$`));
  assert.match(numberFormats("EUR", "pl").full(12345.5), new RegExp(`^12${SPACE}345,5${SPACE}€$`));
  assert.match(numberFormats("%", "de").full(12.5), /^12,5%$/);
  assert.match(numberFormats("ms", "pl").full(1234.5), new RegExp(`^1234,5${SPACE}ms$`));
});

test("dates follow the locale and are never shifted by a time zone", () => {
  const en = labelFormat("en", "Pacific/Kiritimati");
  const de = labelFormat("de", "America/Los_Angeles");
  const pl = labelFormat("pl", "Asia/Tokyo");
  assert.equal(en("2026-11-03"), "Nov 3, 2026");
  assert.equal(de("2026-11-03"), "3. Nov. 2026");
  assert.equal(pl("2026-11-03"), "3 lis 2026");
  // A date-time at midnight is a date: the same day in every zone.
  assert.equal(de("2026-11-03 00:00:00"), "3. Nov. 2026");
  assert.equal(pl("2026-11-03T00:00:00.000Z"), "3 lis 2026");
  assert.equal(de("2026-11"), "Nov. 2026");
  assert.equal(pl("2026-01"), "sty 2026");
});

test("date-times with a time of day are shown in the viewer's time zone", () => {
  assert.equal(labelFormat("de", "Europe/Berlin")("2026-11-03 14:30:00"), "3. Nov. 2026, 15:30");
  assert.equal(labelFormat("pl", "Europe/Warsaw")("2026-07-03T22:15:00Z"), "4 lip 2026, 00:15");
  assert.equal(labelFormat("de", "UTC")("2026-11-03 14:30:00"), "3. Nov. 2026, 14:30");
  // An unknown zone falls back to the browser's rather than failing the chart.
  assert.match(labelFormat("de", "Mars/Olympus")("2026-11-03 14:30:00"), /^3\. Nov\. 2026, \d\d:30$/);
});

test("anything that is not a date is left as the host wrote it", () => {
  const de = labelFormat("de", "Europe/Berlin");
  assert.equal(de("Berlin"), "Berlin");
  assert.equal(de("2026-02-30"), "2026-02-30");
  assert.equal(de("2026-13"), "2026-13");
  assert.equal(de(null), "");
  assert.equal(de(42), "42");
});

test("the CSV stays machine-readable in every language", () => {
  // Column names and numbers as the host sent them: a file is read by programs too.
  assert.equal(csvText(["day", "revenue"], [{ day: "2026-11-03", revenue: 1234.5 }]), "day,revenue\r\n2026-11-03,1234.5\r\n");
});
