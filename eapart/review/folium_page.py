"""The HTML of a review page, built by folium: Leaflet map, overlay groups, layer control.

Imported only when a page is built (from :func:`eapart.review.pages.render_page`),
so that importing eapart or running ``eapart --help`` does not load folium.
Element ids are numbered per page (:mod:`eapart.review.stable_ids`), so the same
output gives the same bytes, whichever thread builds the page; the templates branca
makes of each element's text are compiled once (:mod:`eapart.review.compiled_templates`).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from eapart.review import compiled_templates  # noqa: F401 - compiles each template once
from eapart.review.stable_ids import numbered_element_ids


class RawHtml(Element):
    """HTML inserted verbatim (not run through Jinja: inlined libraries contain braces)."""

    def __init__(self, html: str, name: str):
        super().__init__()
        self._name = name
        self._html = html

    def render(self, **kwargs) -> str:
        return self._html


class ReviewLayers(MacroElement):
    """Calls ``eapartReview`` once the map and its feature groups exist."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            eapartReview({{ this._parent.get_name() }}, {
            {%- for key, group in this.groups.items() %}
                {{ key|tojson }}: {{ group.get_name() }},
            {%- endfor %}
            }, JSON.parse(document.getElementById("eapart-data").textContent));
        {% endmacro %}
        """
    )

    def __init__(self, groups: dict[str, folium.FeatureGroup]):
        super().__init__()
        self._name = "ReviewLayers"
        self.groups = groups


@numbered_element_ids
def folium_page(*, title: str, groups: Sequence[tuple[str, str]],
                bounds: tuple[float, float, float, float], tiles: dict | None,
                head: Sequence[tuple[str, str]], body: Sequence[tuple[str, str]]) -> str:
    """One page: a folium map fitted to ``bounds`` with a feature group per layer.

    ``groups`` are (key, name in the layer control) in drawing order; ``tiles`` the
    basemap's :class:`folium.TileLayer` options (``None``: no basemap); ``head`` and
    ``body`` are (name, HTML) inserted verbatim, in this order.
    """
    figure = Figure(title=escape(title))
    west, south, east, north = (float(v) for v in bounds)
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=12,
                      tiles=None, prefer_canvas=True, control_scale=True, max_zoom=20)
    fmap.default_js = []
    fmap.default_css = []
    figure.add_child(fmap)
    if tiles:
        folium.TileLayer(**tiles, overlay=False, control=False).add_to(fmap)
    feature_groups = {key: folium.FeatureGroup(name=name, show=True).add_to(fmap)
                      for key, name in (*groups, ("labels", "Code labels"))}
    fmap.add_child(ReviewLayers(feature_groups))
    folium.LayerControl(collapsed=False, position="topleft").add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]], padding_top_left=(270, 10),
                    padding_bottom_right=(350, 10))
    for name, html in head:
        figure.header.add_child(RawHtml(html, name))
    for name, html in body:
        figure.html.add_child(RawHtml(html, name))
    return figure.render()
