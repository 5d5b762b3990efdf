"""as_text: codes and names as strings, whatever type the layer gave them."""

import math

import numpy as np
import pandas as pd

from eapart.io.fields import as_text


def texts(series: pd.Series) -> list:
    """The values of ``series``, with NaN as the string 'nan' (NaN != NaN) and None kept."""
    return ["nan" if isinstance(v, float) and math.isnan(v) else v for v in series.tolist()]


def test_whole_floats_read_as_integers_and_missing_stays_missing():
    out = as_text(pd.Series([110101001.0, np.nan, -0.0, 1e20], index=[7, 3, 9, 4], name="code"))
    assert out.dtype == object
    assert texts(out) == ["110101001", "nan", "0", "100000000000000000000"]
    assert out.index.tolist() == [7, 3, 9, 4] and out.name == "code"


def test_integers_of_every_kind():
    assert texts(as_text(pd.Series([-1, 2**62, 3]))) == ["-1", str(2**62), "3"]
    assert texts(as_text(pd.Series([1, 2**63 + 5], dtype="uint64"))) == ["1", str(2**63 + 5)]
    assert texts(as_text(pd.Series([1, None, 3], dtype="Int64"))) == ["1", "nan", "3"]


def test_fractions_and_text_are_written_as_they_are_stripped():
    assert texts(as_text(pd.Series([1.5, np.nan, 3.0]))) == ["1.5", "nan", "3.0"]
    assert texts(as_text(pd.Series(["a ", None, " 城关镇\t"]))) == ["a", "nan", "城关镇"]
    mixed = pd.Series(["a ", None, 3, np.nan, pd.NA], dtype=object)
    assert texts(as_text(mixed)) == ["a", "nan", "3", "nan", "<NA>"]


def test_a_column_without_any_value_holds_none():
    assert as_text(pd.Series([np.nan, np.nan])).tolist() == [None, None]
    assert as_text(pd.Series([], dtype="str")).tolist() == []
