import assert from "node:assert/strict";
import { test } from "node:test";

import {
  filterSuggestions,
  fixedEntries,
  kindSections,
  pipeOptions,
  splitList,
  toggleInList,
  withDefaults,
} from "../../static/charts/admin/builder_rules.js";

test("each kind shows only its own section", () => {
  assert.deepEqual(kindSections("panes"), { tinybird: false, panes: true });
  assert.deepEqual(kindSections("tinybird"), { tinybird: true, panes: false });
});

test("lists are split like the admin's fields", () => {
  assert.deepEqual(splitList(" revenue, ,orders,revenue "), ["revenue", "orders"]);
  assert.deepEqual(splitList(""), []);
});

test("a ticked column is added once and an unticked one removed", () => {
  assert.equal(toggleInList("revenue", "orders", true), "revenue, orders");
  assert.equal(toggleInList("revenue, orders", "orders", true), "revenue, orders");
  assert.equal(toggleInList("revenue, orders", "revenue", false), "orders");
});

test("the pipe select keeps a current pipe the listing lacks", () => {
  const pipes = [{ name: "a" }, { name: "b" }];
  assert.deepEqual(pipeOptions(pipes, "b").filter((o) => o.selected).map((o) => o.value), ["b"]);
  const kept = pipeOptions(pipes, "gone");
  assert.equal(kept.at(-1).label, "gone (not in the listing)");
  assert.ok(kept.at(-1).selected);
  assert.ok(pipeOptions(pipes, "")[0].selected);
});

test("defaults fill blank fields only", () => {
  const defaults = { index: "day", categories: ["revenue", "orders"] };
  assert.deepEqual(withDefaults({ index: "", categories: "" }, defaults), { index: "day", categories: "revenue, orders" });
  assert.deepEqual(withDefaults({ index: "city", categories: "orders" }, defaults), { index: "city", categories: "orders" });
  assert.deepEqual(withDefaults({ index: "", categories: "" }, null), { index: "", categories: "" });
});

test("fixed params are listed by name with their values as text", () => {
  assert.deepEqual(fixedEntries({ region: "eu", company_id: 7 }), [["company_id", "7"], ["region", "eu"]]);
  assert.deepEqual(fixedEntries(null), []);
});

test("filter suggestions leave out the tenant params", () => {
  assert.deepEqual(filterSuggestions(["company_id", "date_from", "date_to"], "company_id"), ["date_from", "date_to"]);
});
