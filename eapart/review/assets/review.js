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

  function tooltipHtml(layer, i) {
    var name = layer.name ? prop(layer, layer.name, i) : null;
    var size = prop(layer, "households", i);
    return "<b>" + esc(prop(layer, layer.code, i)) + "</b>" + (name ? " " + esc(name) : "") +
      (size !== null && size !== undefined ? "<br>" + esc(fmt(size)) + " households" : "");
  }

  function styleFor(layer, i, meta) {
    var colour = meta.palette[(prop(layer, "colour", i) || 0) % meta.palette.length];
    switch (layer.kind) {
      case "township":
        return { color: "#111", weight: 3.5, fill: false, opacity: 0.9 };
      case "census_area":
        return { color: "#333", weight: 2, fill: false, dashArray: null, opacity: 0.85 };
      case "small_area":
        var flagged = !!prop(layer, "flags", i);
        return {
          color: flagged ? "#d7191c" : "#555", weight: flagged ? 3 : 0.8,
          dashArray: flagged ? "6 4" : null, fillColor: colour,
          fillOpacity: meta.page === "township" ? 0.25 : 0.55, opacity: 1
        };
      case "building":
        return { color: "#333", weight: 0.5, fillColor: colour, fillOpacity: 0.95, radius: 3 };
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

  function buildLayer(layer, map, meta, renderer, state) {
    var features = [];
    layer.geoms.forEach(function (g, i) {
      if (g) features.push({ type: "Feature", geometry: g, properties: { i: i } });
    });
    /* On a canvas an unfilled polygon still catches clicks inside it, so the outline
     * levels (townships, census areas) stay out of the way: their figures are in the
     * small-area popups and in search results. */
    var interactive = ["small_area", "building", "unassigned"].indexOf(layer.kind) >= 0;
    var style = function (f) { return styleFor(layer, f.properties.i, meta); };
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
          item.bindTooltip(function () { return tooltipHtml(layer, item.feature.properties.i); },
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

  function updateLabels(map, layers, group, state, meta) {
    group.clearLayers();
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
      var full = visible.length <= meta.labelMax / 3;
      visible.forEach(function (i) {
        var span = document.createElement("span");
        span.textContent = labelText(layer, i, full);
        var icon = L.divIcon({ className: "eapart-label eapart-label-" + layer.kind, html: span, iconSize: null });
        L.marker(layer.labels[i], { icon: icon, interactive: false, keyboard: false }).addTo(group);
      });
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

  /* Search: codes and names of every area layer on the page. */
  function searchIndex(layers) {
    var entries = [];
    layers.forEach(function (layer) {
      if (!layer.searchable) return;
      var codes = layer.props[layer.code] || [];
      var names = layer.name ? layer.props[layer.name] || [] : [];
      codes.forEach(function (code, i) {
        entries.push({ layer: layer, i: i, code: String(code || ""), name: names[i] ? String(names[i]) : "" });
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
      else if (code.indexOf(q) > 0 || name.indexOf(q) > 0) inside.push(e);
    });
    return exact.concat(prefix, inside).slice(0, limit);
  }

  function goTo(map, entry, meta) {
    var item = entry.layer.items[entry.i];
    if (!item) return false;
    if (!map.hasLayer(entry.layer.group)) map.addLayer(entry.layer.group);
    var bounds = item.getBounds ? item.getBounds() : L.latLngBounds([item.getLatLng()]);
    map.fitBounds(bounds, { maxZoom: 19, padding: [30, 30], animate: false });
    var at = entry.layer.labels && entry.layer.labels[entry.i] ? entry.layer.labels[entry.i] : bounds.getCenter();
    L.popup({ maxWidth: 360 }).setLatLng(at).setContent(popupHtml(entry.layer, entry.i, meta)).openOn(map);
    if (item.setStyle) {
      item.setStyle({ weight: 5, color: "#0050ff" });
      setTimeout(function () { item.setStyle(styleFor(entry.layer, entry.i, meta)); }, 2500);
    }
    return true;
  }

  function searchControl(map, layers, meta) {
    var entries = searchIndex(layers);
    return control("topleft", function (div) {
      div.classList.add("eapart-search");
      var input = L.DomUtil.create("input", "", div);
      input.type = "search";
      input.placeholder = "Search a code or name";
      input.setAttribute("aria-label", "Search a code or name");
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
          rest.textContent = " " + e.layer.title.toLowerCase() + (e.name ? " · " + e.name : "");
          L.DomEvent.on(li, "click", function () { goTo(map, e, meta); list.textContent = ""; });
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
          if (found.length) { goTo(map, found[0], meta); list.textContent = ""; }
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

  window.eapartReview = function (map, groups, data) {
    var meta = data.meta;
    var state = { measuring: false, labelsOn: true, distance: 0 };
    var renderer = L.canvas({ padding: 0.3, tolerance: 3 });
    map.attributionControl.setPrefix("Leaflet");
    data.layers.forEach(function (layer) {
      layer.group = groups[layer.key];
      buildLayer(layer, map, meta, renderer, state).addTo(layer.group);
    });
    var labels = groups.labels;
    var refresh = function () { updateLabels(map, data.layers, labels, state, meta); };
    map.on("moveend zoomend overlayadd overlayremove", refresh);
    map.on("overlayremove", function (e) { if (e.layer === labels) state.labelsOn = false; });
    map.on("overlayadd", function (e) { if (e.layer === labels) { state.labelsOn = true; refresh(); } });
    searchControl(map, data.layers, meta).addTo(map);
    fullscreenControl().addTo(map);
    measureControl(map, state).addTo(map);
    panelControl(map);
    refresh();
    window.eapart = {
      map: map, layers: data.layers, groups: groups, state: state, meta: meta,
      find: function (query) { return findEntries(searchIndex(data.layers), query, 12); },
      go: function (code) {
        var hit = findEntries(searchIndex(data.layers), code, 1)[0];
        return hit ? goTo(map, hit, meta) : false;
      },
      ready: true
    };
  };
})();
