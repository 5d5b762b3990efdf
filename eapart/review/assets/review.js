/* eapart review map: layers, popups, code labels, search, full screen and measuring.
 * Plain JavaScript over Leaflet; every text from the data is escaped before it is
 * shown (esc() for HTML strings, textContent for DOM nodes). */
(function () {
  "use strict";

  var ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  function esc(value) {
    if (value === null || value === undefined) return "";
    return String(value).replace(/[&<>"']/g, function (c) { return ESCAPES[c]; });
  }

  function fmt(value) {
    if (value === null || value === undefined || value === "") return "–";
    if (typeof value === "number") return value.toLocaleString("en-US");
    return String(value);
  }

  function prop(layer, column, i) {
    var values = layer.props[column];
    return values ? values[i] : null;
  }

  function flagList(layer, i, descriptions) {
    var text = prop(layer, "flags", i);
    if (!text) return [];
    return String(text).split(",").map(function (f) { return f.trim(); })
      .filter(function (f) { return f.length > 0; })
      .map(function (f) { return { name: f, text: descriptions[f] || "" }; });
  }

  function popupHtml(layer, i, meta) {
    var code = prop(layer, layer.code, i);
    var html = "<div class='eapart-popup'><div class='eapart-popup-title'>" + esc(layer.title) +
      " <b class='eapart-code'>" + esc(code) + "</b></div><table>";
    layer.fields.forEach(function (field) {
      html += "<tr><th>" + esc(field[0]) + "</th><td>" + esc(fmt(prop(layer, field[1], i))) +
        "</td></tr>";
    });
    if ("flags" in layer.props) {
      var flags = flagList(layer, i, meta.flags);
      html += "<tr><th>Flags</th><td>";
      html += flags.length ? flags.map(function (f) {
        return "<div><span class='eapart-flag'>" + esc(f.name) + "</span> " + esc(f.text) + "</div>";
      }).join("") : "none";
      html += "</td></tr>";
    }
    html += "</table>";
    var page = prop(layer, "page", i);
    if (page) html += "<a class='eapart-link' href='" + esc(page) + "'>Open the township page (buildings) →</a>";
    return html + "</div>";
  }

  function tooltipHtml(layer, i, meta) {
    var name = layer.name ? prop(layer, layer.name, i) : null;
    var size = prop(layer, meta.measure, i);
    return "<b>" + esc(prop(layer, layer.code, i)) + "</b>" + (name ? " " + esc(name) : "") +
      (size !== null && size !== undefined ? "<br>" + esc(fmt(size)) + " " + esc(meta.measure) : "");
  }

  /* Colour modes: how small areas (and their buildings) are filled. Each mode is
   * {key, label, colour(layer, i, meta) -> css colour, legend(layer, meta) -> [{colour,
   * label, count}] or null, available(meta) -> bool}. Another script may add one with
   * eapartColourModes.push(mode) before the page starts, or eapart.addColourMode(mode). */
  function sizeOf(layer, i, meta) {
    var v = prop(layer, meta.measure, i);
    return typeof v === "number" ? v : null;
  }

  function num(v) { return Math.abs(v - Math.round(v)) < 1e-9 ? String(Math.round(v)) : v.toFixed(1); }

  /* A mode from classes [{colour, label, test(value)}]; values that pass no test are grey. */
  function classMode(key, label, classesOf, available) {
    function classify(layer, i, meta) {
      var v = sizeOf(layer, i, meta);
      if (v === null) return -1;
      var classes = classesOf(meta);
      for (var k = 0; k < classes.length; k++) if (classes[k].test(v)) return k;
      return -1;
    }
    return {
      key: key, label: label, available: available || function () { return true; },
      colour: function (layer, i, meta) {
        var k = classify(layer, i, meta);
        return k < 0 ? "#bdbdbd" : classesOf(meta)[k].colour;
      },
      legend: function (layer, meta) {
        var classes = classesOf(meta), counts = classes.map(function () { return 0; });
        var n = (layer.props[layer.code] || []).length;
        for (var i = 0; i < n; i++) { var k = classify(layer, i, meta); if (k >= 0) counts[k]++; }
        return classes.map(function (c, k) { return { colour: c.colour, label: c.label, count: counts[k] }; });
      }
    };
  }

  var SIZE_COLOURS = ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"];

  function sizeClasses(meta) {
    var t = meta.band.target || meta.sizeMax || 1;
    var edges = [0.25, 0.5, 0.75, 1, 1.25, 1.5].map(function (r) { return r * t; });
    return SIZE_COLOURS.map(function (colour, k) {
      var lo = k ? edges[k - 1] : -Infinity, hi = k < edges.length ? edges[k] : Infinity;
      var label = k === 0 ? "under " + num(hi) : hi === Infinity ? num(lo) + " and over" : num(lo) + "–" + num(hi);
      return { colour: colour, label: label, test: function (v) { return v >= lo && v < hi; } };
    });
  }

  function deviationClasses(meta) {
    var b = meta.band, t = b.target || 0;
    var lo = b.min !== null ? b.min : 0.8 * t, hi = b.max !== null ? b.max : 1.2 * t;
    var wide = Math.max(hi - lo, 0.2 * t, 1);
    return [
      { colour: "#2166ac", label: "under " + num(lo - wide) + " (far under)", test: function (v) { return v < lo - wide; } },
      { colour: "#92c5de", label: num(lo - wide) + " to under " + num(lo), test: function (v) { return v < lo; } },
      { colour: "#c2e699", label: "within " + num(lo) + "–" + num(hi), test: function (v) { return v <= hi; } },
      { colour: "#f4a582", label: "over " + num(hi) + " to " + num(hi + wide), test: function (v) { return v <= hi + wide; } },
      { colour: "#b2182b", label: "over " + num(hi + wide) + " (far over)", test: function () { return true; } }
    ];
  }

  var MODES = window.eapartColourModes = window.eapartColourModes || [];
  MODES.unshift(
    { key: "area", label: "Small area (neighbours differ)", available: function () { return true; },
      colour: function (layer, i, meta) { return meta.palette[(prop(layer, "colour", i) || 0) % meta.palette.length]; },
      legend: function () { return null; } },
    classMode("size", function (meta) { return "Size (" + meta.measure + ")"; }, sizeClasses),
    classMode("deviation", "Deviation from the target", deviationClasses,
      function (meta) { return !!meta.band.target || meta.band.min !== null; })
  );

  function flagNames(layer, i) {
    var text = prop(layer, "flags", i);
    return text ? String(text).split(",").map(function (f) { return f.trim(); }).filter(Boolean) : [];
  }

  /* The flag an area is drawn with: the filter's flag, else its most severe one. */
  function shownFlag(layer, i, meta, state) {
    var flags = flagNames(layer, i);
    if (state.flagFilter) return flags.indexOf(state.flagFilter) >= 0 ? state.flagFilter : null;
    var order = Object.keys(meta.flagStyles);
    flags.sort(function (a, b) {
      var ia = order.indexOf(a), ib = order.indexOf(b);
      return (ia < 0 ? -1 : ia) - (ib < 0 ? -1 : ib);
    });
    return flags.length ? flags[0] : null;
  }

  function fillOf(ctx, layer, i) {
    var mode = ctx.mode();
    if (layer.kind === "building") {
      var k = ctx.smallIndex[prop(layer, "small_area_code", i)];
      if (k === undefined || !ctx.small) return "#bdbdbd";
      return mode.colour(ctx.small, k, ctx.meta);
    }
    return mode.colour(layer, i, ctx.meta);
  }

  function styleFor(layer, i, ctx) {
    var meta = ctx.meta, state = ctx.state;
    switch (layer.kind) {
      case "township":
        return { color: "#111", weight: 3.5, fill: false, opacity: 0.9 };
      case "census_area":
        return { color: "#333", weight: 2, fill: false, dashArray: null, opacity: 0.85 };
      case "small_area":
        var flag = shownFlag(layer, i, meta, state);
        var fs = flag ? (meta.flagStyles[flag] || { severity: "problem", colour: "#d7191c" }) : null;
        var problem = fs && fs.severity === "problem";
        var dim = state.flagFilter && !flag;
        var base = meta.page === "township" ? 0.25 : (ctx.mode().key === "area" ? 0.55 : 0.75);
        return {
          color: fs ? fs.colour : "#555", weight: fs ? (problem ? 3.5 : 2) : 0.8,
          dashArray: fs && !problem ? "5 4" : null, fillColor: fillOf(ctx, layer, i),
          fillOpacity: dim ? 0.06 : base, opacity: dim ? 0.4 : 1
        };
      case "building":
        return { color: "#333", weight: 0.5, fillColor: fillOf(ctx, layer, i), fillOpacity: 0.95, radius: 3 };
      case "unassigned":
        return { color: "#d7191c", weight: 2, fillColor: "#fff", fillOpacity: 1, radius: 5 };
      case "water":
        return { color: "#3a7bd5", weight: 1.5, fillColor: "#9cc3f0", fillOpacity: 0.6, interactive: false };
      case "rail":
        return { color: "#555", weight: 1.5, dashArray: "4 3", interactive: false };
      default:
        var major = prop(layer, "class", i) === "major";
        return { color: major ? "#b8860b" : "#999", weight: major ? 2 : 0.8, interactive: false };
    }
  }

  function buildLayer(layer, map, ctx, renderer) {
    var meta = ctx.meta, state = ctx.state;
    var features = [];
    layer.geoms.forEach(function (g, i) {
      if (g) features.push({ type: "Feature", geometry: g, properties: { i: i } });
    });
    /* On a canvas an unfilled polygon still catches clicks inside it, so the outline
     * levels (townships, census areas) stay out of the way: their figures are in the
     * small-area popups and in search results. */
    var interactive = ["small_area", "building", "unassigned"].indexOf(layer.kind) >= 0;
    var style = function (f) { return styleFor(layer, f.properties.i, ctx); };
    var geo = L.geoJSON({ type: "FeatureCollection", features: features }, {
      renderer: renderer,
      interactive: interactive,
      style: style,
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, Object.assign({ renderer: renderer }, style(f)));
      }
    });
    layer.items = {};
    geo.eachLayer(function (item) { layer.items[item.feature.properties.i] = item; });
    if (interactive) {
      var onClick = function (e) {
        if (state.measuring) return;
        var i = e.target.feature.properties.i;
        L.popup({ maxWidth: 360 }).setLatLng(e.latlng).setContent(popupHtml(layer, i, meta)).openOn(map);
      };
      geo.eachLayer(function (item) { item.on("click", onClick); });
      if (layer.kind !== "building") {
        geo.eachLayer(function (item) {
          item.bindTooltip(function () { return tooltipHtml(layer, item.feature.properties.i, meta); },
            { sticky: true, direction: "top", opacity: 0.9 });
        });
      }
    }
    return geo;
  }

  /* Labels: the finest level whose areas in view are few enough to read. */
  function labelText(layer, i, full) {
    var code = String(prop(layer, layer.code, i) || "");
    if (layer.kind === "township") {
      var name = prop(layer, "name", i);
      return (name ? name + " " : "") + code.slice(-3);
    }
    if (full || code.length < 6) return code;
    return code.slice(-6, -3) + "-" + code.slice(-3);
  }

  /* Labels of the finest level whose areas in view are few enough to read; a label that
   * would overlap one already placed is left out, so labels never pile up. */
  function labelBox(map, latlng, text, kind) {
    var p = map.latLngToContainerPoint(latlng);
    var w = text.length * (kind === "township" ? 8.5 : 7) + 6, h = kind === "township" ? 18 : 15;
    return [p.x - w / 2, p.y - h / 2, p.x + w / 2, p.y + h / 2];
  }

  function overlaps(a, b) { return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]; }

  function updateLabels(map, layers, group, state, meta) {
    group.clearLayers();
    state.labelCount = 0;
    if (!state.labelsOn) return;
    var bounds = map.getBounds().pad(-0.02);
    var order = ["small_area", "census_area", "township"];
    for (var k = 0; k < order.length; k++) {
      var layer = layers.filter(function (l) { return l.kind === order[k] && l.labels; })[0];
      if (!layer || !map.hasLayer(layer.group)) continue;
      var visible = [];
      layer.labels.forEach(function (p, i) {
        if (p && bounds.contains(p)) visible.push(i);
      });
      if (visible.length === 0 || visible.length > meta.labelMax) continue;
      /* Whole codes only when zoomed in on a few areas; short codes otherwise. */
      var full = visible.length <= 12 || (map.getZoom() >= 16 && visible.length <= meta.labelMax / 3);
      var placed = [];
      visible.forEach(function (i) {
        var text = labelText(layer, i, full);
        var box = labelBox(map, layer.labels[i], text, layer.kind);
        for (var j = 0; j < placed.length; j++) if (overlaps(box, placed[j])) return;
        placed.push(box);
        var span = document.createElement("span");
        span.textContent = text;
        var icon = L.divIcon({ className: "eapart-label eapart-label-" + layer.kind, html: span, iconSize: null });
        L.marker(layer.labels[i], { icon: icon, interactive: false, keyboard: false }).addTo(group);
      });
      state.labelCount = placed.length;
      return;
    }
  }

  function control(position, build) {
    var Ctl = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create("div", "leaflet-bar eapart-control");
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        build(div);
        return div;
      }
    });
    return new Ctl({ position: position });
  }

  /* Icons drawn inline (no icon font, no request): full screen corners and a ruler. */
  var ICONS = {
    fullscreen: "<svg viewBox='0 0 20 20' width='18' height='18'><path d='M2 7V2h5M13 2h5v5M18 13v5h-5M7 18H2v-5' fill='none' stroke='#222' stroke-width='2'/></svg>",
    ruler: "<svg viewBox='0 0 20 20' width='18' height='18'><path d='M1 14L14 1l5 5L6 19z' fill='none' stroke='#222' stroke-width='1.6'/><path d='M5 10l2 2M8 7l2 2M11 4l2 2' stroke='#222' stroke-width='1.4'/></svg>"
  };

  function button(parent, icon, title, onClick) {
    var a = L.DomUtil.create("a", "eapart-button", parent);
    a.href = "#";
    a.title = title;
    a.setAttribute("role", "button");
    a.setAttribute("aria-label", title);
    a.innerHTML = ICONS[icon];
    L.DomEvent.on(a, "click", function (e) { L.DomEvent.preventDefault(e); onClick(a); });
    return a;
  }

  /* Search: codes and names of every area layer on the page; on the county page also
   * every building id, which opens its township page at the building. */
  function searchIndex(layers, meta) {
    var entries = [];
    layers.forEach(function (layer) {
      if (!layer.searchable) return;
      var codes = layer.props[layer.code] || [];
      var names = layer.name ? layer.props[layer.name] || [] : [];
      codes.forEach(function (code, i) {
        entries.push({ layer: layer, i: i, code: String(code || ""), name: names[i] ? String(names[i]) : "" });
      });
    });
    Object.keys(meta.buildings || {}).forEach(function (township) {
      meta.buildings[township].forEach(function (id) {
        entries.push({ layer: null, building: true, township: township, code: String(id), name: "" });
      });
    });
    return entries;
  }

  function findEntries(entries, query, limit) {
    var q = query.trim().toLowerCase();
    if (!q) return [];
    var exact = [], prefix = [], inside = [];
    entries.forEach(function (e) {
      var code = e.code.toLowerCase(), name = e.name.toLowerCase();
      if (code === q) exact.push(e);
      else if (code.indexOf(q) === 0 || name.indexOf(q) === 0) prefix.push(e);
      else if (!e.building && (code.indexOf(q) > 0 || name.indexOf(q) > 0)) inside.push(e);
    });
    return exact.concat(prefix, inside).slice(0, limit);
  }

  function entryTitle(e) {
    if (e.building) return " building · township " + e.township + " (opens its page)";
    return " " + e.layer.title.toLowerCase() + (e.name ? " · " + e.name : "");
  }

  /* The township page of a building, with the building named in the URL's hash. */
  function buildingUrl(meta, e) {
    return meta.townshipPage[e.township] + "#building=" + encodeURIComponent(e.code);
  }

  function goTo(map, entry, ctx) {
    if (entry.building) {
      window.location.href = buildingUrl(ctx.meta, entry);
      return true;
    }
    var item = entry.layer.items[entry.i];
    if (!item) return false;
    if (!map.hasLayer(entry.layer.group)) map.addLayer(entry.layer.group);
    var bounds = item.getBounds ? item.getBounds() : L.latLngBounds([item.getLatLng()]);
    map.fitBounds(bounds, { maxZoom: 19, padding: [30, 30], animate: false });
    var at = entry.layer.labels && entry.layer.labels[entry.i] ? entry.layer.labels[entry.i] : bounds.getCenter();
    L.popup({ maxWidth: 360 }).setLatLng(at).setContent(popupHtml(entry.layer, entry.i, ctx.meta)).openOn(map);
    if (item.setStyle) {
      item.setStyle({ weight: 5, color: "#0050ff" });
      setTimeout(function () { item.setStyle(styleFor(entry.layer, entry.i, ctx)); }, 2500);
    }
    return true;
  }

  function searchControl(map, entries, ctx) {
    return control("topleft", function (div) {
      div.classList.add("eapart-search");
      var input = L.DomUtil.create("input", "", div);
      input.type = "search";
      input.placeholder = ctx.meta.buildings ? "Search a code, name or building id" : "Search a code or name";
      input.setAttribute("aria-label", input.placeholder);
      var list = L.DomUtil.create("ul", "eapart-results", div);
      var found = [];
      function show() {
        found = findEntries(entries, input.value, 12);
        list.textContent = "";
        found.forEach(function (e) {
          var li = L.DomUtil.create("li", "", list);
          var code = L.DomUtil.create("b", "", li);
          code.textContent = e.code;
          var rest = L.DomUtil.create("span", "", li);
          rest.textContent = entryTitle(e);
          L.DomEvent.on(li, "click", function () { goTo(map, e, ctx); list.textContent = ""; });
        });
        if (input.value.trim() && !found.length) {
          var none = L.DomUtil.create("li", "eapart-none", list);
          none.textContent = "No match";
        }
      }
      L.DomEvent.on(input, "input", show);
      L.DomEvent.on(input, "keydown", function (e) {
        if (e.key === "Enter") {
          show();
          if (found.length) { goTo(map, found[0], ctx); list.textContent = ""; }
        }
      });
    });
  }

  function fullscreenControl() {
    return control("topleft", function (div) {
      button(div, "fullscreen", "Full screen", function () {
        if (document.fullscreenElement) document.exitFullscreen();
        else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
      });
    });
  }

  function formatDistance(metres) {
    return metres < 1000 ? metres.toFixed(0) + " m" : (metres / 1000).toFixed(2) + " km";
  }

  /* Measuring: click points on the map; the running distance shows at the last point.
   * Click the ruler again (or press Escape) to stop. */
  function measureControl(map, state) {
    var line = null, points = [], marker = null, buttonEl = null;
    function clear() {
      if (line) map.removeLayer(line);
      if (marker) map.removeLayer(marker);
      line = null; marker = null; points = [];
    }
    function stop() {
      state.measuring = false;
      map.getContainer().classList.remove("eapart-measuring");
      map.doubleClickZoom.enable();
      if (buttonEl) buttonEl.classList.remove("eapart-active");
    }
    function total() {
      var d = 0;
      for (var k = 1; k < points.length; k++) d += map.distance(points[k - 1], points[k]);
      return d;
    }
    map.on("click", function (e) {
      if (!state.measuring) return;
      points.push(e.latlng);
      if (!line) line = L.polyline(points, { color: "#0050ff", weight: 3, dashArray: "8 6", interactive: false }).addTo(map);
      else line.setLatLngs(points);
      if (!marker) {
        marker = L.tooltip({ permanent: true, direction: "right", className: "eapart-distance" })
          .setLatLng(e.latlng).addTo(map);
      }
      marker.setLatLng(e.latlng).setContent(esc(formatDistance(total())));
      state.distance = total();
    });
    L.DomEvent.on(document, "keydown", function (e) { if (e.key === "Escape" && state.measuring) stop(); });
    return control("topleft", function (div) {
      buttonEl = button(div, "ruler", "Measure a distance (click points; click here again to stop)", function (a) {
        if (state.measuring) { stop(); return; }
        clear();
        state.measuring = true;
        state.distance = 0;
        map.closePopup();
        map.doubleClickZoom.disable();
        map.getContainer().classList.add("eapart-measuring");
        a.classList.add("eapart-active");
      });
    });
  }

  function panelControl(map) {
    var panel = document.getElementById("eapart-panel");
    if (!panel) return;
    var Ctl = L.Control.extend({
      onAdd: function () {
        L.DomEvent.disableClickPropagation(panel);
        L.DomEvent.disableScrollPropagation(panel);
        return panel;
      }
    });
    new Ctl({ position: "topright" }).addTo(map);
  }

  /* The panel's controls: colour mode and its legend, the one-flag filter, the
   * worst-first list and the fold button. */
  function modeLabel(mode, meta) { return typeof mode.label === "function" ? mode.label(meta) : mode.label; }

  function showLegend(ctx) {
    var box = document.getElementById("eapart-colour-legend");
    if (!box) return;
    box.textContent = "";
    var rows = ctx.small ? ctx.mode().legend(ctx.small, ctx.meta) : null;
    if (!rows) return;
    var list = L.DomUtil.create("ul", "eapart-classes", box);
    rows.forEach(function (row) {
      var li = L.DomUtil.create("li", "", list);
      var swatch = L.DomUtil.create("span", "eapart-swatch", li);
      swatch.style.background = row.colour;
      var text = L.DomUtil.create("span", "", li);
      text.textContent = row.label + " (" + row.count + ")";
    });
  }

  function panelControls(ctx, api) {
    var select = document.getElementById("eapart-colour-mode");
    if (select) {
      select.textContent = "";
      MODES.forEach(function (mode) {
        if (!mode.available(ctx.meta)) return;
        var option = document.createElement("option");
        option.value = mode.key;
        option.textContent = modeLabel(mode, ctx.meta);
        select.appendChild(option);
      });
      select.value = ctx.state.mode;
      select.onchange = function () { api.setColourMode(select.value); };
    }
    var filter = document.getElementById("eapart-flag-filter");
    if (filter) filter.onchange = function () { api.setFlagFilter(filter.value); };
    document.querySelectorAll(".eapart-legend li[data-flag]").forEach(function (li) {
      li.onclick = function () {
        var flag = li.getAttribute("data-flag");
        api.setFlagFilter(ctx.state.flagFilter === flag ? "" : flag);
      };
    });
    document.querySelectorAll("#eapart-worst li[data-code]").forEach(function (li) {
      var go = function () { api.go(li.getAttribute("data-code")); };
      li.onclick = go;
      li.onkeydown = function (e) { if (e.key === "Enter") go(); };
    });
    var panel = document.getElementById("eapart-panel");
    var fold = panel ? panel.querySelector(".eapart-fold") : null;
    if (fold) fold.onclick = function () {
      var folded = panel.classList.toggle("eapart-folded");
      fold.textContent = folded ? "+" : "–";
    };
  }

  /* A township page opened as page.html#building=ID (or #code=CODE) shows that feature. */
  function followHash(api) {
    var match = /^#(building|code)=(.+)$/.exec(window.location.hash || "");
    if (!match) return false;
    var wanted = decodeURIComponent(match[2]);
    return match[1] === "building" ? api.goLayer("buildings", wanted) : api.go(wanted);
  }

  window.eapartReview = function (map, groups, data) {
    var meta = data.meta;
    var state = { measuring: false, labelsOn: true, distance: 0, mode: "area", flagFilter: "", labelCount: 0 };
    var renderer = L.canvas({ padding: 0.3, tolerance: 3 });
    map.attributionControl.setPrefix("Leaflet");
    var small = data.layers.filter(function (l) { return l.kind === "small_area"; })[0] || null;
    var smallIndex = {};
    if (small) (small.props[small.code] || []).forEach(function (code, i) { smallIndex[code] = i; });
    var ctx = {
      meta: meta, state: state, small: small, smallIndex: smallIndex,
      mode: function () {
        for (var k = 0; k < MODES.length; k++) if (MODES[k].key === state.mode) return MODES[k];
        return MODES[0];
      }
    };
    data.layers.forEach(function (layer) {
      layer.group = groups[layer.key];
      buildLayer(layer, map, ctx, renderer).addTo(layer.group);
    });
    var labels = groups.labels;
    var refresh = function () { updateLabels(map, data.layers, labels, state, meta); };
    map.on("moveend zoomend overlayadd overlayremove", refresh);
    map.on("overlayremove", function (e) { if (e.layer === labels) state.labelsOn = false; });
    map.on("overlayadd", function (e) { if (e.layer === labels) { state.labelsOn = true; refresh(); } });
    var entries = searchIndex(data.layers, meta);
    searchControl(map, entries, ctx).addTo(map);
    fullscreenControl().addTo(map);
    measureControl(map, state).addTo(map);
    panelControl(map);
    function restyle() {
      data.layers.forEach(function (layer) {
        if (["small_area", "building"].indexOf(layer.kind) < 0) return;
        Object.keys(layer.items).forEach(function (i) { layer.items[i].setStyle(styleFor(layer, +i, ctx)); });
      });
    }
    var api = window.eapart = {
      map: map, layers: data.layers, groups: groups, state: state, meta: meta, modes: MODES,
      find: function (query) { return findEntries(entries, query, 12); },
      go: function (code) {
        var hit = findEntries(entries, code, 1)[0];
        return hit ? goTo(map, hit, ctx) : false;
      },
      goLayer: function (key, code) {
        var hit = entries.filter(function (e) { return e.layer && e.layer.key === key && e.code === code; })[0];
        return hit ? goTo(map, hit, ctx) : false;
      },
      styleOf: function (key, i) {
        var layer = data.layers.filter(function (l) { return l.key === key; })[0];
        return styleFor(layer, i, ctx);
      },
      setColourMode: function (key) {
        state.mode = key;
        var select = document.getElementById("eapart-colour-mode");
        if (select && select.value !== key) select.value = key;
        restyle();
        showLegend(ctx);
      },
      setFlagFilter: function (flag) {
        state.flagFilter = flag || "";
        var select = document.getElementById("eapart-flag-filter");
        if (select && select.value !== state.flagFilter) select.value = state.flagFilter;
        document.querySelectorAll(".eapart-legend li[data-flag]").forEach(function (li) {
          li.classList.toggle("eapart-chosen", li.getAttribute("data-flag") === state.flagFilter);
        });
        restyle();
      },
      addColourMode: function (mode) {
        MODES.push(mode);
        panelControls(ctx, api);
      },
      restyle: restyle,
      ready: false
    };
    panelControls(ctx, api);
    showLegend(ctx);
    refresh();
    window.addEventListener("hashchange", function () { followHash(api); });
    /* After the page's own script has fitted the map to the township (and that zoom's
     * animation, if any, has ended: it would otherwise undo the jump). */
    setTimeout(function () {
      var go = function () { followHash(api); api.ready = true; };
      if (map._animatingZoom) map.once("zoomend", function () { setTimeout(go, 0); });
      else go();
    }, 0);
  };
})();
