"""What each review layer shows: its columns, popup fields, search keys and style kind."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from eapart.domain.schema import CENSUS_AREA_CODE, SMALL_AREA_CODE, TOWNSHIP_CODE
from eapart.review.geojson import column_values, geometry_json, label_points, texts_layer_json


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
    code=TOWNSHIP_CODE, name="name",
    fields=(("Name", "name"), ("Households", "households"), ("Persons", "persons"),
            ("Census areas", "census_areas"), ("Small areas", "small_areas"),
            ("Buildings", "buildings")),
    extra_columns=("page",))

CENSUS_AREAS = LayerSpec(
    key="census_areas", kind="census_area", title="Census area", control="Census areas",
    code=CENSUS_AREA_CODE, name="name",
    fields=(("Name", "name"), ("Township", "township_name"), ("Township code", TOWNSHIP_CODE),
            ("Households", "households"), ("Persons", "persons"),
            ("Small areas", "small_areas"), ("Buildings", "buildings")))

SMALL_AREAS = LayerSpec(
    key="small_areas", kind="small_area", title="Small area", control="Small areas",
    code=SMALL_AREA_CODE, name="census_area_name",
    fields=(("Township", "township_name"), ("Census area", "census_area_name"),
            ("Census area code", CENSUS_AREA_CODE), ("Households", "households"),
            ("Persons", "persons"), ("Buildings", "buildings"),
            ("Water or far from buildings (%)", "empty_percent")),
    extra_columns=("flags", "colour", "page"))

BUILDINGS = LayerSpec(
    key="buildings", kind="building", title="Building", control="Buildings",
    code="building_id", name="name",
    fields=(("Small area", SMALL_AREA_CODE), ("Households", "households"),
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


@dataclass(frozen=True)
class LayerTexts:
    """A whole layer's page data, made once for all the pages that show rows of it.

    Each row's GeoJSON text, JSON-ready column values and label point are the same
    on every page (they are made row by row), so a page picks its rows out of these
    instead of writing them again: the county page and a township page share their
    areas, neighbouring township pages the lines that cross between them. Columns a
    page adds to its own copy (``page``) are not here and are written per page.
    """

    index: pd.Index
    geoms: list[str]
    props: dict[str, list]
    labels: list | None

    @classmethod
    def of(cls, spec: LayerSpec, frame: gpd.GeoDataFrame) -> LayerTexts:
        """The texts of every row of ``frame`` (geometries in WGS 84) shown as ``spec``."""
        geoms = np.asarray(frame.geometry.values, dtype=object)
        return cls(index=frame.index, geoms=geometry_json(geoms),
                   props={column: column_values(frame, column) for column in spec.columns
                          if column in frame.columns},
                   labels=label_points(geoms) if spec.labelled else None)

    def rows(self, frame: pd.DataFrame) -> list[int] | None:
        """Positions of ``frame``'s rows among these, or ``None`` if some are not here.

        Rows are matched by index label, so a page's frame must keep the layer's
        index (selections and copies do; ``reset_index`` would not).
        """
        if not self.index.is_unique:
            return None
        rows = self.index.get_indexer(frame.index)
        return None if (rows < 0).any() else rows.tolist()


def spec_json(spec: LayerSpec, frame: gpd.GeoDataFrame, made: LayerTexts | None = None) -> str:
    """The page data of one layer (geometries in WGS 84) as JSON text.

    ``made``: the texts of the whole layer ``frame`` is a part of, picked from rather
    than written again (the JSON is the same either way).
    """
    rows = made.rows(frame) if made is not None else None
    if made is None or rows is None:
        made = LayerTexts.of(spec, frame)
        rows = list(range(len(frame)))
    props = {column: picked(made.props[column], rows) if column in made.props
             else column_values(frame, column) for column in spec.columns}
    extra = {
        "key": spec.key, "kind": spec.kind, "title": spec.title, "code": spec.code,
        "name": spec.name, "fields": [list(f) for f in spec.fields],
        "searchable": spec.searchable,
        "labels": picked(made.labels, rows) if made.labels is not None else None,
    }
    return texts_layer_json(picked(made.geoms, rows), props, extra)


def picked(values: list, rows: list[int]) -> list:
    """``values`` at ``rows``, in that order."""
    return [values[k] for k in rows]
