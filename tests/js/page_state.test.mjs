// static/charts/page_state.js: a dashboard page's state, its address, chips, and what each frame
// and the drill panel are sent.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  breadcrumbs,
  chipsOf,
  drillFilters,
  drillPath,
  frameFilters,
  initialState,
  labelFor,
  nextState,
  searchOf,
  toggleCrossFilter,
} from "../../static/charts/page_state.js";

const OFFERED = ["date_from", "date_to", "city"];
const TODAY = "2026-03-15";

test("labels are written as the server writes them", () => {
  assert.equal(labelFor("date_from"), "From");
  assert.equal(labelFor("date_to"), "To");
  assert.equal(labelFor("product_line"), "Product line");
});

test("the initial state keeps offered values and known keys only", () => {
  const state = initialState(
    { filters: { date_from: "2026-03-01", company_id: "globex", city: "Paris" }, period: "nope", compare: "previous_year" },
    OFFERED,
  );
  assert.deepEqual(state, { filters: { date_from: "2026-03-01", city: "Paris" }, period: "", compare: "previous_year" });
  // Without both dates offered there is no period and no comparison.
  assert.deepEqual(initialState({ period: "last_7_days", compare: "previous_period" }, ["city"]), { filters: {}, period: "", compare: "" });
});

test("a preset resolves on the viewer's day and wins over typed dates", () => {
  const state = nextState({ filters: { date_from: "2020-01-01", city: " Paris " }, period: "last_7_days" }, OFFERED, TODAY);
  assert.deepEqual(state, { filters: { date_from: "2026-03-09", date_to: "2026-03-15", city: "Paris" }, period: "last_7_days", compare: "" });
  assert.deepEqual(nextState({ filters: {}, period: "previous_month" }, OFFERED, TODAY).filters, { date_from: "2026-02-01", date_to: "2026-02-28" });
});

test("unknown keys, bad dates and params not offered are refused or dropped", () => {
  assert.ok(nextState({ filters: {}, period: "forever" }, OFFERED, TODAY).errors.period);
  assert.ok(nextState({ filters: {}, compare: "yesterday" }, OFFERED, TODAY).errors.compare);
  assert.deepEqual(Object.keys(nextState({ filters: { date_from: "2026-03-31", date_to: "2026-03-01" } }, OFFERED, TODAY).errors), ["date_to"]);
  assert.deepEqual(nextState({ filters: { company_id: "globex", city: "Rome" } }, OFFERED, TODAY).filters, { city: "Rome" });
  // A page without a date range ignores period and compare.
  assert.deepEqual(nextState({ filters: { city: "Rome" }, period: "last_7_days", compare: "previous_year" }, ["city"], TODAY), {
    filters: { city: "Rome" },
    period: "",
    compare: "",
  });
});

test("the address holds the values in offered order, the period instead of its dates, and compare", () => {
  const state = { filters: { city: "Rome", date_from: "2026-03-01", date_to: "2026-03-31" }, period: "", compare: "" };
  assert.equal(searchOf(state, OFFERED), "date_from=2026-03-01&date_to=2026-03-31&city=Rome");
  const rolling = { filters: { date_from: "2026-03-09", date_to: "2026-03-15" }, period: "last_7_days", compare: "previous_period" };
  assert.equal(searchOf(rolling, OFFERED, { theme: "dark" }), "period=last_7_days&compare=previous_period&theme=dark");
  assert.equal(searchOf({ filters: {}, period: "", compare: "" }, OFFERED), "");
});

test("chips are the cross-filter params that hold a value", () => {
  assert.deepEqual(chipsOf({ city: "Paris", date_from: "2026-03-01" }, ["city", "product"]), [
    { param: "city", value: "Paris", label: "City: Paris" },
  ]);
});

test("a second click on the same value removes the cross-filter; another value replaces it", () => {
  const once = toggleCrossFilter({ date_from: "2026-03-01" }, "city", "Paris");
  assert.deepEqual(once, { date_from: "2026-03-01", city: "Paris" });
  assert.deepEqual(toggleCrossFilter(once, "city", "Rome"), { date_from: "2026-03-01", city: "Rome" });
  assert.deepEqual(toggleCrossFilter(once, "city", "Paris"), { date_from: "2026-03-01" });
});

test("a frame gets only what it accepts, never its own cross-filter param", () => {
  const filters = { date_from: "2026-03-01", city: "Paris", company_id: "globex" };
  assert.deepEqual(frameFilters(filters, ["date_from", "city"]), { date_from: "2026-03-01", city: "Paris" });
  assert.deepEqual(frameFilters(filters, ["date_from", "city"], "city"), { date_from: "2026-03-01" });
  assert.deepEqual(frameFilters(filters, []), {});
});

test("the drill frame gets the chart's filters with each level's value over them", () => {
  const filters = { date_from: "2026-03-01", city: "Paris", company_id: "globex" };
  const accepted = ["date_from", "date_to", "city"];
  assert.deepEqual(drillFilters(filters, accepted, "", ["product", "city"], ["Anvil"]), {
    date_from: "2026-03-01",
    city: "Paris",
    product: "Anvil",
  });
  assert.deepEqual(drillFilters(filters, accepted, "", ["product", "city"], ["Anvil", "Rome", "extra"]), {
    date_from: "2026-03-01",
    city: "Rome",
    product: "Anvil",
  });
  // A page value the chart does not accept never rides along.
  assert.ok(!("company_id" in drillFilters(filters, accepted, "", ["product"], ["Anvil"])));
  // The chart's own cross-filter param does not filter its drill either, unless a level sets it.
  assert.deepEqual(drillFilters(filters, accepted, "city", ["product"], ["Anvil"]), { date_from: "2026-03-01", product: "Anvil" });
});

test("the drill path and breadcrumbs follow the levels", () => {
  assert.deepEqual(drillPath(["product", "city"], ["Anvil", "Rome"]), [
    { param: "product", value: "Anvil" },
    { param: "city", value: "Rome" },
  ]);
  assert.deepEqual(breadcrumbs("Top products", ["Anvil"]), [
    { label: "Top products", level: 0, current: false },
    { label: "Anvil", level: 1, current: true },
  ]);
});
