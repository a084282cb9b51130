/* The drill panel: a <dialog> holding breadcrumbs (chart title › value › value) and a Panes frame
 * of the chart's detail table (charts:drill_frame) for the clicked values under the page's
 * filters. A DRILL message from that frame opens the next level; a breadcrumb goes back; Escape
 * and the close button close it, and the focus returns to the chart the viewer clicked.
 *
 * The frame's token is the drilling chart's workspace token (the page refreshes it like the
 * grid's); its rows are the tenant's whatever the click carried: the host applies the token's
 * fixed params over anything in the query string.
 */
import { gettext, interpolate } from "./i18n.js";
import { DRILL } from "./protocol.js";
import { breadcrumbs, drillFilters, drillPath } from "./page_state.js";

/** The drill settings of a tile (data attributes from pages.Tile.drill), or null. */
export function drillOf(tile) {
  if (!tile || !tile.dataset.drillUrl) return null;
  const frame = tile.querySelector("iframe[data-panes-frame]");
  if (!frame) return null;
  return {
    tile,
    frame,
    chart: tile.dataset.chart,
    url: tile.dataset.drillUrl,
    title: tile.dataset.drillTitle || tile.getAttribute("aria-label") || "",
    params: (tile.dataset.drillParams || "").split(",").filter(Boolean),
    crossFilter: tile.dataset.crossFilter || "",
    accepted: (frame.dataset.filterParams || "").split(",").filter(Boolean),
  };
}

/**
 * Wires `dialog` (or does nothing without one). `page` gives {state(), theme(), tokenFor(ws),
 * expiryFor(ws)} and takes onPath(drill, path) (every change, [] on close) and
 * onFilterBy(param, value). Returns {open(tile, path), isOpen(), frame(), filtersFor()}.
 */
export function drillPanel(dialog, page) {
  if (!dialog) return { open() {}, isOpen: () => false, frame: () => null, filtersFor: () => ({}) };
  const crumbs = dialog.querySelector("[data-drill-crumbs]");
  const body = dialog.querySelector("[data-drill-body]");
  const filterButton = dialog.querySelector("[data-drill-filter]");
  const closeButton = dialog.querySelector("[data-drill-close]");
  let current = null; // the drill of the tile that opened the panel
  let path = [];
  let iframe = null;

  function filtersFor() {
    if (!current) return {};
    return drillFilters(page.state().filters, current.accepted, current.crossFilter, current.params, path);
  }

  function frameSrc() {
    const url = new URL(current.url, location.href);
    for (const [name, value] of Object.entries(filtersFor())) url.searchParams.set(name, value);
    if (page.theme() !== "light") url.searchParams.set("theme", page.theme());
    url.hash = "token=" + encodeURIComponent(page.tokenFor(current.frame.dataset.workspace));
    return url.toString();
  }

  function renderCrumbs() {
    const items = breadcrumbs(current.title, path).map((crumb) => {
      const item = document.createElement("li");
      item.className = "drill__crumb";
      if (crumb.current) {
        const here = document.createElement("span");
        here.setAttribute("aria-current", "location");
        here.textContent = crumb.label;
        item.append(here);
      } else {
        const back = document.createElement("button");
        back.type = "button";
        back.className = "drill__back";
        back.dataset.level = String(crumb.level);
        back.textContent = crumb.label;
        if (crumb.level === 0) back.setAttribute("aria-label", interpolate(gettext("Close and go back to the chart %(chart)s"), { chart: crumb.label }, true));
        item.append(back);
      }
      return item;
    });
    crumbs.replaceChildren(...items);
  }

  function show() {
    renderCrumbs();
    const value = path[0];
    if (filterButton) {
      filterButton.hidden = !current.crossFilter;
      filterButton.textContent = interpolate(gettext("Filter the dashboard by %(value)s"), { value }, true);
    }
    const frame = document.createElement("iframe");
    frame.className = "drill__frame";
    frame.title = `${current.title}: ${path.join(" › ")}`;
    frame.dataset.panesFrame = "";
    frame.dataset.drillFrame = "";
    frame.dataset.kind = "panes";
    frame.dataset.chart = current.chart;
    frame.dataset.workspace = current.frame.dataset.workspace;
    frame.dataset.expiresAt = page.expiryFor(current.frame.dataset.workspace) || current.frame.dataset.expiresAt || "";
    frame.dataset.filterParams = [...new Set([...current.accepted, ...current.params])].join(",");
    frame.src = frameSrc();
    // Escape inside the (same-origin) frame never reaches the dialog: listen in the frame too.
    frame.addEventListener("load", () => {
      try {
        frame.contentWindow.addEventListener("keydown", (event) => {
          if (event.key === "Escape" && dialog.open) dialog.close();
        });
      } catch (error) {
        /* not ours to listen to */
      }
    });
    const hadFocus = iframe && document.activeElement === iframe;
    if (iframe) iframe.replaceWith(frame);
    else body.append(frame);
    iframe = frame;
    if (hadFocus) frame.focus();
    page.onPath(current, path);
  }

  /** Opens the panel for `tile` at `values` (one per drill param; extra ones are dropped). */
  function open(tile, values) {
    const drill = drillOf(tile);
    const levels = (values || []).map(String).slice(0, drill ? drill.params.length : 0);
    if (!drill || !levels.length) return false;
    current = drill;
    path = levels;
    show();
    if (!dialog.open) dialog.showModal();
    return true;
  }

  function goTo(level) {
    if (level === 0) dialog.close();
    else {
      path = path.slice(0, level);
      show();
      const backs = crumbs.querySelectorAll(".drill__back");
      (backs[backs.length - 1] || closeButton).focus();
    }
  }

  crumbs.addEventListener("click", (event) => {
    const back = event.target.closest(".drill__back");
    if (back) goTo(Number(back.dataset.level));
  });
  if (closeButton) closeButton.addEventListener("click", () => dialog.close());
  if (filterButton) {
    filterButton.addEventListener("click", () => {
      const { crossFilter } = current;
      const value = path[0];
      dialog.close();
      page.onFilterBy(crossFilter, value);
    });
  }
  // A click on the backdrop (the dialog element itself, outside its box) closes it too.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener("panes:frame-lost", () => dialog.close());

  dialog.addEventListener("close", () => {
    if (!current) return;
    const { frame } = current;
    const closed = current;
    if (iframe) iframe.remove();
    iframe = null;
    path = [];
    current = null;
    page.onPath(closed, []);
    if (frame.isConnected) frame.focus();
  });

  window.addEventListener("message", (event) => {
    if (event.origin !== location.origin || !iframe || event.source !== iframe.contentWindow) return;
    const message = event.data;
    if (!message || message.type !== DRILL || !current) return;
    // Only the next level's param opens a level; its value is the row's, the host fixes the rest.
    const next = current.params[path.length];
    if (!next || message.column !== next || typeof message.value !== "string" || !message.value) return;
    path = [...path, message.value];
    show();
  });

  return {
    open,
    isOpen: () => Boolean(current),
    frame: () => iframe,
    filtersFor,
    path: () => (current ? drillPath(current.params, path) : []),
  };
}
