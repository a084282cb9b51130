// The layout editor's pure rules (static/charts/admin/layout.js), run with `node --test tests/js/`.
import assert from "node:assert/strict";
import test from "node:test";

import { clampWidth, describe, keyAction, pack, positions, reorder, resize } from "../../static/charts/admin/layout.js";

test("reorder moves one item and keeps the others in order", () => {
  assert.deepEqual(reorder(["a", "b", "c", "d"], 0, 2), ["b", "c", "a", "d"]);
  assert.deepEqual(reorder(["a", "b", "c", "d"], 3, 0), ["d", "a", "b", "c"]);
  assert.deepEqual(reorder(["a", "b", "c"], 1, 1), ["a", "b", "c"]);
});

test("reorder clamps the target to the list and ignores a missing item", () => {
  assert.deepEqual(reorder(["a", "b", "c"], 0, 99), ["b", "c", "a"]);
  assert.deepEqual(reorder(["a", "b", "c"], 2, -5), ["c", "a", "b"]);
  assert.deepEqual(reorder(["a", "b"], 5, 0), ["a", "b"]);
  const items = ["a", "b"];
  reorder(items, 0, 1);
  assert.deepEqual(items, ["a", "b"], "the input is not changed");
});

test("widths are whole columns from 1 to 12; nonsense is the default 6", () => {
  assert.equal(clampWidth(0), 1);
  assert.equal(clampWidth(-3), 1);
  assert.equal(clampWidth(13), 12);
  assert.equal(clampWidth("4"), 4);
  assert.equal(clampWidth(4.6), 5);
  assert.equal(clampWidth(""), 6);
  assert.equal(clampWidth("wide"), 6);
  assert.equal(clampWidth(undefined), 6);
});

test("resize changes one tile's width within the grid", () => {
  const tiles = [{ t: "a", width: 12 }, { t: "b", width: 1 }, { t: "c", width: 6 }];
  assert.deepEqual(resize(tiles, 0, 1).map((x) => x.width), [12, 1, 6]);
  assert.deepEqual(resize(tiles, 1, -1).map((x) => x.width), [12, 1, 6]);
  assert.deepEqual(resize(tiles, 2, 3).map((x) => x.width), [12, 1, 9]);
  assert.deepEqual(resize(tiles, 2, -2).map((x) => x.width), [12, 1, 4]);
  assert.equal(tiles[2].width, 6, "the input is not changed");
});

test("pack places tiles left to right and starts a row when the next does not fit", () => {
  assert.deepEqual(
    pack([6, 6, 4, 9, 3, 12]).map((p) => [p.row, p.column, p.lastColumn]),
    [[1, 1, 6], [1, 7, 12], [2, 1, 4], [3, 1, 9], [3, 10, 12], [4, 1, 12]],
  );
  assert.deepEqual(pack([]), []);
  assert.deepEqual(pack([20, 0]).map((p) => [p.row, p.column, p.width]), [[1, 1, 12], [2, 1, 1]]);
});

test("positions count the tiles from 1", () => {
  assert.deepEqual(positions(3), [1, 2, 3]);
  assert.deepEqual(positions(0), []);
});

test("a tile is described by its place on the grid", () => {
  const [first, second] = pack([8, 6]);
  assert.equal(describe("Revenue", 0, 2, first), "Revenue: tile 1 of 2, row 1, columns 1 to 8, 8 of 12 wide");
  assert.equal(describe("Orders", 1, 2, second), "Orders: tile 2 of 2, row 2, columns 1 to 6, 6 of 12 wide");
  assert.equal(describe("KPI", 0, 1, pack([1])[0]), "KPI: tile 1 of 1, row 1, column 1, 1 of 12 wide");
});

test("arrow keys move, shift+arrows and -/+ resize, Home/End move to the ends", () => {
  assert.deepEqual(keyAction("ArrowLeft", false), { move: -1 });
  assert.deepEqual(keyAction("ArrowUp", false), { move: -1 });
  assert.deepEqual(keyAction("ArrowRight", false), { move: 1 });
  assert.deepEqual(keyAction("ArrowDown", false), { move: 1 });
  assert.deepEqual(keyAction("ArrowLeft", true), { resize: -1 });
  assert.deepEqual(keyAction("ArrowRight", true), { resize: 1 });
  assert.deepEqual(keyAction("-", false), { resize: -1 });
  assert.deepEqual(keyAction("+", true), { resize: 1 });
  assert.deepEqual(keyAction("Home", false), { moveTo: 0 });
  assert.deepEqual(keyAction("End", false), { moveTo: Infinity });
  assert.equal(keyAction("a", false), null);
  assert.equal(keyAction("Tab", false), null);
});
