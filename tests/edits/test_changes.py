"""changes.csv names every old and new code, whatever the buildings did between editions."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from eapart.edits.changes import code_changes

CODES = [f"200001001001{n:03d}" for n in range(1, 7)]


@st.composite
def editions(draw):
    """Two editions of up to 30 buildings: some kept (maybe moved), some removed, some added."""
    n = draw(st.integers(1, 30))
    old = [draw(st.sampled_from(CODES)) for _ in range(n)]
    fate = [draw(st.sampled_from(["keep", "move", "remove"])) for _ in range(n)]
    new_ids, new_codes = [], []
    for i, (code, what) in enumerate(zip(old, fate, strict=True)):
        if what == "keep":
            new_ids.append(f"b{i}")
            new_codes.append(code)
        elif what == "move":
            new_ids.append(f"b{i}")
            new_codes.append(draw(st.sampled_from(CODES)))
    for j in range(draw(st.integers(0, 5))):
        new_ids.append(f"new{j}")
        new_codes.append(draw(st.sampled_from(CODES)))
    frame = lambda ids, codes: pd.DataFrame(  # noqa: E731
        {"building_id": ids, "small_area_code": codes, "households": [1] * len(ids)})
    return frame([f"b{i}" for i in range(n)], old), frame(new_ids, new_codes)


@settings(max_examples=60, deadline=None)
@given(editions())
def test_every_code_is_accounted_for(pair):
    old, new = pair
    table = code_changes(old, new)
    assert set(table.old_code) - {""} == set(old.small_area_code)
    assert set(table.new_code) - {""} == set(new.small_area_code)
    assert set(table.change) <= set("USMXNR")
    unchanged = table[table.change == "U"]
    for row in unchanged.itertuples():
        assert row.old_code == row.new_code
        o = set(old.building_id[old.small_area_code == row.old_code])
        n = set(new.building_id[new.small_area_code == row.new_code])
        assert o == n
    for row in table[table.change == "R"].itertuples():
        gone = set(old.building_id[old.small_area_code == row.old_code])
        assert row.new_code == "" and gone.isdisjoint(new.building_id)
