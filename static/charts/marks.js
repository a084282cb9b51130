/* Clicking and keyboard-walking the marks of an ECharts chart (bars, points, slices).
 *
 * Only a chart that does something with a click (a drill or a cross-filter) listens. Its area is
 * then focusable: the arrows move a focused mark (ECharts' highlight and tooltip, and a spoken
 * label), Enter or Space picks it, as a click does. On line, area and bar charts a click anywhere
 * in a category's column picks it (points are small, and hidden on long series); on a pie, a click
 * on a slice. Marks are numbered in drawing order; the comparison series never count.
 */
import { COMPARE_PREFIX, stepMark } from "./chart_options.js";

export class Marks {
  /** `onPick(index)` runs for a clicked or chosen mark; `describe(index)` says a mark aloud;
   * `announce(text)` speaks. */
  constructor(el, { onPick, describe, announce }) {
    Object.assign(this, { el, onPick, describe, announce });
    this.chart = null;
    this.count = 0;
    this.kind = "cartesian";
    this.horizontal = false;
    this.focused = -1;
    this.enabled = false;
    el.addEventListener("keydown", (event) => this.onKey(event));
    el.addEventListener("focus", () => {
      // A mouse click focuses the area too: only the keyboard's focus shows a mark at once.
      if (this.enabled && this.count && el.matches(":focus-visible")) this.show(this.focused < 0 ? 0 : Math.min(this.focused, this.count - 1));
    });
    el.addEventListener("blur", () => this.hide());
  }

  /** Listen to `chart` (once per ECharts instance). */
  attach(chart) {
    this.chart = chart;
    chart.on("click", (params) => {
      if (!this.enabled || this.kind !== "pie" || String(params.seriesId || "").startsWith(COMPARE_PREFIX)) return;
      this.pick(params.dataIndex);
    });
    const zr = chart.getZr();
    zr.on("click", (event) => {
      if (!this.enabled || this.kind !== "cartesian") return;
      const index = this.categoryAt([event.offsetX, event.offsetY]);
      if (index !== null) this.pick(index);
    });
    zr.on("mousemove", (event) => {
      if (this.enabled && this.kind === "cartesian" && this.categoryAt([event.offsetX, event.offsetY]) !== null) {
        zr.setCursorStyle("pointer");
      }
    });
  }

  /** After each draw: how many marks, of which kind; `enabled` when clicks do something. */
  update({ count, kind, horizontal, enabled }) {
    Object.assign(this, { count, kind, horizontal, enabled });
    if (this.focused >= count) this.focused = count - 1;
    // Still role="img" with its summary as the name (every chart is named alike); the arrows'
    // mark is spoken through the frame's live region.
    if (enabled) {
      this.el.tabIndex = 0;
      this.el.setAttribute("aria-roledescription", "interactive chart");
    } else {
      this.el.removeAttribute("tabindex");
      this.el.removeAttribute("aria-roledescription");
    }
    this.el.classList.toggle("frame__chart--clickable", enabled);
  }

  categoryAt(point) {
    const chart = this.chart;
    if (!chart || !this.count || !chart.containPixel({ gridIndex: 0 }, point)) return null;
    const value = chart.convertFromPixel({ gridIndex: 0 }, point);
    if (!Array.isArray(value)) return null;
    const index = Math.round(this.horizontal ? value[1] : value[0]);
    return index >= 0 && index < this.count ? index : null;
  }

  pick(index) {
    if (index === null || index === undefined || index < 0 || index >= this.count) return;
    this.onPick(index);
  }

  onKey(event) {
    if (!this.enabled || !this.count) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      this.pick(this.focused < 0 ? 0 : this.focused);
      return;
    }
    const next = stepMark(this.focused, event.key, this.count);
    if (next === null) return;
    event.preventDefault();
    this.show(next);
  }

  show(index) {
    const chart = this.chart;
    if (!chart) return;
    if (this.focused >= 0) chart.dispatchAction({ type: "downplay", seriesIndex: 0, dataIndex: this.focused });
    this.focused = index;
    this.el.dataset.focusedMark = String(index);
    chart.dispatchAction({ type: "highlight", seriesIndex: 0, dataIndex: index });
    chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: index });
    this.announce(this.describe(index));
  }

  hide() {
    const chart = this.chart;
    if (!chart || this.focused < 0) return;
    chart.dispatchAction({ type: "downplay", seriesIndex: 0, dataIndex: this.focused });
    chart.dispatchAction({ type: "hideTip" });
    delete this.el.dataset.focusedMark;
  }
}
