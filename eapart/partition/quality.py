"""Quality of a cut: the figures of the report.

The flags themselves (names, severities, descriptions) live in
:mod:`eapart.domain.flags`. The figures: sizes against the target, Polsby-Popper compactness
(4 pi area / perimeter^2: 1 for a disc, near 0 for a ribbon), and how much of the
boundary between small areas runs along roads, rivers or rail rather than across
open land (an enumerator can see the former on the ground).
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from eapart.domain.flags import flag_counts

#: Balance band: a small area within +/- this share of the target is on target.
TOLERANCE = 0.2

#: Edges of the size histogram, as ratios of size to target.
SIZE_BINS: tuple[float, ...] = (0.5, 0.8, 1.2, 1.5)


def polsby_popper(geoms: np.ndarray) -> np.ndarray:
    """Polsby-Popper compactness ``4 pi A / P^2`` of each polygon (0 when it has no perimeter)."""
    area = shapely.area(geoms)
    perim = shapely.length(geoms)
    with np.errstate(divide="ignore", invalid="ignore"):
        pp = 4 * math.pi * area / perim**2
    return np.where(perim > 0, pp, 0.0)


def within_share(sizes: np.ndarray, target: float, tolerance: float = TOLERANCE) -> float:
    """Share of ``sizes`` within ``+/- tolerance`` of ``target`` (1.0 for no sizes)."""
    sizes = np.asarray(sizes, dtype=float)
    if len(sizes) == 0 or not target > 0:
        return 1.0
    return float(np.mean(np.abs(sizes / target - 1.0) <= tolerance + 1e-12))


def size_summary(sizes: np.ndarray, target: float) -> dict:
    """Distribution of small-area sizes against the target, for the report."""
    sizes = np.asarray(sizes, dtype=float)
    if len(sizes) == 0:
        return {"count": 0}
    ratio = sizes / target if target > 0 else np.zeros_like(sizes)
    hist = np.histogram(ratio, bins=[-np.inf, *SIZE_BINS, np.inf])[0]
    labels = [f"<{SIZE_BINS[0]}"]
    labels += [f"{a}-{b}" for a, b in zip(SIZE_BINS[:-1], SIZE_BINS[1:], strict=False)]
    labels += [f">{SIZE_BINS[-1]}"]
    return {
        "count": int(len(sizes)),
        "target": float(target),
        "mean": float(sizes.mean()),
        "median": float(np.median(sizes)),
        "min": float(sizes.min()),
        "max": float(sizes.max()),
        "p10": float(np.percentile(sizes, 10)),
        "p90": float(np.percentile(sizes, 90)),
        "within_20pct_share": within_share(sizes, target),
        "ratio_histogram": dict(zip(labels, hist.tolist(), strict=True)),
    }


def boundary_lengths(
    edges: np.ndarray,
    shared_length: np.ndarray,
    barrier: np.ndarray,
    labels: np.ndarray,
    names: dict[int, str],
) -> dict[str, float]:
    """Metres of boundary between differently-labelled cells, by what it runs along."""
    cut = labels[edges[:, 0]] != labels[edges[:, 1]]
    per = np.bincount(barrier[cut], shared_length[cut], minlength=max(names) + 1)
    return {names[k]: float(per[k]) for k in sorted(names)}


def barrier_share(lengths: dict[str, float]) -> float:
    """Share of boundary length that runs along a barrier rather than open land ("none")."""
    total = sum(lengths.values())
    if total <= 0:
        return 1.0
    return float(1.0 - lengths.get("none", 0.0) / total)


def county_summary(results: list, params) -> dict:
    """County figures from township results: the report's headline numbers.

    ``results``: :class:`~eapart.partition.model.TownshipResult` objects;
    ``params``: the :class:`~eapart.partition.model.PartitionParams` used.
    Sizes are in ``params.measure``; the target is ``params.target`` unless
    ``n_small_areas`` was set, in which case it is the county mean.
    """
    measure = params.measure
    frames = [r.small_areas for r in results if len(r.small_areas)]
    if frames:
        sizes = np.concatenate([f[measure].to_numpy(dtype=float) for f in frames])
        flags = np.concatenate([f["flags"].to_numpy(dtype=object) for f in frames])
        geoms = np.concatenate([f.geometry.to_numpy() for f in frames])
    else:
        sizes, flags, geoms = np.zeros(0), np.zeros(0, dtype=object), np.zeros(0, dtype=object)
    target = params.target
    if params.n_small_areas and len(sizes):
        target = float(sizes.sum() / len(sizes))
    lengths: dict[str, float] = {}
    for r in results:
        for k, v in r.metrics.get("boundary_length_m", {}).items():
            lengths[k] = lengths.get(k, 0.0) + v
    pp = polsby_popper(geoms) if len(geoms) else np.zeros(0)
    single = shapely.get_type_id(geoms) == 3 if len(geoms) else np.zeros(0, dtype=bool)
    return {
        "townships": len(results),
        "census_areas": int(sum(len(r.census_areas) for r in results)),
        "small_areas": int(len(sizes)),
        "buildings": int(sum(int(r.small_areas["buildings"].sum()) for r in results)),
        measure: float(sizes.sum()),
        "target": float(target),
        "min_size": float(params.min_size),
        "max_size": float(params.max_size),
        "size": size_summary(sizes, target),
        "flags": flag_counts(flags),
        "polsby_popper_mean": float(pp.mean()) if len(pp) else 0.0,
        "polsby_popper_median": float(np.median(pp)) if len(pp) else 0.0,
        "single_piece_share": float(single.mean()) if len(single) else 1.0,
        "boundary_length_m": lengths,
        "barrier_boundary_share": barrier_share(lengths),
    }


def tiling_check(geoms: np.ndarray, parent: object) -> dict[str, float]:
    """How well ``geoms`` tile ``parent``: gap and overlap as shares of its area.

    ``gap_share``: parent area not covered; ``overlap_share``: area covered twice
    (sum of areas minus area of their union); ``single_piece_share``: share of
    geometries that are one Polygon.
    """
    geoms = np.asarray(geoms, dtype=object)
    parent_area = shapely.area(parent)
    if parent_area <= 0:
        return {"gap_share": 0.0, "overlap_share": 0.0, "single_piece_share": 1.0}
    union = shapely.union_all(geoms)
    gap = shapely.area(shapely.difference(parent, union))
    overlap = max(float(shapely.area(geoms).sum() - shapely.area(union)), 0.0)
    single = shapely.get_type_id(geoms) == 3
    return {
        "gap_share": float(gap / parent_area),
        "overlap_share": overlap / parent_area,
        "single_piece_share": float(single.mean()) if len(single) else 1.0,
    }
