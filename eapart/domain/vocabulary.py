"""Building types and barrier classes: the words of the inputs and what they mean.

Building types decide who lives where when the data carries no household count
(docs/domain.md: offices and factories house nobody but still belong to a small
area; institutional quarters may form small areas of their own). Barrier classes
decide which roads, railways and rivers small areas should not cross (major) and
which are only followed where convenient (minor, path). Values are OpenStreetMap
tags and their usual Chinese survey terms, compared in lower case.
"""

from __future__ import annotations

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

#: Building types that house nobody by default. They get 0 households but still
#: belong to a small area.
DEFAULT_NON_RESIDENTIAL_TYPES: tuple[str, ...] = (
    "office", "commercial", "retail", "industrial", "warehouse", "garage", "garages",
    "shed", "barn", "farm_auxiliary", "greenhouse", "service", "transformer_tower",
    "church", "chapel", "cathedral", "mosque", "temple", "shrine", "public",
    "civic", "government", "school", "kindergarten", "university", "college",
    "hospital_outbuilding", "parking", "carport", "roof", "ruins", "construction",
    "stadium", "sports_hall", "train_station", "transportation", "hangar", "kiosk",
    "supermarket", "hotel", "bunker", "water_tower", "storage_tank", "silo",
    "factory", "industry", "shop",
)

#: Institutional quarters that may be kept as small areas of their own.
DEFAULT_INSTITUTION_TYPES: tuple[str, ...] = (
    "dormitory", "barracks", "hospital", "prison", "nursing_home", "institution",
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

    >>> barrier_ranks("road", np.array(["primary", "residential", "footway"])).tolist()
    ['major', 'minor', 'path']
    >>> barrier_ranks("water", np.array(["", "stream"])).tolist()
    ['major', 'minor']
    """
    if kind == "road":
        return np.where(np.isin(classes, list(MAJOR_ROAD_CLASSES)), "major",
                        np.where(np.isin(classes, list(PATH_CLASSES)), "path", "minor"))
    if kind == "rail":
        return np.where(np.isin(classes, list(MINOR_RAIL_CLASSES)), "minor", "major")
    return np.where(np.isin(classes, list(MAJOR_WATER_CLASSES)) | (classes == ""), "major",
                    "minor")
