"""The data that crosses from the pipeline into the partition engine and back.

A township is the unit of work: once inputs are read, townships are independent,
so the pipeline maps :func:`eapart.partition.township.partition_township` over
:class:`TownshipTask` objects (in-process, over local processes, or on a Dask
cluster) and gathers :class:`TownshipResult` objects. Both are plain picklable
dataclasses of GeoDataFrames in the work (metric) CRS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd


@dataclass(frozen=True)
class PartitionParams:
    """Targets and switches for cutting one township.

    ``measure`` is the column balanced against the target: ``"households"`` or
    ``"persons"``. ``target``, ``min_size`` and ``max_size`` are in that measure.
    ``n_small_areas`` (a township's share of a county total) overrides ``target``
    when set. ``n_census_areas`` is used only when no villages are given.
    """

    measure: str = "households"
    target: float = 80.0
    min_size: float = 64.0
    max_size: float = 96.0
    n_small_areas: int | None = None
    n_census_areas: int | None = None
    census_area_target: float | None = None
    allow_barrier_crossing: bool = False
    join_isolated_below: float = 0.0
    institution_types: tuple[str, ...] = ()
    seed: int = 0


@dataclass
class TownshipTask:
    """Everything needed to cut one township, and nothing more.

    Geometries are in the work CRS (metres).

    - ``buildings``: columns ``building_id`` (str), ``households`` (int),
      ``persons`` (float, may be NaN), ``type`` (str or None), geometry
      (Polygon, MultiPolygon or Point); only the buildings of this township.
    - ``barriers``: lines clipped to the township, columns ``kind``
      (``road``/``rail``/``water``) and ``rank`` (``major``/``minor``/``path``).
    - ``villages``: when given, the census areas: ``census_area_code`` (12 digits),
      ``name``, geometry already clipped to the township.
    """

    township_code: str
    name: str
    geometry: object
    buildings: gpd.GeoDataFrame
    barriers: gpd.GeoDataFrame
    params: PartitionParams
    villages: gpd.GeoDataFrame | None = None
    crs: object = None


@dataclass
class TownshipResult:
    """The township cut into census areas and small areas.

    - ``assignment``: one row per input building, in input order: ``building_id``,
      ``census_area_code``, ``small_area_code``.
    - ``small_areas``: ``small_area_code``, ``census_area_code``, ``township_code``,
      ``households``, ``persons``, ``buildings``, ``flags`` (comma-separated),
      one Polygon each.
    - ``census_areas``: ``census_area_code``, ``township_code``, ``name``,
      ``households``, ``persons``, ``small_areas``, ``buildings``, one Polygon each.
    - ``metrics``: numbers for the quality report (per-township section).
    - ``notes``: human-readable remarks for the report (e.g. villages cut by
      the township boundary).
    """

    township_code: str
    assignment: object
    small_areas: gpd.GeoDataFrame
    census_areas: gpd.GeoDataFrame
    metrics: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
