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

#: Building types that house nobody by default (OSM building tags and common
#: Chinese-office terms). They get 0 households but still belong to a small area.
DEFAULT_NON_RESIDENTIAL_TYPES: tuple[str, ...] = (
    # work, trade and storage
    "office", "commercial", "retail", "industrial", "warehouse", "garage", "garages",
    "service", "transformer_tower", "factory", "industry", "shop", "supermarket", "kiosk",
    "hotel", "storage_tank", "silo", "water_tower", "bunker", "digester", "manufacture",
    "works", "data_center", "bank", "fuel", "boathouse",
    # farm buildings and outbuildings
    "shed", "barn", "stable", "sty", "cowshed", "farm_auxiliary", "greenhouse",
    "glasshouse", "allotment_house", "hangar", "carport", "parking", "roof",
    "outbuilding", "toilets", "sauna", "gatehouse", "gazebo", "pavilion",
    # worship
    "church", "chapel", "cathedral", "mosque", "temple", "shrine", "synagogue",
    "religious", "monastery_church", "bell_tower",
    # public services, schools and care with no residents
    "public", "civic", "government", "townhall", "fire_station", "police", "school",
    "kindergarten", "university", "college", "hospital", "hospital_outbuilding", "clinic",
    "museum", "library", "theatre", "cinema",
    # sport and leisure
    "stadium", "sports_hall", "sports_centre", "grandstand", "riding_hall", "swimming_pool",
    "ice_rink",
    # transport
    "train_station", "transportation", "station", "bridge",
    # gone or not yet there
    "ruins", "construction", "collapsed", "demolished", "abandoned",
    # Chinese survey terms
    "商业", "商场", "厂房", "工业", "仓库", "办公", "学校", "医院", "车库", "宗教", "公共建筑",
)

#: Institutional quarters that may be kept as small areas of their own. A hospital
#: houses no household but is enumerated as collective quarters.
DEFAULT_INSTITUTION_TYPES: tuple[str, ...] = (
    "dormitory", "barracks", "hospital", "prison", "nursing_home", "institution",
    "care_home", "retirement_home", "monastery", "convent", "orphanage",
    "宿舍", "军营", "监狱", "养老院", "敬老院", "福利院",
)


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
