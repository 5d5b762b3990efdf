"""The review page of an assignment: ``map/enumerators.html``.

Areas are coloured by enumerator (no two touching workloads share a colour),
supervisor teams are outlined, and a legend lists every workload with its
colour, its person (where a staff list was given), its team and supervisor, and
its load in households and persons; typing in the filter narrows the list and a
click on a row shows that workload. The page stands alone beside the review map
(it only borrows its Leaflet and JSON helpers), requests nothing from the
network, and writes every text with ``textContent``: no name is read as HTML.
Only ids, names and loads are on the page: no other column of a staff list.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import geopandas as gpd
import numpy as np

from eapart.review.assets import leaflet_css, leaflet_js, safe_json, script_tag, style_tag
from eapart.review.colouring import colour_indices, palette_for
from eapart.review.geojson import column_values, display_crs_frame, layer_json
from eapart.staff.plan import SLOT, TEAM

PAGE_NAME = "enumerators.html"
SLOT_FIELDS = (SLOT, "enumerator_id", "enumerator_name", TEAM, "supervisor_name",
               "households", "persons", "small_areas", "load")
TEAM_FIELDS = (TEAM, "supervisor_id", "supervisor_name", "enumerators", "households")

_CSS = """
html,body{margin:0;height:100%;font:13px/1.4 system-ui,"Noto Sans CJK SC",sans-serif}
#map{position:absolute;left:0;top:0;bottom:0;right:470px;background:#f4f4f0}
#panel{position:absolute;right:0;top:0;bottom:0;width:470px;overflow:auto;
 border-left:1px solid #ccc;padding:8px;box-sizing:border-box;background:#fff}
#panel h1{font-size:15px;margin:0 0 6px}
#summary td{padding:0 6px 0 0}
#filter{width:100%;box-sizing:border-box;margin:6px 0}
#legend{border-collapse:collapse;width:100%;font-size:12px}
#legend td,#legend th{padding:1px 4px;border-bottom:1px solid #eee;text-align:left}
#legend tr.row{cursor:pointer}
#legend .sw{width:14px;height:14px;display:inline-block;border:1px solid #666}
#legend .off{color:#b00}
"""

_JS = r"""
(function () {
  const D = JSON.parse(document.getElementById('eapart-data').textContent);
  const map = L.map('map', {preferCanvas: true});
  const feature = (layer, i) => {
    const p = {};
    for (const k in layer.props) p[k] = layer.props[k][i];
    return {type: 'Feature', geometry: layer.geoms[i], properties: p};
  };
  const collection = (layer) => ({type: 'FeatureCollection',
    features: layer.geoms.map((g, i) => feature(layer, i)).filter(f => f.geometry)});
  const byslot = {};
  const popup = (p) => {
    const box = document.createElement('div');
    const rows = [['enumerator slot', p.enumerator_slot], ['enumerator', p.enumerator_name],
      ['supervisor team', p.supervisor_team], ['supervisor', p.supervisor_name],
      ['households', p.households], ['persons', p.persons], ['small areas', p.small_areas]];
    for (const [k, v] of rows) {
      const line = document.createElement('div');
      line.textContent = k + ': ' + (v === null || v === undefined || v === '' ? '—' : v);
      box.appendChild(line);
    }
    return box;
  };
  const slots = L.geoJSON(collection(D.slots), {
    style: f => ({color: '#555', weight: 0.6, fillOpacity: 0.75,
                  fillColor: D.palette[f.properties.colour % D.palette.length]}),
    onEachFeature: (f, layer) => {
      byslot[f.properties.enumerator_slot] = layer;
      layer.bindPopup(() => popup(f.properties));
    }
  }).addTo(map);
  L.geoJSON(collection(D.teams), {
    style: () => ({color: '#222', weight: 2.2, fill: false}), interactive: false
  }).addTo(map);
  if (slots.getBounds().isValid()) map.fitBounds(slots.getBounds());
  const table = document.querySelector('#summary tbody');
  for (const [k, v] of D.summary) {
    const tr = table.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = v;
  }
  const body = document.querySelector('#legend tbody');
  const n = D.slots.props.enumerator_slot.length;
  for (let i = 0; i < n; i++) {
    const p = feature(D.slots, i).properties;
    const tr = body.insertRow();
    tr.className = 'row';
    const sw = document.createElement('span');
    sw.className = 'sw';
    sw.style.background = D.palette[p.colour % D.palette.length];
    tr.insertCell().appendChild(sw);
    for (const k of ['enumerator_slot', 'enumerator_name', 'supervisor_team',
                     'households', 'persons']) {
      const cell = tr.insertCell();
      const v = p[k];
      cell.textContent = v === null || v === undefined || v === '' ? '—' : v;
      if (k === 'households' || k === 'persons') cell.className = p.within ? '' : 'off';
    }
    tr.dataset.text = [p.enumerator_slot, p.enumerator_name, p.supervisor_team,
                       p.supervisor_name].join(' ').toLowerCase();
    tr.addEventListener('click', () => {
      const layer = byslot[p.enumerator_slot];
      if (layer) { map.fitBounds(layer.getBounds(), {maxZoom: 17}); layer.openPopup(); }
    });
  }
  document.getElementById('filter').addEventListener('input', (e) => {
    const q = e.target.value.trim().toLowerCase();
    for (const tr of body.rows) tr.style.display = tr.dataset.text.includes(q) ? '' : 'none';
  });
  window.eapart = {ready: true, slots: n, map: map};
})();
"""


def _props(frame: gpd.GeoDataFrame, fields: tuple[str, ...]) -> dict[str, list]:
    """The fields' values per area; counts of households and persons as whole numbers."""
    props = {name: column_values(frame, name, float_decimals=2) for name in fields}
    for name in ("households", "persons"):
        if name in props:
            props[name] = [None if v is None else int(round(v)) for v in props[name]]
    return props


def enumerator_page(enumerators: gpd.GeoDataFrame, supervisors: gpd.GeoDataFrame,
                    summary: list[tuple[str, object]], title: str, band: tuple[float, float]
                    ) -> str:
    """The page's HTML from the two area layers (any CRS) and summary rows."""
    slots = display_crs_frame(enumerators)
    teams = display_crs_frame(supervisors)
    colours = colour_indices(np.asarray(enumerators.geometry.array), tolerance=0.5)
    props = _props(slots, SLOT_FIELDS)
    props["colour"] = colours.tolist()
    load = slots["load"].to_numpy(dtype=float)
    props["within"] = ((load >= band[0] - 1e-9) & (load <= band[1] + 1e-9)).tolist()
    data = ('{"slots":' + layer_json(np.asarray(slots.geometry.array), props)
            + ',"teams":' + layer_json(np.asarray(teams.geometry.array),
                                       _props(teams, TEAM_FIELDS))
            + ',"palette":' + safe_json(palette_for(int(colours.max(initial=0)) + 1))
            + ',"summary":' + safe_json([[str(k), str(v)] for k, v in summary]) + "}")
    return "\n".join([
        "<!doctype html>", '<html lang="zh"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{escape(title)}</title>", style_tag(leaflet_css()), style_tag(_CSS),
        "</head><body>", '<div id="map"></div>',
        f'<aside id="panel"><h1>{escape(title)}</h1>',
        '<table id="summary"><tbody></tbody></table>',
        '<input id="filter" type="search" placeholder="filter: slot, name, team / 筛选">',
        '<table id="legend"><thead><tr><th></th><th>slot 任务</th><th>普查员</th>'
        "<th>team 指导员组</th><th>户</th><th>人</th></tr></thead><tbody></tbody></table>",
        "</aside>",
        f'<script type="application/json" id="eapart-data">{data}</script>',
        script_tag(leaflet_js()), script_tag(_JS), "</body></html>", ""])


def write_enumerator_page(directory: Path, enumerators: gpd.GeoDataFrame,
                          supervisors: gpd.GeoDataFrame, summary: list[tuple[str, object]],
                          title: str, band: tuple[float, float]) -> Path:
    """Write ``directory/map/enumerators.html`` and return its path."""
    folder = directory / "map"
    folder.mkdir(exist_ok=True)
    path = folder / PAGE_NAME
    path.unlink(missing_ok=True)  # a hard link to the earlier page is never written through
    path.write_text(enumerator_page(enumerators, supervisors, summary, title, band),
                    encoding="utf-8")
    return path
