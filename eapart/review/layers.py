"""What each review layer shows: its columns, popup fields, search keys and style kind."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from eapart.review.geojson import column_values, label_points, layer_json


@dataclass(frozen=True)
class LayerSpec:
    """How one layer appears on a page.

    ``key`` names the layer in the page data and the folium feature group; ``kind``
    picks its style and behaviour in ``review.js``; ``code`` and ``name`` are the
    columns shown in tooltips, labels and search results; ``fields`` are the popup
    rows as (label, column).
    """

    key: str
    kind: str
    title: str
    control: str
    code: str
    name: str | None
    fields: tuple[tuple[str, str], ...]
    searchable: bool = True
    labelled: bool = True
    extra_columns: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """Every column the page needs, without repeats."""
        wanted = [self.code, *([self.name] if self.name else []),
                  *(column for _, column in self.fields), *self.extra_columns]
        return list(dict.fromkeys(wanted))


TOWNSHIPS = LayerSpec(
    key="townships", kind="township", title="Township", control="Townships",
    code="township_code", name="name",
    fields=(("Name", "name"), ("Households", "households"), ("Persons", "persons"),
            ("Census areas", "census_areas"), ("Small areas", "small_areas"),
            ("Buildings", "buildings")),
    extra_columns=("page",))

CENSUS_AREAS = LayerSpec(
    key="census_areas", kind="census_area", title="Census area", control="Census areas",
    code="census_area_code", name="name",
    fields=(("Name", "name"), ("Township", "township_name"), ("Township code", "township_code"),
            ("Households", "households"), ("Persons", "persons"),
            ("Small areas", "small_areas"), ("Buildings", "buildings")))

SMALL_AREAS = LayerSpec(
    key="small_areas", kind="small_area", title="Small area", control="Small areas",
    code="small_area_code", name="census_area_name",
    fields=(("Township", "township_name"), ("Census area", "census_area_name"),
            ("Census area code", "census_area_code"), ("Households", "households"),
            ("Persons", "persons"), ("Buildings", "buildings"),
            ("Water or far from buildings (%)", "empty_percent")),
    extra_columns=("flags", "colour", "page"))

BUILDINGS = LayerSpec(
    key="buildings", kind="building", title="Building", control="Buildings",
    code="building_id", name="name",
    fields=(("Small area", "small_area_code"), ("Households", "households"),
            ("Persons", "persons"), ("Type", "type"), ("Name", "name")),
    labelled=False, extra_columns=("colour",))

UNASSIGNED = LayerSpec(
    key="unassigned", kind="unassigned", title="Unassigned building",
    control="Unassigned buildings", code="building_id", name=None,
    fields=(("Reason", "reason"),), labelled=False)


def line_spec(layer: str) -> LayerSpec:
    """Spec of a background layer (roads, water, rail): drawn, not searched or labelled."""
    return LayerSpec(key=layer, kind=layer if layer in ("water", "rail") else "road",
                     title=layer.capitalize(), control=layer.capitalize(), code="class",
                     name="name", fields=(), searchable=False, labelled=False)


def spec_json(spec: LayerSpec, frame: gpd.GeoDataFrame) -> str:
    """The page data of one layer (geometries in WGS 84) as JSON text."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    props = {column: column_values(frame, column) for column in spec.columns}
    extra = {
        "key": spec.key, "kind": spec.kind, "title": spec.title, "code": spec.code,
        "name": spec.name, "fields": [list(f) for f in spec.fields],
        "searchable": spec.searchable,
        "labels": label_points(geoms) if spec.labelled else None,
    }
    return layer_json(geoms, props, extra)
