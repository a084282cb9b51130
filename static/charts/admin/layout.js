// The dashboard layout editor on the Dashboard change form: tiles on the 12-column grid, moved by
// drag and drop or the keyboard, resized, added from the chart list. It only edits the tiles
// inline's own inputs (position, width, chart, DELETE), so the normal admin save stores the
// layout and the form works the same without JavaScript.

import { gettext, interpolate } from "../i18n.js";

export const COLUMNS = 12;
export const DEFAULT_WIDTH = 6;

// ---- pure parts (tests/js/admin_layout.test.mjs) ----

/** A width the grid can hold: a whole number of columns from 1 to 12. */
export function clampWidth(value) {
  const number = Math.round(Number(value));
  if (!Number.isFinite(number) || String(value).trim() === "") return DEFAULT_WIDTH;
  return Math.min(COLUMNS, Math.max(1, number));
}

/** A copy of ``items`` with the item at ``from`` moved to ``to`` (clamped to the list). */
export function reorder(items, from, to) {
  const copy = items.slice();
  if (from < 0 || from >= copy.length) return copy;
  const target = Math.min(copy.length - 1, Math.max(0, to));
  const [moved] = copy.splice(from, 1);
  copy.splice(target, 0, moved);
  return copy;
}

/** A copy of ``tiles`` with tile ``index`` made ``delta`` columns wider (or narrower), clamped. */
export function resize(tiles, index, delta) {
  return tiles.map((tile, i) => (i === index ? { ...tile, width: clampWidth(clampWidth(tile.width) + delta) } : tile));
}

/** Where each tile lands, in order, as the dashboard's grid places them: left to right, a tile
 * that does not fit in what is left of a row starts the next one. 1-based rows and columns. */
export function pack(widths) {
  let row = 1;
  let used = 0;
  return widths.map((raw) => {
    const width = clampWidth(raw);
    if (used + width > COLUMNS) {
      row += 1;
      used = 0;
    }
    const place = { row, column: used + 1, width, lastColumn: used + width };
    used += width;
    return place;
  });
}

/** The positions the tiles are saved with: their order, counted from 1. */
export function positions(count) {
  return Array.from({ length: count }, (_, i) => i + 1);
}

/** What a screen reader hears about a tile. */
export function describe(title, index, count, place) {
  const columns =
    place.width === 1
      ? interpolate(gettext("column %(column)s"), { column: place.column }, true)
      : interpolate(gettext("columns %(first)s to %(last)s"), { first: place.column, last: place.lastColumn }, true);
  return interpolate(
    gettext("%(title)s: tile %(number)s of %(count)s, row %(row)s, %(columns)s, %(width)s of %(all)s wide"),
    { title, number: index + 1, count, row: place.row, columns, width: place.width, all: COLUMNS },
    true,
  );
}

/** What a key does to the focused tile: a move, a resize, or nothing. */
export function keyAction(key, shiftKey) {
  const earlier = key === "ArrowLeft" || key === "ArrowUp";
  const later = key === "ArrowRight" || key === "ArrowDown";
  if (shiftKey && (key === "ArrowLeft" || key === "ArrowRight")) return { resize: key === "ArrowLeft" ? -1 : 1 };
  if (key === "-" || key === "_") return { resize: -1 };
  if (key === "+" || key === "=") return { resize: 1 };
  if (key === "Home") return { moveTo: 0 };
  if (key === "End") return { moveTo: Infinity };
  if (earlier) return { move: -1 };
  if (later) return { move: 1 };
  return null;
}

// ---- the page ----

function field(row, name) {
  return row.querySelector(`[name$="-${name}"]`);
}

function chartTitle(row) {
  const select = field(row, "chart");
  const option = select && select.selectedOptions && select.selectedOptions[0];
  return option && option.value ? option.textContent.trim() : gettext("(no chart chosen)");
}

function formRows(group) {
  // A tabular inline's rows, or a stacked inline's forms (its table wrapper has no id).
  return Array.from(group.querySelectorAll("tr.form-row, .inline-related[id]"))
    .filter((row) => !row.classList.contains("empty-form") && field(row, "position"))
    .filter((row) => !(field(row, "DELETE") && field(row, "DELETE").checked));
}

function button(label, text, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "layout-button";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

export function initLayoutEditor(root, group) {
  const grid = root.querySelector("[data-layout-grid]");
  const live = root.querySelector("[data-layout-live]");
  const picker = root.querySelector("[data-layout-picker]");
  const addButton = root.querySelector("[data-layout-add]");
  let dragged = null;

  // Tiles in their saved order (position, then the inline's order).
  const sortedRows = () =>
    formRows(group)
      .map((row, i) => ({ row, i, position: Number(field(row, "position").value) || 0 }))
      .sort((a, b) => a.position - b.position || a.i - b.i)
      .map((item) => item.row);
  let rows = sortedRows();

  function announce(text) {
    live.textContent = text;
  }

  function tiles() {
    return rows.map((row) => ({ row, title: chartTitle(row), width: clampWidth(field(row, "width").value) }));
  }

  function write(list) {
    const numbers = positions(list.length);
    list.forEach((tile, i) => {
      field(tile.row, "position").value = String(numbers[i]);
      field(tile.row, "width").value = String(clampWidth(tile.width));
    });
    rows = list.map((tile) => tile.row);
  }

  function render(focusIndex) {
    const list = tiles();
    const places = pack(list.map((t) => t.width));
    grid.replaceChildren();
    list.forEach((tile, i) => {
      const item = document.createElement("li");
      item.className = "layout-tile";
      item.tabIndex = 0;
      item.draggable = true;
      item.dataset.index = String(i);
      item.style.gridColumn = `span ${places[i].width}`;
      item.setAttribute("aria-label", describe(tile.title, i, list.length, places[i]));
      const title = document.createElement("span");
      title.className = "layout-title";
      title.textContent = tile.title;
      const size = document.createElement("span");
      size.className = "layout-size";
      size.textContent = `${places[i].width}/${COLUMNS}`;
      const tools = document.createElement("span");
      tools.className = "layout-tools";
      tools.append(
        button(interpolate(gettext("Move %(chart)s earlier"), { chart: tile.title }, true), "◀", () => move(i, i - 1)),
        button(interpolate(gettext("Move %(chart)s later"), { chart: tile.title }, true), "▶", () => move(i, i + 1)),
        button(interpolate(gettext("Make %(chart)s narrower"), { chart: tile.title }, true), "−", () => change(i, -1)),
        button(interpolate(gettext("Make %(chart)s wider"), { chart: tile.title }, true), "+", () => change(i, 1)),
        button(interpolate(gettext("Remove %(chart)s"), { chart: tile.title }, true), "✕", () => remove(i)),
      );
      item.append(title, size, tools);
      item.addEventListener("keydown", (event) => {
        if (event.target !== item) return;
        const action = keyAction(event.key, event.shiftKey);
        if (!action) return;
        event.preventDefault();
        if (action.resize) change(i, action.resize);
        else if (action.move) move(i, i + action.move);
        else move(i, Math.min(list.length - 1, action.moveTo));
      });
      item.addEventListener("dragstart", (event) => {
        dragged = i;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", String(i));
      });
      item.addEventListener("dragover", (event) => {
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
      });
      item.addEventListener("drop", (event) => {
        event.preventDefault();
        const from = dragged ?? Number(event.dataTransfer.getData("text/plain"));
        dragged = null;
        if (Number.isInteger(from) && from !== i) move(from, i);
      });
      grid.append(item);
    });
    if (!list.length) {
      const empty = document.createElement("li");
      empty.className = "layout-empty";
      empty.textContent = gettext("No charts yet: add one below.");
      grid.append(empty);
    }
    if (focusIndex !== undefined && grid.children[focusIndex]) grid.children[focusIndex].focus();
  }

  function move(from, to) {
    const list = tiles();
    if (to < 0 || to >= list.length || from === to) {
      const where = to < 0 ? gettext("%(chart)s is already first.") : gettext("%(chart)s is already last.");
      announce(interpolate(where, { chart: list[from].title }, true));
      return;
    }
    const moved = reorder(list, from, to);
    write(moved);
    render(to);
    const places = pack(moved.map((t) => t.width));
    announce(interpolate(gettext("Moved. %(where)s."), { where: describe(moved[to].title, to, moved.length, places[to]) }, true));
  }

  function change(index, delta) {
    const changed = resize(tiles(), index, delta);
    write(changed);
    render(index);
    const places = pack(changed.map((t) => t.width));
    announce(interpolate(gettext("Resized. %(where)s."), { where: describe(changed[index].title, index, changed.length, places[index]) }, true));
  }

  function remove(index) {
    const row = rows[index];
    const title = chartTitle(row);
    const deleteBox = field(row, "DELETE");
    if (deleteBox) {
      deleteBox.checked = true; // a saved tile: deleted by the save
    } else {
      const link = row.querySelector(".inline-deletelink");
      if (link) link.click();
      else row.remove();
    }
    rows.splice(index, 1);
    write(tiles());
    render(Math.min(index, rows.length - 1));
    announce(interpolate(gettext("Removed %(chart)s. It goes when you save."), { chart: title }, true));
  }

  function add() {
    const option = picker.selectedOptions[0];
    if (!option || !option.value) {
      announce(gettext("Choose a chart to add first."));
      return;
    }
    const link = group.querySelector(".add-row a");
    if (!link) return;
    const before = new Set(formRows(group));
    link.click();
    const row = formRows(group).find((r) => !before.has(r));
    if (!row) return;
    field(row, "width").value = String(DEFAULT_WIDTH);
    field(row, "position").value = String(rows.length + 1);
    const select = field(row, "chart");
    select.append(new Option(option.textContent, option.value, true, true));
    select.dispatchEvent(new Event("change", { bubbles: true })); // the listener below takes the row in
    rows = sortedRows();
    write(tiles());
    render(rows.length - 1);
    const list = tiles();
    const places = pack(list.map((t) => t.width));
    announce(
      interpolate(gettext("Added. %(where)s."), { where: describe(list[list.length - 1].title, list.length - 1, list.length, places[places.length - 1]) }, true),
    );
  }

  addButton.addEventListener("click", add);
  // Edits in the table below show in the grid too.
  group.addEventListener("change", (event) => {
    rows = sortedRows();
    render();
  });
  root.hidden = false;
  render();
}

if (typeof document !== "undefined") {
  const start = () => {
    const root = document.querySelector("[data-layout]");
    const group = document.getElementById("tiles-group");
    if (root && group) initLayoutEditor(root, group);
  };
  // Django's inlines.js builds the "Add another" link when the document is ready.
  if (document.readyState === "complete") start();
  else window.addEventListener("load", start);
}
