"""What the review pages write once per build gives the same page text as writing it per page."""

from __future__ import annotations

from map_sample import write_sample_output

from eapart.domain.schema import TOWNSHIP_CODE
from eapart.review.layers import BUILDINGS, SMALL_AREAS, LayerTexts, line_spec, spec_json
from eapart.review.pages import read_review_data


def test_layer_texts_picked_by_row_equal_texts_written_for_the_rows(tmp_path):
    data = read_review_data(write_sample_output(tmp_path / "out", townships=(3, 1)))
    for spec in (SMALL_AREAS, BUILDINGS):
        full = data.layers[spec.key]
        made = LayerTexts.of(spec, full)
        for code in full[TOWNSHIP_CODE].dropna().unique():
            part = full[full[TOWNSHIP_CODE] == code]
            assert spec_json(spec, part, made) == spec_json(spec, part)
        backwards = full.iloc[::-1].copy()
        backwards["page"] = "x.html"  # a column the page adds is written for the page
        assert spec_json(spec, backwards, made) == spec_json(spec, backwards)


def test_rows_not_in_the_layer_are_written_for_the_page(tmp_path):
    data = read_review_data(write_sample_output(tmp_path / "out"))
    small = data.layers["small_areas"]
    made = LayerTexts.of(SMALL_AREAS, small.iloc[:2])
    assert made.rows(small) is None
    assert spec_json(SMALL_AREAS, small, made) == spec_json(SMALL_AREAS, small)
    assert made.rows(small.iloc[1:2]) == [1]
    assert line_spec("roads").labelled is False


def test_township_rows_match_the_rows_with_the_code(tmp_path):
    data = read_review_data(write_sample_output(tmp_path / "out", townships=(3, 1)))
    for name in ("census_areas", "small_areas", "buildings"):
        frame = data.layers[name]
        for code in [*frame[TOWNSHIP_CODE].dropna().unique(), "no such code"]:
            picked = data.of_township(name, code)
            expected = frame[frame[TOWNSHIP_CODE] == code]
            assert picked.index.tolist() == expected.index.tolist()
            assert picked.equals(expected)


def test_each_template_text_is_compiled_once():
    from branca.element import Element

    from eapart.review import compiled_templates

    first = Element("<p>{{ this._name }}</p>")
    second = Element("<p>{{ this._name }}</p>")
    assert first._template is second._template
    assert first.render() == "<p>Element</p>"
    assert compiled_templates.compiled.cache_info().hits >= 1
