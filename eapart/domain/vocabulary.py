"""Building types and barrier classes: the words of the inputs and what they mean.

Building types decide who lives where when the data carries no household count
(docs/domain.md: offices and factories house nobody but still belong to a small
area; institutional quarters may form small areas of their own). Barrier classes
decide which roads, railways and rivers small areas should not cross (major) and
which are only followed where convenient (minor, path). Values are OpenStreetMap
tags and their usual Chinese survey terms, compared in lower case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: Storeys assumed by building type when the data says nothing. ``"*"`` is the
#: fallback for every other type.
DEFAULT_FLOORS_BY_TYPE: dict[str, float] = {
    "apartments": 6.0,
    "residential": 3.0,
    "dormitory": 4.0,
    "house": 2.0,
    "detached": 2.0,
    "semidetached_house": 2.0,
    "terrace": 2.0,
    "bungalow": 1.0,
    "farm": 2.0,
    "hut": 1.0,
    "cabin": 1.0,
    "*": 2.0,
}

#: Types that are dwellings: every type with its own storey default.
RESIDENTIAL_TYPES: tuple[str, ...] = tuple(t for t in DEFAULT_FLOORS_BY_TYPE if t != "*")

#: Types that are one dwelling when low-rise, whatever their footprint (OSM:
#: "a dwelling unit inhabited by a single household").
DEFAULT_SINGLE_DWELLING_TYPES: tuple[str, ...] = (
    "house", "detached", "semidetached_house", "bungalow", "farm", "hut", "cabin",
    "static_caravan", "houseboat",
)

#: Types that say "people live here" but not how many: treated like untyped
#: buildings when small and low-rise (OSM ``residential``, 住宅).
GENERIC_RESIDENTIAL_TYPES: tuple[str, ...] = ("residential", "住宅")

#: Building types that house nobody by default. They get 0 households but still
#: belong to a small area.
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

#: Words in a building's name that mean it houses no household (compared in lower
#: case, as whole words in Latin scripts and anywhere in Chinese). English, the
#: Romance languages of Andorra and its neighbours, Finnish and Chinese.
NON_RESIDENTIAL_NAME_WORDS: tuple[str, ...] = (
    # shops and markets
    "mall", "shopping", "supermarket", "hypermarket", "market", "store", "shop",
    "centre comercial", "centro comercial", "centre commercial", "hyper-centre",
    "botiga", "magatzem", "almacén", "ostoskeskus", "kauppakeskus",
    # hotels, spas and leisure
    "hotel", "hostel", "apartahotel", "aparthotel", "spa", "casino", "cinema", "theatre",
    "theater", "teatre", "museum", "museu", "museo", "musée", "restaurant", "bar",
    "winebar",
    # schools and care without residents
    "school", "escola", "école", "escuela", "lycée", "liceu", "collège", "college",
    "university", "universitat", "koulu", "kindergarten", "päiväkoti", "hospital",
    "clinic", "clínica", "sairaala",
    # sport
    "stadium", "estadi", "sports", "sport", "esportiu", "esportiva", "deportivo",
    "poliesportiu", "polideportivo", "pavelló", "pabellón", "palau de gel", "gym",
    "liikuntasali", "urheilu", "uimahalli", "arena",
    # worship, public and works
    "church", "església", "iglesia", "église", "chapel", "capella", "cathedral", "temple",
    "mosque", "kirkko", "cementiri", "cemetery", "tanatori", "town hall", "comú",
    "consell general", "govern", "police", "policia", "bombers", "fire station",
    "station", "estació", "terminal", "parking", "aparcament", "garage", "garatge",
    "warehouse", "factory", "fàbrica", "fábrica", "tehdas", "office", "oficina", "bank",
    "banc", "caves", "radio",
    # Chinese
    "商场", "商城", "超市", "市场", "酒店", "宾馆", "饭店", "学校", "小学", "中学", "大学",
    "幼儿园", "医院", "卫生院", "诊所", "体育馆", "体育场", "教堂", "寺", "庙", "政府",
    "派出所", "银行", "车站", "停车", "仓库", "工厂", "厂房", "办公楼", "写字楼", "影院",
)

#: Type values that mean "some building, kind unknown" (OSM's ``yes``).
UNKNOWN_TYPES = frozenset({"", "yes", "building", "unknown", "none"})

#: The barrier kinds and the input layer each comes from.
BARRIER_LAYERS: dict[str, str] = {"road": "roads", "rail": "rail", "water": "water"}

#: Ranks of a barrier line, strongest first.
BARRIER_RANKS: tuple[str, ...] = ("major", "minor", "path")

#: Road classes that are major barriers: small areas should not cross them.
MAJOR_ROAD_CLASSES = frozenset(
    {"major", "motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link",
     "primary_link", "secondary_link", "arterial", "expressway", "highway", "国道", "省道",
     "主干道", "高速公路", "快速路"}
)
#: Road classes that are paths: followed where convenient, never required.
PATH_CLASSES = frozenset(
    {"path", "footway", "track", "steps", "cycleway", "bridleway", "via_ferrata", "corridor",
     "小路", "步行道"}
)
#: Water classes that are major barriers (a water feature with no class is one too).
MAJOR_WATER_CLASSES = frozenset(
    {"river", "canal", "water", "riverbank", "lake", "reservoir", "dam", "河流", "水库", "湖泊"}
)
#: Rail classes that are minor: the line is gone or out of use. Other rail is major.
MINOR_RAIL_CLASSES = frozenset({"abandoned", "disused", "razed", "dismantled"})


def barrier_ranks(kind: str, classes: np.ndarray) -> np.ndarray:
    """The rank (``major``/``minor``/``path``) of each line of ``kind``, from its class.

    ``classes`` are lower-case strings ('' where the input has none).

    >>> import numpy as np
    >>> barrier_ranks("road", np.array(["primary", "residential", "footway"])).tolist()
    ['major', 'minor', 'path']
    >>> barrier_ranks("water", np.array(["", "stream"])).tolist()
    ['major', 'minor']
    """
    import numpy as np  # here, not at the top: `eapart --help` needs no numpy

    if kind == "road":
        return np.where(np.isin(classes, list(MAJOR_ROAD_CLASSES)), "major",
                        np.where(np.isin(classes, list(PATH_CLASSES)), "path", "minor"))
    if kind == "rail":
        return np.where(np.isin(classes, list(MINOR_RAIL_CLASSES)), "minor", "major")
    return np.where(np.isin(classes, list(MAJOR_WATER_CLASSES)) | (classes == ""), "major",
                    "minor")
