/* The chart builder on the admin's Chart form (templates/admin/charts/chart/change_form.html).
 *
 * - shows only the section of the chosen kind (both show without JavaScript);
 * - turns the pipe field into a choice from the workspace's listing, which Panes reads
 *   server-side with the workspace's admin token (builder/pipes.json; no key reaches the page);
 *   if the listing cannot be read the field stays free text, with the reason;
 * - offers the pipe's columns (a sample query as the preview tenant), fills blank index and
 *   category fields with the defaults, and draws the chart as that tenant with the token's fixed
 *   params beside it (builder/preview.json), a moment after each change.
 *
 * Pure rules live in builder_rules.js.
 */
import { gettext, interpolate } from "../i18n.js";
import {
  filterSuggestions,
  fixedEntries,
  kindSections,
  pipeOptions,
  splitList,
  toggleInList,
  withDefaults,
} from "./builder_rules.js";

(function () {
  "use strict";

  var panel = document.getElementById("panes-builder");
  var form = document.getElementById("chart_form");
  if (!panel || !form) return;
  var canPreview = panel.dataset.canPreview === "true";
  var kindEl = form.querySelector("#id_kind");
  var workspaceEl = form.querySelector("#id_workspace");
  var indexEl = form.querySelector("#id_index_column");
  var categoriesEl = form.querySelector("#id_category_columns");
  var filtersEl = form.querySelector("#id_filter_params");
  var tenantParamsEl = form.querySelector("#id_tenant_params");
  var messageEl = document.getElementById("panes-builder-message");
  var fixedEl = document.getElementById("panes-builder-fixed");
  var fixedListEl = document.getElementById("panes-builder-fixed-list");
  var frameEl = document.getElementById("panes-builder-frame");
  var pipeParams = {}; // pipe name -> its declared params, from the listing
  var pipeIds = {}; // pipe name -> its t_… id, from the listing
  var pipeIdEl = form.querySelector("#id_pipe_id");
  var timer = null;
  var sequence = 0;

  function pipeEl() { return form.querySelector("#id_pipe_name"); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function note(field, id, text) {
    // A line under a field, made once and kept up to date (empty: removed).
    var existing = document.getElementById(id);
    if (!text) { if (existing) existing.remove(); return null; }
    if (!existing) {
      existing = el("div", { id: id, class: "panes-builder__note", role: "status" });
      field.insertAdjacentElement("afterend", existing);
    }
    existing.textContent = text;
    return existing;
  }

  /* --- kind ---------------------------------------------------------------------------------- */

  function showKind() {
    if (!kindEl) return;
    var shown = kindSections(kindEl.value);
    form.querySelectorAll("fieldset.panes-kind-tinybird").forEach(function (f) { f.hidden = !shown.tinybird; });
    form.querySelectorAll("fieldset.panes-kind-panes").forEach(function (f) { f.hidden = !shown.panes; });
  }

  /* --- pipe ---------------------------------------------------------------------------------- */

  function replacePipe(node) {
    var old = pipeEl();
    node.id = "id_pipe_name";
    node.name = "pipe_name";
    old.replaceWith(node);
    return node;
  }

  function loadPipes() {
    if (!workspaceEl || !workspaceEl.value) return Promise.resolve();
    var current = pipeEl().value;
    var url = panel.dataset.pipesUrl + "?workspace=" + encodeURIComponent(workspaceEl.value);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        pipeParams = {};
        pipeIds = {};
        if (answer.error || !answer.pipes) {
          if (pipeEl().tagName === "SELECT") replacePipe(el("input", { type: "text", class: "vTextField", maxlength: "128" })).value = current;
          note(pipeEl(), "panes-builder-pipe-note", answer.error || gettext("The pipe listing could not be read. Type the pipe's name."));
          return;
        }
        answer.pipes.forEach(function (pipe) {
          pipeParams[pipe.name] = pipe.params || [];
          pipeIds[pipe.name] = pipe.id || "";
        });
        var select = el("select", {});
        pipeOptions(answer.pipes, current).forEach(function (option) {
          var node = el("option", { value: option.value }, option.label);
          node.selected = option.selected;
          select.appendChild(node);
        });
        replacePipe(select);
        note(select, "panes-builder-pipe-note", answer.pipes.length ? "" : gettext("This workspace lists no pipes yet."));
        offerFilters();
      })
      .catch(function () {
        note(pipeEl(), "panes-builder-pipe-note", gettext("The pipe listing could not be read. Type the pipe's name."));
      });
  }

  /* --- columns and filters ------------------------------------------------------------------- */

  function chips(field, id, names, isOn, onToggle, label) {
    var box = document.getElementById(id);
    if (!names || !names.length) { if (box) box.remove(); return; }
    if (!box) {
      box = el("div", { id: id, class: "panes-builder__chips", role: "group", "aria-label": label });
      field.insertAdjacentElement("afterend", box);
    }
    box.replaceChildren();
    names.forEach(function (name) {
      var input = el("input", { type: "checkbox", value: name });
      input.checked = isOn(name);
      input.addEventListener("change", function () { onToggle(name, input.checked); });
      var chip = el("label", { class: "panes-builder__chip" });
      chip.append(input, document.createTextNode(" " + name));
      box.appendChild(chip);
    });
  }

  function offerColumns(columns) {
    if (!indexEl || !categoriesEl) return;
    var names = (columns || []).map(function (c) { return c.name; });
    var list = document.getElementById("panes-builder-columns");
    if (!list) {
      list = el("datalist", { id: "panes-builder-columns" });
      indexEl.insertAdjacentElement("afterend", list);
      indexEl.setAttribute("list", list.id);
    }
    list.replaceChildren.apply(list, (columns || []).map(function (c) { return el("option", { value: c.name }, c.type); }));
    note(list, "panes-builder-index-note", names.length ? interpolate(gettext("Columns: %(columns)s"), { columns: columns.map(function (c) { return c.name + " (" + c.type + ")"; }).join(", ") }, true) : "");
    chips(categoriesEl, "panes-builder-categories", names, function (name) {
      return splitList(categoriesEl.value).indexOf(name) >= 0;
    }, function (name, on) {
      categoriesEl.value = toggleInList(categoriesEl.value, name, on);
      schedule();
    }, gettext("Columns to plot"));
  }

  function offerFilters() {
    if (!filtersEl) return;
    var current = pipeEl() && pipeEl().value;
    var names = filterSuggestions(pipeParams[current] || [], tenantParamsEl ? tenantParamsEl.value || "company_id" : "company_id");
    chips(filtersEl, "panes-builder-filters", names, function (name) {
      return splitList(filtersEl.value).indexOf(name) >= 0;
    }, function (name, on) {
      filtersEl.value = toggleInList(filtersEl.value, name, on);
      schedule();
    }, gettext("Params viewers may set"));
  }

  /* --- preview ------------------------------------------------------------------------------- */

  function showFixed(answer) {
    var entries = fixedEntries(answer.fixed_params);
    fixedEl.hidden = answer.fixed_params === null || answer.fixed_params === undefined;
    fixedListEl.replaceChildren();
    if (!entries.length) fixedListEl.appendChild(el("dd", {}, gettext("nothing: the same rows for every tenant")));
    entries.forEach(function (pair) {
      fixedListEl.append(el("dt", {}, pair[0]), el("dd", {}, pair[1]));
    });
  }

  function showErrors(errors) {
    ["index_column", "category_columns", "pipe_name"].forEach(function (name) {
      var field = form.querySelector("#id_" + name);
      if (!field) return;
      var text = (errors && errors[name]) ? errors[name].join(" ") : "";
      var n = note(field, "panes-builder-error-" + name, text);
      if (n) n.classList.add("panes-builder__note--error");
    });
  }

  function refresh() {
    if (!canPreview) return;
    var mine = ++sequence;
    var body = new FormData(form);
    messageEl.textContent = gettext("Drawing…");
    fetch(panel.dataset.previewUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": body.get("csrfmiddlewaretoken") || "" },
    })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (mine !== sequence) return; // a later change asked again
        var isPanes = kindEl && kindEl.value === "panes";
        if (isPanes && answer.defaults && indexEl && categoriesEl) {
          var values = withDefaults({ index: indexEl.value, categories: categoriesEl.value }, answer.defaults);
          var changed = values.index !== indexEl.value || values.categories !== categoriesEl.value;
          indexEl.value = values.index;
          categoriesEl.value = values.categories;
          if (changed) { schedule(); }
        }
        if (isPanes) offerColumns(answer.columns);
        note(indexEl, "panes-builder-columns-note", isPanes && answer.columns_error ? interpolate(gettext("Columns not read: %(error)s"), { error: answer.columns_error }, true) : "");
        showErrors(answer.errors);
        showFixed(answer);
        var tenant = answer.tenant ? interpolate(gettext("As %(tenant)s."), { tenant: answer.tenant.name }, true) + " " : "";
        messageEl.textContent = tenant + (answer.message || "");
        if (answer.frame) {
          if (frameEl.dataset.src !== answer.frame.split("#")[0]) {
            frameEl.dataset.src = answer.frame.split("#")[0];
            frameEl.src = answer.frame;
          }
          frameEl.hidden = false;
        } else {
          frameEl.hidden = true;
          frameEl.removeAttribute("src");
          delete frameEl.dataset.src;
        }
      })
      .catch(function () {
        if (mine === sequence) messageEl.textContent = gettext("The preview could not be drawn.");
      });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  }

  showKind();
  if (kindEl) kindEl.addEventListener("change", function () { showKind(); schedule(); });
  if (workspaceEl) workspaceEl.addEventListener("change", function () { loadPipes().then(schedule); });
  if (tenantParamsEl) tenantParamsEl.addEventListener("change", offerFilters);
  form.addEventListener("input", schedule);
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "pipe_name") {
      // The id names the token's scope: it must follow the pipe, or the token reads the old one.
      if (pipeIdEl && event.target.value in pipeIds) pipeIdEl.value = pipeIds[event.target.value];
      offerFilters();
    }
    schedule();
  });
  loadPipes().then(refresh);
})();
