// static/charts/exports.js: the address of the dashboard's PDF export.
import { test } from "node:test";
import assert from "node:assert/strict";

import { exportHref } from "../../static/charts/exports.js";

const PDF = "http://panes.test/d/sales-overview/export.pdf?date_from=2026-01-01";

test("it carries the page's current query, not the one the page was served with", () => {
  assert.equal(
    exportHref(PDF, "?date_from=2026-03-01&date_to=2026-03-31&city=Paris", "light", false),
    "http://panes.test/d/sales-overview/export.pdf?date_from=2026-03-01&date_to=2026-03-31&city=Paris",
  );
  assert.equal(exportHref(PDF, "", "light", false), "http://panes.test/d/sales-overview/export.pdf");
});

test("a page that follows the system is drawn in the colours it resolved to", () => {
  assert.equal(exportHref(PDF, "?theme=auto&city=Rome", "auto", true), "http://panes.test/d/sales-overview/export.pdf?theme=dark&city=Rome");
  assert.equal(exportHref(PDF, "", "auto", false), "http://panes.test/d/sales-overview/export.pdf?theme=light");
});

test("a chosen theme is left to the address or the theme cookie", () => {
  assert.equal(exportHref(PDF, "?theme=dark", "dark", false), "http://panes.test/d/sales-overview/export.pdf?theme=dark");
  assert.equal(exportHref(PDF, "?city=Rome", "dark", false), "http://panes.test/d/sales-overview/export.pdf?city=Rome");
});
