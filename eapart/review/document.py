"""The HTML document of a review page: Leaflet map, overlay groups, layer control.

Written directly rather than through folium: a page needs one map, a feature group
per layer, a layer control and a fitted view, which is a few lines of script.
Building them from folium templates cost more than all of a township's geometry
(its import alone takes most of a second) and needed its random element ids
replaced to make two runs write the same bytes; here every name is fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from eapart.review.assets import safe_json, script_tag, style_tag

#: The page's own layout: the map fills the window.
PAGE_CSS = ("html, body { width: 100%; height: 100%; margin: 0; padding: 0; }\n"
            "#map { position: relative; width: 100%; height: 100%; left: 0; top: 0; }\n"
            ".leaflet-container { font-size: 1rem; }")


@dataclass(frozen=True)
class MapView:
    """The script-side description of a page's map.

    ``groups`` are (key, name in the layer control), drawn in this order; ``bounds``
    is (west, south, east, north) in degrees; ``tiles`` the basemap's options from
    :func:`eapart.review.pages.basemap_options` (``None``: no basemap).
    """

    groups: Sequence[tuple[str, str]]
    bounds: tuple[float, float, float, float]
    tiles: dict | None = None
    padding_top_left: tuple[int, int] = (270, 10)
    padding_bottom_right: tuple[int, int] = (350, 10)


@dataclass
class Document:
    """A page's parts, in document order; :meth:`html` joins them."""

    title: str
    styles: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    tail_script: str = ""

    def html(self) -> str:
        """The whole page; ``styles`` and ``scripts`` are inlined in the head."""
        head = [f"<title>{escape(self.title)}</title>",
                '<meta charset="utf-8">',
                '<meta name="viewport" content="width=device-width, initial-scale=1.0, '
                'maximum-scale=1.0, user-scalable=no">',
                *(style_tag(css) for css in (*self.styles, PAGE_CSS)),
                *(script_tag(code) for code in self.scripts)]
        body = [*self.body, '<div id="map"></div>', script_tag(self.tail_script)]
        return ("<!DOCTYPE html>\n<html>\n<head>\n" + "\n".join(head) + "\n</head>\n<body>\n"
                + "\n".join(body) + "\n</body>\n</html>\n")


def map_script(view: MapView) -> str:
    """Script that makes the map, its groups and controls, then calls ``eapartReview``.

    The order is the one ``review.js`` expects: groups exist (and are on the map)
    before ``eapartReview`` fills them; the view is fitted last.
    """
    west, south, east, north = (float(v) for v in view.bounds)
    center = [(south + north) / 2, (west + east) / 2]
    lines = ['var map = L.map("map", ' + safe_json(
        {"center": center, "zoom": 12, "zoomControl": True, "preferCanvas": True}) + ");",
             "L.control.scale().addTo(map);"]
    if view.tiles:
        lines.append(tile_layer_call(view.tiles) + ".addTo(map);")
    lines.append("var groups = {};")
    for key, _ in (*view.groups, ("labels", "")):
        lines.append(f"groups[{safe_json(key)}] = L.featureGroup().addTo(map);")
    lines.append('eapartReview(map, groups, '
                 'JSON.parse(document.getElementById("eapart-data").textContent));')
    overlays = ", ".join(f"{safe_json(name)}: groups[{safe_json(key)}]"
                         for key, name in (*view.groups, ("labels", "Code labels")))
    lines.append("L.control.layers({}, {" + overlays + "}, "
                 + safe_json({"position": "topleft", "collapsed": False, "autoZIndex": True})
                 + ").addTo(map);")
    lines.append(f"map.fitBounds({safe_json([[south, west], [north, east]])}, "
                 + safe_json({"paddingTopLeft": list(view.padding_top_left),
                              "paddingBottomRight": list(view.padding_bottom_right)}) + ");")
    return "\n".join(lines)


def tile_layer_call(tiles: dict) -> str:
    """``L.tileLayer(url, options)`` for a basemap's options (its attribution is escaped)."""
    options = {"minZoom": 0, "maxZoom": tiles.get("max_zoom", 19),
               "maxNativeZoom": tiles.get("max_zoom", 19), "attribution": tiles["attr"]}
    if "subdomains" in tiles:
        options["subdomains"] = tiles["subdomains"]
    return f"L.tileLayer({safe_json(tiles['tiles'])}, {safe_json(options)})"
