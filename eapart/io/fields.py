"""Finding the columns the tool uses, under the user's names or the usual ones.

Each contract column has a list of usual spellings. A name the user maps
explicitly (option or config file) must exist, or the error names the layer and
lists its columns; otherwise the first usual spelling present is taken, and the
report says which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eapart.domain.schema import TOWNSHIP_CODE
from eapart.errors import InputError, list_ids

#: Usual spellings, most specific first. Matching ignores case.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "building_id": ("building_id", "id", "bldg_id", "osm_id", "objectid", "fid"),
    "households": ("households", "household", "hh", "hu", "户数"),
    "persons": ("persons", "population", "people", "pop", "人数", "人口"),
    "floors": ("floors", "levels", "storeys", "stories", "building:levels", "floor", "层数"),
    "building_type": ("type", "building", "use", "btype", "类型"),
    "building_name": ("name", "building_name", "jzmc", "mc", "名称", "建筑名称"),
    TOWNSHIP_CODE: ("code", TOWNSHIP_CODE, "xzqdm", "xzdm", "代码", "乡镇代码"),
    "township_name": ("name", "township_name", "xzmc", "xzqmc", "xzmc_1", "mc",
                      "名称", "乡镇名称", "乡镇", "name_zh", "name:zh"),
    "township_population": ("population", "persons", "pop", "人口"),
    "township_households": ("households", "hh", "户数"),
    "village_code": ("code", "village_code", "cjqdm", "代码"),
    "village_name": ("name", "village_name", "cjqmc", "cmc", "mc", "名称",
                     "村名", "村级名称", "name_zh", "name:zh"),
    "barrier_class": ("class", "fclass", "highway", "kind"),
    "barrier_name": ("name", "名称"),
}


def find_column(
    frame: pd.DataFrame, role: str, given: str | None, where: str, *, required: bool = False
) -> str | None:
    """Return the column of ``frame`` that plays ``role``.

    ``given`` is the user's name for it (must exist). Without it, the usual
    spellings in :data:`CANDIDATES` are tried. ``None`` when absent and not
    ``required``.
    """
    columns = [c for c in frame.columns if c != getattr(frame, "_geometry_column_name", None)]
    if given is not None:
        if given in frame.columns:
            return given
        raise InputError(
            f"{where}: no column '{given}' (mapped as {role}); the layer has: "
            f"{', '.join(map(str, columns))}. Fix the mapping in your options or config file."
        )
    lower = {str(c).lower(): c for c in columns}
    for name in CANDIDATES.get(role, ()):
        if name.lower() in lower:
            return lower[name.lower()]
    if required:
        raise InputError(
            f"{where}: found no {role} column (looked for {', '.join(CANDIDATES[role])}); "
            f"the layer has: {', '.join(map(str, columns))}. Map it with the option or the "
            f"config file's [columns] {role} = \"...\"."
        )
    return None


def text_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of ``frame`` that hold text (names to choose from).

    Geometry and columns of digits only (codes) are left out.
    """
    geometry = getattr(frame, "_geometry_column_name", None)

    def is_name(column) -> bool:
        values = frame[column].dropna()
        texts = values[values.map(lambda v: isinstance(v, str))]
        return len(texts) > 0 and not texts.str.strip().str.isdigit().all()

    return [str(c) for c in frame.columns if c != geometry
            and (pd.api.types.is_string_dtype(frame[c]) or frame[c].dtype == object)
            and is_name(c)]


def as_text(values: pd.Series) -> pd.Series:
    """Values as strings, keeping codes whole: ``110101001.0`` reads as ``'110101001'``.

    Numbers that are whole are written without a decimal part; missing stays missing.
    Whole numbers and plain text columns are converted with numpy and pandas string
    operations (a building layer has tens of thousands of ids); other columns (mixed
    objects, fractions) value by value.
    """
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        if (whole == whole.round()).all():
            return _whole_texts(values, fits=_fits_int64(whole))
    if pd.api.types.is_integer_dtype(values):
        dtype = values.dtype
        return _whole_texts(values, fits=isinstance(dtype, np.dtype)
                            and (dtype.kind == "i" or dtype.itemsize < 8))
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.na_value is np.nan:
        stripped = values.str.strip().to_numpy(dtype=object, na_value=None)
        return _text_series(values, stripped)
    return values.map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v))
                      else str(v).strip()).astype(object)


def _fits_int64(whole: pd.Series) -> bool:
    """True when every (finite) value converts to a 64-bit integer exactly."""
    numbers = whole.to_numpy(dtype=float)
    return bool(np.isfinite(numbers).all() and (np.abs(numbers) < 2.0 ** 62).all())


def _whole_texts(values: pd.Series, fits: bool) -> pd.Series:
    """``str(int(v))`` of every present value; with numpy when they ``fit`` in int64.

    Others (nullable integers, huge or infinite floats) go value by value, as before.
    """
    if not fits:
        return values.map(lambda v: None if pd.isna(v) else str(int(v))).astype(object)
    texts = np.full(len(values), None, dtype=object)
    present = values.notna().to_numpy(dtype=bool)
    texts[present] = values[present].to_numpy(dtype=np.int64).astype(str).astype(object)
    return _text_series(values, texts)


def _text_series(values: pd.Series, texts: np.ndarray) -> pd.Series:
    """``texts`` as the Series that ``values.map(...)`` gives, then as objects.

    The same construction as :meth:`pandas.Series.map`, so missing values come out
    exactly as they did from the value-by-value conversion (``NaN`` next to text,
    ``None`` in a column with no text).
    """
    mapped = values._constructor(texts, index=values.index, copy=False)
    return mapped.__finalize__(values, method="map").astype(object)


#: The largest count a column may hold (households, persons, floors; township totals).
MAX_COUNT = 1e9


def as_numbers(values: pd.Series, where: str, column: str, ids: pd.Series) -> pd.Series:
    """Parse a count column (households, persons, floors) as floats.

    Missing values stay NaN (the caller decides); text and negative numbers are
    errors that list the offending ids.
    """
    raw = values
    numbers = pd.to_numeric(raw, errors="coerce").astype(float)
    present = raw.notna() & (raw.astype(str).str.strip() != "")
    text = present & numbers.isna()
    if text.any():
        raise InputError(
            f"{where}: column '{column}' must hold numbers; these ids have text instead: "
            f"{list_ids(ids[text])}. Correct them or leave them empty to estimate."
        )
    huge = numbers.abs() > MAX_COUNT
    if huge.any():
        raise InputError(
            f"{where}: column '{column}' has values out of range (above {MAX_COUNT:,.0f}) for "
            f"ids {list_ids(ids[huge])}, e.g. {numbers[huge].iloc[0]:g}. Correct them or leave "
            "them empty to estimate."
        )
    negative = numbers < 0
    if negative.any():
        raise InputError(
            f"{where}: column '{column}' has negative values for ids {list_ids(ids[negative])}. "
            "Counts cannot be negative: correct them or leave them empty to estimate."
        )
    return numbers
