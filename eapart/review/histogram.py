"""The size histogram of a page's small areas, with bins that follow the run's band.

Bins are laid out from the band's limits outwards: the band ``[min, max]`` is cut
into equal bins starting at ``min`` (the last one ends exactly at ``max``), bins
below run down from ``min`` and bins above up from ``max``. A bin therefore never
straddles a limit, whatever the target, measure or limits (``--small-areas`` gives
limits such as 66.7 and 100.1), and the green bars hold exactly the areas the
report counts as within tolerance (``min <= size <= max``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np

from eapart.io.band import Band, inside

#: Bins wanted inside the band, and the most bins drawn on either side of it.
BAND_BINS = 4
SIDE_BINS = 5


@dataclass(frozen=True)
class Bin:
    """One bar: its range as text, its count, and whether it lies in the band."""

    label: str
    count: int
    state: str  # "in", "out" or "none" (no band known)


def nice_width(span: float, bins: int, whole: bool) -> float:
    """A round bin width (1, 2, 2.5 or 5 times a power of ten) near ``span / bins``."""
    raw = max(span / max(bins, 1), 1e-9)
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        width = step * power
        if width >= raw * 0.999:
            break
    return max(1.0, math.ceil(width)) if whole else width


def band_width(span: float, whole: bool) -> float:
    """A bin width that cuts the band into 3 to 6 equal bins (whole ones where it can)."""
    if whole:
        for bins in (BAND_BINS, 5, 3, 6):
            if span % bins == 0 and span // bins >= 1:
                return span / bins
        if span < BAND_BINS:
            return max(1.0, span)
    return span / BAND_BINS


def _text(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def band_bins(values: np.ndarray, band: Band) -> list[Bin]:
    """The bars for ``values`` against a known band (see the module docstring)."""
    values = np.asarray(values, dtype=float)
    low, high = float(band.low), float(band.high)
    whole = bool(np.all(values == np.round(values)))
    span = high - low
    width = band_width(span, whole) if span > 0 else nice_width(max(high, 1.0) / 2, 2, whole)
    n_in = max(1, math.ceil(span / width - 1e-9))
    n_below = min(SIDE_BINS, math.ceil(low / width - 1e-9)) if low > 0 else 0
    top = float(values.max()) if len(values) else high
    n_above = max(1, min(SIDE_BINS, math.ceil((top - high) / width - 1e-9)))
    is_in = inside(values, band)
    below, above = values < low, values > high
    bins: list[Bin] = []
    j_below = np.minimum(np.floor((low - values[below]) / width), n_below - 1).astype(int)
    for j in range(n_below - 1, -1, -1):
        start = low - (j + 1) * width
        label = f"<{_text(low - j * width)}" if j == n_below - 1 else \
            f"{_text(start)}–{_text(low - j * width)}"
        bins.append(Bin(label, int((j_below == j).sum()), "out"))
    j_in = np.minimum(np.floor((values[is_in] - low) / width), n_in - 1).astype(int)
    for j in range(n_in):
        end = high if j == n_in - 1 else low + (j + 1) * width
        bins.append(Bin(f"{_text(low + j * width)}–{_text(end)}", int((j_in == j).sum()), "in"))
    j_above = np.minimum(np.ceil((values[above] - high) / width) - 1, n_above - 1).astype(int)
    for j in range(n_above):
        start = high + j * width
        label = f">{_text(start)}" if j == n_above - 1 else \
            f"{_text(start)}–{_text(start + width)}"
        bins.append(Bin(label, int((j_above == j).sum()), "out"))
    if n_below == 0 and below.any():  # a band starting at 0 or below: nothing is under it
        bins.insert(0, Bin(f"<{_text(low)}", int(below.sum()), "out"))
    return bins


def plain_bins(values: np.ndarray, count: int = 12) -> list[Bin]:
    """Equal bins from 0 for a run whose report has no band."""
    values = np.asarray(values, dtype=float)
    top = float(values.max()) if len(values) else 1.0
    whole = bool(np.all(values == np.round(values)))
    width = nice_width(max(top, 1.0), count, whole)
    n = max(1, math.ceil((top + (1 if whole else 0)) / width))
    index = np.minimum(np.floor(values / width), n - 1).astype(int)
    return [Bin(f"{_text(k * width)}–{_text((k + 1) * width)}", int((index == k).sum()), "none")
            for k in range(n)]


def size_histogram(values, band: Band) -> str:
    """HTML bars of small-area sizes; green bars hold exactly the areas within the band.

    The outer element carries ``data-within`` (areas in the band) and ``data-total``,
    and the caption states the share with the report's rounding (one decimal).
    """
    values = np.asarray([v for v in values if v is not None], dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return "<p class='eapart-muted'>No small areas.</p>"
    bins = band_bins(values, band) if band.known else plain_bins(values)
    peak = max(1, max(b.count for b in bins))
    bars = "".join(
        f"<div class='eapart-bar {b.state}' data-count='{b.count}' "
        f"title='{escape(b.label)}: {b.count}'>"
        f"<span style='height:{100 * b.count / peak:.0f}%'></span><em>{b.count}</em></div>"
        for b in bins)
    within = int(sum(b.count for b in bins if b.state == "in"))
    caption = f"Small areas by {escape(band.measure)}"
    if band.target is not None:
        caption += f"; target {escape(_text(band.target))}"
    if band.known:
        share = within / len(values)
        caption += (f". <b>{within:,} of {len(values):,} ({100 * share:.1f} %)</b> within "
                    f"{escape(_text(band.low))}–{escape(_text(band.high))} (green)")
    else:
        caption += ". The report gives no minimum and maximum, so no band is drawn"
    return (f"<div class='eapart-hist' data-within='{within}' data-total='{len(values)}'>"
            f"{bars}</div><div class='eapart-axis'><span>{escape(bins[0].label)}</span>"
            f"<span>{escape(bins[-1].label)}</span></div>"
            f"<p class='eapart-muted'>{caption}.</p>")
