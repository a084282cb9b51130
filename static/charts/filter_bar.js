/* The filter bar (charts/_controls.html): date and text inputs, the period and comparison selects,
 * the cross-filter chips and the theme picker. It shows a state and asks for changes; the page
 * (dashboard.js) decides. Without JavaScript the same form is a plain GET form, chips included:
 * a chip keeps its value in a hidden input and its × is a submit button that sends the param
 * empty after it (the server reads the last value).
 */
import { gettext, interpolate } from "./i18n.js";
import { presetRange, localToday } from "./periods.js";
import { chipsOf, offersRange } from "./page_state.js";

/**
 * Wires the form `form` (or does nothing without one). `onRequest({filters, period, compare})`
 * asks for a new state; `onTheme(theme)` for a theme. Returns {render(state), showErrors(errors)}.
 */
export function filterBar(form, { offered, crossFilters, onRequest, onTheme }) {
  if (!form) return { render() {}, showErrors() {} };
  const periodSelect = form.querySelector("[data-period]");
  const compareSelect = form.querySelector("[data-compare]");
  const chipBox = form.querySelector("[data-chips]");
  const clearButton = form.querySelector("[data-filters-clear]");
  const range = offersRange(offered);
  let shown = { filters: {}, period: "", compare: "" };

  const inputs = () => Array.from(form.querySelectorAll("[data-filter]"));

  function fromInputs(period) {
    const filters = {};
    // Chips are not inputs of the bar: their values stay until a chip is removed.
    for (const param of crossFilters) if (shown.filters[param]) filters[param] = shown.filters[param];
    for (const input of inputs()) filters[input.dataset.filter] = input.value;
    return { filters, period, compare: compareSelect ? compareSelect.value : shown.compare };
  }

  function showErrors(errors) {
    for (const input of inputs()) {
      const name = input.dataset.filter;
      const box = form.querySelector(`[data-filter-error="${name}"]`);
      const control = input.closest(".control");
      if (errors[name]) {
        input.setAttribute("aria-invalid", "true");
        if (box) {
          input.setAttribute("aria-describedby", box.id);
          box.textContent = errors[name];
          box.hidden = false;
        }
        if (control) control.classList.add("control--error");
      } else {
        input.removeAttribute("aria-invalid");
        if (box) {
          box.textContent = "";
          box.hidden = true;
        }
        if (control) control.classList.remove("control--error");
      }
    }
  }

  function chipElement(chip) {
    const item = document.createElement("span");
    item.className = "chip";
    item.dataset.chip = chip.param;
    const hidden = document.createElement("input");
    Object.assign(hidden, { type: "hidden", name: chip.param, value: chip.value });
    const label = document.createElement("span");
    label.className = "chip__label";
    label.textContent = chip.label;
    const remove = document.createElement("button");
    Object.assign(remove, { type: "submit", name: chip.param, value: "", className: "chip__remove", textContent: "×" });
    remove.dataset.chipRemove = chip.param;
    remove.setAttribute("aria-label", interpolate(gettext("Remove filter %(filter)s"), { filter: chip.label }, true));
    item.append(hidden, label, remove);
    return item;
  }

  function renderChips(state) {
    if (!chipBox) return;
    const chips = chipsOf(state.filters, crossFilters);
    const focused = chipBox.contains(document.activeElement);
    chipBox.replaceChildren(...chips.map(chipElement));
    chipBox.hidden = !chips.length;
    // A removed chip took the focus with it: keep the keyboard in the bar.
    if (focused && !chipBox.contains(document.activeElement)) {
      const next = chipBox.querySelector("[data-chip-remove]") || inputs()[0] || periodSelect;
      if (next) next.focus();
    }
  }

  function render(state) {
    shown = state;
    showErrors({});
    for (const input of inputs()) input.value = state.filters[input.dataset.filter] || "";
    if (periodSelect) periodSelect.value = state.period || "";
    if (compareSelect) compareSelect.value = state.compare || "";
    renderChips(state);
    if (clearButton) clearButton.hidden = !Object.keys(state.filters).length && !state.compare;
  }

  form.addEventListener("change", (event) => {
    const target = event.target;
    if (target.name === "theme") onTheme(target.value);
    else if (target === periodSelect) {
      const key = periodSelect.value;
      const dates = key ? presetRange(key, localToday()) : null;
      if (dates) {
        form.querySelector('[data-filter="date_from"]').value = dates[0];
        form.querySelector('[data-filter="date_to"]').value = dates[1];
      }
      onRequest(fromInputs(key));
    } else if (target === compareSelect) onRequest(fromInputs(shown.period));
    // Editing a date by hand leaves the preset: the range is now a custom one.
    else if (target.matches("[data-filter]")) {
      const isRange = range && (target.dataset.filter === "date_from" || target.dataset.filter === "date_to");
      onRequest(fromInputs(isRange ? "" : shown.period));
    }
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const remove = event.submitter && event.submitter.dataset.chipRemove;
    if (remove) {
      const request = fromInputs(shown.period);
      delete request.filters[remove];
      onRequest(request);
    } else onRequest(fromInputs(shown.period));
  });

  if (clearButton) clearButton.addEventListener("click", () => onRequest({ filters: {}, period: "", compare: "" }));

  return { render, showErrors };
}
