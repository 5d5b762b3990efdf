"""The natural and fixed ground of the synthetic county: outline, river, lake, stream, rail.

Everything is in metres in CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547),
centred near 30.5N 114E, the plain of a Hubei county-level city. Sizes scale with the
square root of the number of buildings so that rural density stays the same whatever
the size of the county.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

#: CGCS2000 / 3-degree Gauss-Kruger CM 114E.
CRS = "EPSG:4547"
#: Around 30.5N 114.1E in EPSG:4547.
ORIGIN = (509_600.0, 3_375_500.0)
#: The default county: 61,310 buildings over about 1,100 square kilometres.
DEFAULT_BUILDINGS = 61_310
#: Width of the river in the default county; smaller counties get a narrower one.
RIVER_WIDTH = 150.0
#: Even the smallest county has a core of a few street blocks.
MIN_CITY_RADIUS = 300.0


@dataclass
class Landscape:
    """The fixed ground every other layer is drawn on (metres, EPSG:4547)."""

    scale: float
    county: shapely.Polygon
    river: shapely.LineString
    lake: shapely.Polygon
    stream: shapely.LineString
    rail: shapely.LineString
    river_width: float
    cities: np.ndarray  # (k, 2) centres of the urban cores, main city first
    city_radius: np.ndarray  # (k,) radius of each core in metres
    city_angle: np.ndarray  # (k,) rotation of each core's street grid in radians


def county_scale(n_buildings: int) -> float:
    """Linear scale of the county relative to the default one (area grows with buildings)."""
    return float(np.sqrt(n_buildings / DEFAULT_BUILDINGS))


def irregular_outline(
    rng: np.random.Generator, centre: tuple[float, float], a: float, b: float, n: int = 360
) -> shapely.Polygon:
    """A star-shaped, irregular county outline of semi-axes about ``a`` by ``b`` metres.

    The radius is an ellipse modulated by a few low harmonics (lobes and bays) and a
    little high-frequency noise (the ragged look of boundaries that follow fields).
    """
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    k = np.arange(2, 8)
    amp = rng.uniform(0.03, 0.09, size=k.size) / np.sqrt(k - 1)
    phase = rng.uniform(0, 2 * np.pi, size=k.size)
    r = 1.0 + (amp[:, None] * np.cos(k[:, None] * theta + phase[:, None])).sum(axis=0)
    r += rng.normal(0.0, 0.004, size=n)
    tilt = rng.uniform(-0.4, 0.4)
    x = a * r * np.cos(theta)
    y = b * r * np.sin(theta)
    xr = centre[0] + x * np.cos(tilt) - y * np.sin(tilt)
    yr = centre[1] + x * np.sin(tilt) + y * np.cos(tilt)
    ring = np.column_stack([xr, yr])
    return shapely.Polygon(np.vstack([ring, ring[:1]]))


def meander(
    rng: np.random.Generator, start: np.ndarray, end: np.ndarray, amplitude: float,
    n: int = 200, waves: tuple[float, float] = (1.5, 4.0),
) -> np.ndarray:
    """Points of a wavy line from ``start`` to ``end``: two sine waves across the chord."""
    t = np.linspace(0.0, 1.0, n)
    chord = end - start
    normal = np.array([-chord[1], chord[0]]) / np.linalg.norm(chord)
    w1, w2 = rng.uniform(*waves, size=2)
    p1, p2 = rng.uniform(0, 2 * np.pi, size=2)
    off = amplitude * (np.sin(2 * np.pi * w1 * t + p1)
                       + 0.35 * np.sin(2 * np.pi * w2 * 2.3 * t + p2))
    off *= np.sin(np.pi * t) ** 0.3  # pinned near the ends, free in the middle
    return start + t[:, None] * chord + off[:, None] * normal


def _point_on(line: shapely.LineString, fraction: float) -> np.ndarray:
    return np.asarray(shapely.get_coordinates(line.interpolate(fraction, normalized=True))[0])


def _normal_at(line: shapely.LineString, fraction: float) -> np.ndarray:
    p0 = _point_on(line, max(0.0, fraction - 0.002))
    p1 = _point_on(line, min(1.0, fraction + 0.002))
    d = (p1 - p0) / np.linalg.norm(p1 - p0)
    return np.array([-d[1], d[0]])


def make_landscape(rng: np.random.Generator, n_buildings: int, n_cities: int) -> Landscape:
    """Draw the county outline, a river across it, the cores on the river, a lake, a stream
    and a railway. ``n_cities`` is 1 or 2 urban cores."""
    s = county_scale(n_buildings)
    a, b = 21_000.0 * s, 16_500.0 * s
    centre = np.array(ORIGIN)
    county = irregular_outline(rng, tuple(centre), a, b)

    # The river runs west to east across the whole county, a little off centre.
    y0 = centre[1] + rng.uniform(-0.15, 0.15) * b
    river_pts = meander(rng, np.array([centre[0] - 1.6 * a, y0]),
                        np.array([centre[0] + 1.6 * a, y0 + rng.uniform(-0.3, 0.3) * b]),
                        amplitude=0.09 * b)
    river = shapely.LineString(river_pts)

    # Urban cores sit on the river; the main one slightly off the water, so that a
    # part of the city lies across the river.
    radius = np.maximum(np.array([2_400.0, 1_500.0])[:n_cities] * s, MIN_CITY_RADIUS)
    fractions = np.array([0.44 + rng.uniform(-0.03, 0.03), 0.66 + rng.uniform(-0.03, 0.03)])
    cities = []
    for k in range(n_cities):
        p = _point_on(river, fractions[k])
        side = 1.0 if k == 0 else -1.0
        cities.append(p + side * 0.35 * radius[k] * _normal_at(river, fractions[k]))
    cities = np.array(cities)

    # A lake on the city's landward side.
    away = _normal_at(river, fractions[0])
    lake_c = cities[0] + away * 1.25 * radius[0] + rng.uniform(-0.2, 0.2, 2) * radius[0]
    lake = irregular_outline(rng, tuple(lake_c), 0.33 * radius[0], 0.2 * radius[0], n=120)

    # A stream from the northern edge down to the river, west of the city.
    top = np.array([cities[0][0] - 0.35 * a, centre[1] + 1.2 * b])
    mouth = _point_on(river, 0.3)
    stream = shapely.LineString(meander(rng, top, mouth, amplitude=0.04 * b, n=120))
    stream = _longest_part(shapely.intersection(stream, county))

    # One railway crossing the county at an angle, skirting the main city.
    ang = rng.uniform(0.35, 0.75) * np.pi
    direction = np.array([np.cos(ang), np.sin(ang)])
    side = np.array([-direction[1], direction[0]])
    via = cities[0] + side * 1.05 * radius[0]
    rail = shapely.LineString(meander(
        rng, via - 2.5 * a * direction, via + 2.5 * a * direction, amplitude=0.02 * a, n=150,
        waves=(0.3, 0.7)))
    rail = _longest_part(shapely.intersection(rail, county))
    width = RIVER_WIDTH * min(1.0, max(0.4, s))
    river = _longest_part(shapely.intersection(river, county.buffer(2 * width)))
    grid_angle = rng.uniform(-0.5, 0.5, n_cities)
    return Landscape(s, county, river, lake, stream, rail, width, cities, radius, grid_angle)


def _longest_part(geom) -> shapely.LineString:
    """The longest LineString of a possibly multi-part line (clipping can split lines)."""
    parts = shapely.get_parts(geom)
    return parts[int(np.argmax(shapely.length(parts)))]
