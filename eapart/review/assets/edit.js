/* eapart review map: edit mode on a township page.
 * Select buildings (click, shift+drag box, or a whole small area), pick the target
 * small area (list or eyedropper), move; lock and unlock areas; undo and redo; every
 * pending edit is listed with its note and the totals of the areas it touches against
 * the band. Edits live in this page only; "Save edits" downloads edits.json (a Blob,
 * nothing is sent anywhere) for `eapart edit apply`, "Load edits" reads one back.
 * Needs window.eapart from review.js and meta.edit from the page data. */
(function () {
  "use strict";

  function start() {
    if (!window.eapart || !window.eapart.ready) { setTimeout(start, 50); return; }
    if (!window.eapart.meta.edit) return;
    init(window.eapart);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function init(app) {
    var meta = app.meta, info = meta.edit, map = app.map;
    var buildings = app.layers.filter(function (l) { return l.kind === "building"; })[0];
    var smalls = app.layers.filter(function (l) { return l.kind === "small_area"; })[0];
    if (!buildings || !smalls) return;
    var ids = buildings.props[buildings.code];
    var home = {}, size = {}, index = {};
    ids.forEach(function (id, i) {
      home[id] = buildings.props.small_area_code[i];
      size[id] = Number(buildings.props[meta.measure] ? buildings.props[meta.measure][i] : 0) || 0;
      index[id] = i;
    });
    var ed = {
      editing: false, picking: false, selected: {}, target: "", pending: [], undone: [],
      locked: {}, next: 1
    };
    info.locked.forEach(function (c) { ed.locked[c] = true; });

    /* --- state ------------------------------------------------------------------- */
    function where(id) {
      var at = home[id];
      ed.pending.forEach(function (e) { if (e.op === "move" && e.buildings.indexOf(id) >= 0) at = e.target; });
      return at;
    }
    function isLocked(code) {
      var state = !!(ed.locked[code] || ed.locked[code.slice(0, 12)]);
      ed.pending.forEach(function (e) {
        if ((e.op === "lock" || e.op === "unlock") && (e.areas.indexOf(code) >= 0 || e.areas.indexOf(code.slice(0, 12)) >= 0)) {
          state = e.op === "lock";
        }
      });
      return state;
    }
    function totals() {
      var t = {};
      Object.keys(info.areas).forEach(function (c) { t[c] = 0; });
      ids.forEach(function (id) { var c = where(id); t[c] = (t[c] || 0) + size[id]; });
      return t;
    }
    function touched() {
      var out = {};
      ed.pending.forEach(function (e) {
        if (e.op !== "move") return;
        out[e.target] = true;
        e.from.forEach(function (c) { out[c] = true; });
      });
      Object.keys(ed.selected).forEach(function (id) { out[where(id)] = true; });
      if (ed.target) out[ed.target] = true;
      return Object.keys(out).sort();
    }
    function push(edit) {
      edit.id = "e" + (ed.next++);
      ed.pending.push(edit);
      ed.undone = [];
      render();
      return edit.id;
    }

    /* --- actions (also the page's testing API) ------------------------------------ */
    var api = {
      toggle: function () { ed.editing = !ed.editing; render(); return ed.editing; },
      select: function (list, add) {
        if (!add) ed.selected = {};
        list.forEach(function (id) { if (id in home) ed.selected[id] = true; });
        render();
        return Object.keys(ed.selected).length;
      },
      selectArea: function (code) {
        return api.select(ids.filter(function (id) { return where(id) === code; }), true);
      },
      setTarget: function (code) { ed.target = code; ed.picking = false; render(); },
      move: function (note) {
        var list = Object.keys(ed.selected).filter(function (id) { return where(id) !== ed.target; });
        if (!ed.target || !list.length) { status("Select buildings and a target small area first."); return null; }
        if (isLocked(ed.target)) { status("Small area " + ed.target + " is locked: unlock it first."); return null; }
        var from = {};
        list.forEach(function (id) { from[where(id)] = true; });
        var blocked = Object.keys(from).filter(isLocked);
        if (blocked.length) { status("Locked small area " + blocked[0] + " holds selected buildings."); return null; }
        ed.selected = {};
        return push({ op: "move", buildings: list.sort(), target: ed.target, from: Object.keys(from).sort(), note: note || "" });
      },
      lock: function (code, note) { return push({ op: isLocked(code) ? "unlock" : "lock", areas: [code], note: note || "" }); },
      undo: function () { if (ed.pending.length) ed.undone.push(ed.pending.pop()); render(); return ed.pending.length; },
      redo: function () { if (ed.undone.length) ed.pending.push(ed.undone.pop()); render(); return ed.pending.length; },
      note: function (id, text) { ed.pending.forEach(function (e) { if (e.id === id) e.note = text; }); render(); },
      edits: function () {
        return {
          made_on: info.madeOn,
          edits: ed.pending.map(function (e) {
            var out = { id: e.id, op: e.op, note: e.note };
            if (e.op === "move") { out.buildings = e.buildings; out.target = e.target; } else { out.areas = e.areas; }
            return out;
          })
        };
      },
      load: function (data) {
        if (!data || data.made_on !== info.madeOn) { status("These edits were made on another output: not loaded."); return false; }
        ed.pending = (data.edits || []).map(function (e) {
          var copy = { id: String(e.id), op: e.op, note: e.note || "", areas: e.areas || [], buildings: e.buildings || [], target: e.target || "" };
          copy.from = copy.buildings.map(where).filter(function (c, k, a) { return a.indexOf(c) === k; });
          return copy;
        });
        ed.undone = [];
        ed.next = ed.pending.length + 1;
        render();
        return true;
      },
      totals: totals,
      state: ed
    };
    window.eapartEdit = api;

    /* --- map interaction ---------------------------------------------------------- */
    function itemClick(layer, handler) {
      Object.keys(layer.items).forEach(function (i) {
        layer.items[i].on("click", function (e) {
          if (!ed.editing) return;
          map.closePopup();
          handler(Number(i), e);
        });
      });
    }
    itemClick(buildings, function (i, e) {
      var id = ids[i];
      if (ed.picking) { api.setTarget(where(id)); return; }
      if (ed.selected[id]) delete ed.selected[id]; else ed.selected[id] = true;
      render();
    });
    itemClick(smalls, function (i) {
      var code = smalls.props.small_area_code[i];
      if (ed.picking) api.setTarget(code); else api.selectArea(code);
    });
    var box = null, corner = null;
    map.on("mousedown", function (e) {
      if (!ed.editing || !e.originalEvent.shiftKey) return;
      map.dragging.disable();
      corner = e.latlng;
      box = L.rectangle([corner, corner], { color: "#0645ad", weight: 1, dashArray: "3 3", fill: false, interactive: false }).addTo(map);
    });
    map.on("mousemove", function (e) { if (box) box.setBounds([corner, e.latlng]); });
    map.on("mouseup", function () {
      if (!box) return;
      var bounds = box.getBounds();
      map.removeLayer(box); box = null; map.dragging.enable();
      var inside = ids.filter(function (id) {
        var item = buildings.items[index[id]];
        var at = item.getLatLng ? item.getLatLng() : item.getBounds().getCenter();
        return bounds.contains(at);
      });
      api.select(inside, true);
    });
    if (map.boxZoom) map.boxZoom.disable();

    /* --- panel -------------------------------------------------------------------- */
    var Ctl = L.Control.extend({ onAdd: function () { return panel; } });
    var panel = el("div", "eapart-control eapart-edit leaflet-bar");
    L.DomEvent.disableClickPropagation(panel);
    L.DomEvent.disableScrollPropagation(panel);
    var toggleBtn = el("button", "eapart-edit-toggle", "Edit");
    toggleBtn.type = "button";
    toggleBtn.title = "Edit mode: select buildings, pick a target, move; lock areas";
    toggleBtn.onclick = function () { api.toggle(); };
    panel.appendChild(toggleBtn);
    var body = el("div", "eapart-edit-body");
    panel.appendChild(body);
    new Ctl({ position: "bottomleft" }).addTo(map);

    function button(parent, text, cls, onClick) {
      var b = el("button", cls, text);
      b.type = "button";
      b.onclick = onClick;
      parent.appendChild(b);
      return b;
    }
    var message = "";
    function status(text) { message = text; render(); }

    function render() {
      toggleBtn.classList.toggle("eapart-active", ed.editing);
      body.textContent = "";
      body.style.display = ed.editing ? "block" : "none";
      restyle();
      if (!ed.editing) return;
      var n = Object.keys(ed.selected).length;
      body.appendChild(el("div", "eapart-edit-selected", n + " building(s) selected"));
      var row = el("div", "eapart-edit-row");
      var pick = el("select", "eapart-edit-target");
      pick.appendChild(el("option", "", "target small area…"));
      Object.keys(info.areas).sort().forEach(function (c) {
        var o = el("option", "", c + (isLocked(c) ? " (locked)" : ""));
        o.value = c;
        if (c === ed.target) o.selected = true;
        pick.appendChild(o);
      });
      pick.onchange = function () { api.setTarget(pick.value); };
      row.appendChild(pick);
      button(row, ed.picking ? "pick…" : "Eyedropper", "eapart-edit-pick" + (ed.picking ? " eapart-active" : ""),
        function () { ed.picking = !ed.picking; render(); });
      body.appendChild(row);
      var note = el("input", "eapart-edit-note");
      note.placeholder = "note (optional)";
      body.appendChild(note);
      var acts = el("div", "eapart-edit-row");
      button(acts, "Move", "eapart-edit-move", function () { api.move(note.value); });
      button(acts, "Lock/unlock target", "eapart-edit-lock", function () { if (ed.target) api.lock(ed.target, note.value); });
      button(acts, "Undo", "eapart-edit-undo", api.undo).disabled = !ed.pending.length;
      button(acts, "Redo", "eapart-edit-redo", api.redo).disabled = !ed.undone.length;
      body.appendChild(acts);
      var t = totals(), band = info.band;
      var table = el("table", "eapart-edit-totals");
      touched().forEach(function (c) {
        if (!(c in info.areas)) return;
        var tr = el("tr");
        var out = t[c] < band.min_size || t[c] > band.max_size;
        tr.className = out ? "eapart-edit-out" : "";
        tr.appendChild(el("th", "", c + (isLocked(c) ? " 🔒" : "")));
        tr.appendChild(el("td", "", Math.round(info.areas[c].size) + " → " + Math.round(t[c])));
        tr.appendChild(el("td", "eapart-muted", band.min_size + "–" + band.target + "–" + band.max_size));
        table.appendChild(tr);
      });
      body.appendChild(table);
      var list = el("ol", "eapart-edit-list");
      ed.pending.forEach(function (e) {
        var li = el("li", "", e.op === "move" ? "move " + e.buildings.length + " → " + e.target : e.op + " " + e.areas.join(" "));
        if (e.note) li.appendChild(el("span", "eapart-muted", " — " + e.note));
        list.appendChild(li);
      });
      body.appendChild(list);
      var files = el("div", "eapart-edit-row");
      button(files, "Save edits", "eapart-edit-save", save).disabled = !ed.pending.length;
      var input = el("input", "eapart-edit-load");
      input.type = "file";
      input.accept = ".json,application/json";
      input.onchange = function () {
        var file = input.files[0];
        if (!file) return;
        var reader = new FileReader();
        reader.onload = function () {
          try { if (api.load(JSON.parse(reader.result))) status("Loaded " + ed.pending.length + " edit(s)."); }
          catch (err) { status("Not an edits file: " + err.message); }
        };
        reader.readAsText(file);
      };
      files.appendChild(el("label", "eapart-muted", "Load edits: "));
      files.appendChild(input);
      body.appendChild(files);
      if (message) body.appendChild(el("div", "eapart-edit-status", message));
    }

    function save() {
      var blob = new Blob([JSON.stringify(api.edits(), null, 1)], { type: "application/json" });
      var a = el("a");
      a.href = URL.createObjectURL(blob);
      a.download = "edits.json";
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
    }

    function restyle() {
      ids.forEach(function (id) {
        var item = buildings.items[index[id]];
        if (!item) return;
        var picked = !!ed.selected[id], moved = where(id) !== home[id];
        item.setStyle({ color: picked ? "#0645ad" : (moved ? "#ff00aa" : "#333"), weight: picked || moved ? 2.5 : 0.5 });
      });
      smalls.props.small_area_code.forEach(function (c, i) {
        var item = smalls.items[i];
        if (!item) return;
        if (info.changed.indexOf(c) >= 0 || isLocked(c)) {
          item.setStyle({ color: isLocked(c) ? "#222" : "#ff00aa", weight: 3, dashArray: isLocked(c) ? "2 4" : "8 3" });
        }
      });
    }
    render();
  }

  start();
})();
