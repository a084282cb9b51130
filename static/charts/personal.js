/* Personal dashboard editor: the plain forms work without this file. With it, the tile buttons
   (move up/down, remove, apply size) and a width change are sent in the background and the page
   updates in place, focus stays on the control that was used, and tiles can also be dragged.
   Every request is the same POST the form makes (CSRF token included), asking for JSON. */
(function () {
  "use strict";
  var editor = document.querySelector("[data-personal-editor]");
  var status = document.querySelector("[data-personal-status]");
  // A classic script: the catalogue's functions (static/charts/i18n.js for the modules), English without it.
  var catalogue = window.django || {};
  var gettext = catalogue.gettext || function (msgid) { return msgid; };
  var interpolate = function (fmt, values) {
    return fmt.replace(/%\(\w+\)s/g, function (match) { return String(values[match.slice(2, -2)]); });
  };

  function announce(text) {
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 30);
  }

  function send(form, submitter, extra) {
    var body = new FormData(form);
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    Object.keys(extra || {}).forEach(function (key) { body.set(key, extra[key]); });
    // getAttribute: the buttons are named "action", which shadows form.action.
    return fetch(form.getAttribute("action"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function fallback(form, submitter) {
    // Anything unexpected: let the browser post the form itself and show the server's answer.
    if (submitter && submitter.name) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = submitter.name;
      hidden.value = submitter.value;
      form.appendChild(hidden);
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  function tiles() {
    return Array.prototype.slice.call(editor.querySelectorAll("[data-tile]"));
  }

  function titleOf(tile) {
    var h = tile.querySelector(".editor-tile__title");
    return h ? h.textContent : gettext("Chart");
  }

  function refreshButtons() {
    var list = tiles();
    list.forEach(function (tile, index) {
      tile.querySelector("[data-move=up]").disabled = index === 0;
      tile.querySelector("[data-move=down]").disabled = index === list.length - 1;
    });
  }

  function applyOrder(order) {
    var byId = {};
    tiles().forEach(function (tile) { byId[tile.dataset.tile] = tile; });
    order.forEach(function (id) { if (byId[id]) editor.appendChild(byId[id]); });
    refreshButtons();
  }

  function showError(form, data) {
    var box = form.querySelector("[data-tile-error]");
    var errors = (data && data.errors) || {};
    var text = Object.keys(errors).map(function (k) { return errors[k].join(" "); }).join(" ") || gettext("That did not work; try again.");
    if (box) { box.textContent = text; box.hidden = false; }
    announce(text);
  }

  function clearError(form) {
    var box = form.querySelector("[data-tile-error]");
    if (box) { box.textContent = ""; box.hidden = true; }
  }

  function sizeLabel(tile, width, height) {
    var label = tile.querySelector("[data-size-label]");
    var input = tile.querySelector("input[type=number]");
    var shown = height || (input && input.placeholder) || "";
    tile.style.setProperty("--span", width);
    if (shown) tile.style.setProperty("--tile-height", shown + "px");
    if (label) label.textContent = interpolate(gettext("%(width)s of 12 wide · %(height)s px high"), { width: width, height: shown });
  }

  function onTileSubmit(event) {
    var form = event.target;
    if (!form.matches("[data-tile-form]")) return;
    event.preventDefault();
    var submitter = event.submitter || form.querySelector("[data-resize]");
    var action = submitter ? submitter.value : "resize";
    var tile = form.closest("[data-tile]");
    if (action === "remove" && !window.confirm(interpolate(gettext("Remove %(chart)s from this dashboard?"), { chart: titleOf(tile) }))) return;
    clearError(form);
    send(form, submitter).then(function (result) {
      if (!result.ok) {
        if (result.status === 400) return showError(form, result.data);
        return fallback(form, submitter);
      }
      if (action === "up" || action === "down") {
        applyOrder(result.data.order || []);
        var same = tile.querySelector("[data-move=" + action + "]");
        var other = tile.querySelector("[data-move=" + (action === "up" ? "down" : "up") + "]");
        (same.disabled ? other : same).focus();
        var position = tiles().indexOf(tile) + 1;
        announce(interpolate(gettext("%(chart)s moved to position %(position)s of %(count)s."), { chart: titleOf(tile), position: position, count: tiles().length }));
      } else if (action === "remove") {
        var list = tiles();
        var next = list[list.indexOf(tile) + 1] || list[list.indexOf(tile) - 1];
        var name = titleOf(tile);
        tile.remove();
        refreshButtons();
        var target = next ? next.querySelector("button:not(:disabled)") : document.getElementById("add-title");
        if (target) { if (!next) target.tabIndex = -1; target.focus(); }
        announce(interpolate(gettext("%(chart)s removed."), { chart: name }));
      } else {
        sizeLabel(tile, result.data.width, result.data.height);
        announce(interpolate(gettext("%(chart)s resized to %(width)s of 12."), { chart: titleOf(tile), width: result.data.width }));
      }
    }, function () { fallback(form, submitter); });
  }

  function setUpDragging() {
    var dragged = null;
    var orderUrl = editor.dataset.orderUrl;
    tiles().forEach(function (tile) { tile.draggable = true; });
    editor.addEventListener("dragstart", function (event) {
      dragged = event.target.closest && event.target.closest("[data-tile]");
      if (!dragged) return;
      dragged.classList.add("editor-tile--dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.tile);
    });
    editor.addEventListener("dragover", function (event) {
      var over = event.target.closest && event.target.closest("[data-tile]");
      if (!dragged || !over || over === dragged) return;
      event.preventDefault();
      tiles().forEach(function (t) { t.classList.toggle("editor-tile--drop-target", t === over); });
    });
    editor.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("editor-tile--dragging");
      tiles().forEach(function (t) { t.classList.remove("editor-tile--drop-target"); });
      dragged = null;
    });
    editor.addEventListener("drop", function (event) {
      var over = event.target.closest && event.target.closest("[data-tile]");
      if (!dragged || !over || over === dragged) return;
      event.preventDefault();
      var moved = dragged;
      var list = tiles();
      var before = list.indexOf(dragged) > list.indexOf(over) ? over : over.nextSibling;
      editor.insertBefore(dragged, before);
      refreshButtons();
      var form = dragged.querySelector("[data-tile-form]");
      var order = tiles().map(function (t) { return t.dataset.tile; }).join(",");
      var body = new FormData();
      body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      body.append("order", order);
      fetch(orderUrl, { method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
        .then(function (data) { applyOrder(data.order || []); announce(interpolate(gettext("%(chart)s moved."), { chart: titleOf(moved) })); })
        .catch(function () { window.location.reload(); });
    });
  }

  if (editor) {
    editor.addEventListener("submit", onTileSubmit);
    editor.addEventListener("change", function (event) {
      // A new width applies at once; heights apply with the button or Enter.
      if (event.target.tagName !== "SELECT") return;
      var form = event.target.form;
      var button = form && form.querySelector("[data-resize]");
      if (button && form.requestSubmit) form.requestSubmit(button);
    });
    if (tiles().length > 1) setUpDragging();
  }

  var deleteForm = document.querySelector("[data-personal-delete]");
  if (deleteForm) {
    deleteForm.addEventListener("submit", function (event) {
      if (!window.confirm(deleteForm.dataset.confirm)) event.preventDefault();
    });
  }
})();
