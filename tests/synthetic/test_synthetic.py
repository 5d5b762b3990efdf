"""The synthetic county: exact counts, determinism, exact tiling, clean placement."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from eapart.errors import UsageError
from eapart.synthetic.county import (
    LAYERS,
    make_county,
    sample_path,
    write_county,
)

SMALL = {"n_buildings": 4_000, "n_townships": 6, "seed": 3}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small county written to a GeoPackage and read back, layer by layer."""
    path = tmp_path_factory.mktemp("county") / "county.gpkg"
    write_county(path, make_county(**SMALL))
    return path, {name: gpd.read_file(path, layer=name) for name in LAYERS}


def test_counts_and_layers(small):
    path, layers = small
    assert sorted(pyogrio.list_layers(path)[:, 0]) == sorted(LAYERS)
    b = layers["buildings"]
    assert len(b) == SMALL["n_buildings"]
    assert b["id"].is_unique
    assert len(layers["townships"]) == SMALL["n_townships"]
    # Villages scale with buildings: about 440 per 61,310.
    assert 20 <= len(layers["villages"]) <= 45
    assert layers["buildings"].crs.to_epsg() == 4547
    assert set(layers["rail"]["class"]) == {"rail"}
    assert "river" in set(layers["water"]["class"])
    assert set(layers["roads"]["class"]) == {"major", "minor"}
    assert len(layers["county"]) == 1 and layers["county"]["code"][0] == "420117"


def test_building_contents(small):
    _, layers = small
    b = layers["buildings"]
    houses = b[b["type"] == "house"]
    assert (houses["households"] == 1).all()
    assert houses["persons"].between(2, 5).all()
    apartments = b[b["type"] == "apartments"]
    assert len(apartments) > 0 and (apartments["households"] >= 8).all()
    assert (apartments["households"] > 300).any(), "a building above the maximum must exist"
    assert (b.loc[b["type"] == "industrial", "households"] == 0).all()
    assert (b["persons"] > 2_000).any(), "one building large enough to be split"
    assert (b["floors"] >= 1).all()
    area = b.area
    assert area.min() > 10 and area.max() < 5_000
    assert shapely.is_valid(b.geometry.values).all()


def test_buildings_do_not_overlap_or_touch_water_and_roads(small):
    _, layers = small
    geoms = layers["buildings"].geometry.values
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    assert (i == j).all(), "buildings overlap"
    water = layers["water"].geometry.values
    assert not shapely.STRtree(water).query(geoms, predicate="intersects").size
    roads = layers["roads"].geometry.values
    assert not shapely.STRtree(roads).query(geoms, predicate="intersects").size
    rail = layers["rail"].geometry.values
    assert not shapely.STRtree(rail).query(geoms, predicate="dwithin", distance=10).size


def _assert_tiles(parts: np.ndarray, whole) -> None:
    """``parts`` cover ``whole`` with no gap and no overlap (to a square millimetre)."""
    assert abs(shapely.area(shapely.union_all(parts)) - shapely.area(whole)) < 1e-3
    assert abs(shapely.area(parts).sum() - shapely.area(whole)) < 1e-3
    i, j = shapely.STRtree(parts).query(parts, predicate="overlaps")
    assert len(i) == 0


def test_townships_tile_county_and_villages_nest(small):
    _, layers = small
    county = layers["county"].geometry[0]
    townships = layers["townships"]
    villages = layers["villages"]
    _assert_tiles(townships.geometry.values, county)
    for _, t in townships.iterrows():
        inside = villages[villages["code"].str[:9] == t["code"]].geometry.values
        assert len(inside) > 0
        _assert_tiles(inside, t.geometry)
    for frame in (townships, villages):
        assert shapely.is_valid(frame.geometry.values).all()
        assert (frame.geom_type == "Polygon").all(), "one piece each"


def test_every_building_in_exactly_one_township_and_village(small):
    _, layers = small
    geoms = layers["buildings"].geometry.values
    for name in ("townships", "villages"):
        polys = layers[name].geometry.values
        b, _ = shapely.STRtree(polys).query(geoms, predicate="within")
        assert np.array_equal(np.sort(b), np.arange(len(geoms))), name
        touching, _ = shapely.STRtree(polys).query(geoms, predicate="intersects")
        assert np.bincount(touching, minlength=len(geoms)).max() == 1, name


def test_totals_match_buildings(small):
    _, layers = small
    b = layers["buildings"]
    t = layers["townships"]
    joined = gpd.sjoin(b.set_geometry(b.representative_point()), t, predicate="within")
    sums = joined.groupby("code")["households_left"].sum()
    assert sums.reindex(t["code"], fill_value=0).tolist() == t["households"].tolist()
    assert t["households"].sum() == b["households"].sum()
    assert t["population"].sum() == b["persons"].sum()


def test_codes_are_strings_with_leading_zeros(small):
    _, layers = small
    t = layers["townships"]["code"]
    v = layers["villages"]["code"]
    assert t.str.fullmatch(r"420117\d{3}").all()
    assert v.str.fullmatch(r"\d{12}").all() and v.is_unique
    kind = t.str[6:].astype(int)
    assert (kind < 400).all() and (kind < 100).any() and (kind >= 200).any()
    number = v.str[9:].astype(int)
    assert ((number >= 1) & (number < 400) & (number != 200)).all()
    assert (number < 200).any() and (number > 200).any()
    names = layers["townships"]["name"]
    assert names.str.endswith(("街道", "镇", "乡")).all() and names.is_unique
    assert layers["villages"]["name"].str.endswith(("社区", "村")).all()


def test_same_seed_gives_identical_layers(small):
    """A fresh county from the same arguments equals, to the bit, the one written and
    read back: generation is deterministic and survives the GeoPackage round trip."""
    _, first = small
    again = make_county(**SMALL)
    for name in LAYERS:
        assert_geodataframe_equal(again[name], first[name], check_less_precise=False)


def test_different_seed_gives_different_county(small):
    _, first = small
    other = make_county(**{**SMALL, "seed": SMALL["seed"] + 1})
    assert not first["buildings"].geometry.geom_equals_exact(
        other["buildings"].geometry, tolerance=0).all()
    assert not first["county"].geometry[0].equals(other["county"].geometry[0])


def test_written_atomically(tmp_path):
    path = tmp_path / "c.gpkg"
    path.write_text("old content")
    write_county(path, make_county(n_buildings=300, n_townships=2))
    assert len(gpd.read_file(path, layer="buildings")) == 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.gpkg"]


@pytest.mark.parametrize("kwargs", [
    {"n_buildings": 10}, {"n_townships": 0}, {"county_code": "4201"},
    {"n_buildings": 1_000, "n_townships": 100},
])
def test_bad_arguments_say_what_to_do(kwargs):
    with pytest.raises(UsageError):
        make_county(**kwargs)


def test_bundled_sample_matches_contract():
    path = sample_path()
    assert path.exists(), "rebuild with: python -m eapart.synthetic.county"
    assert path.stat().st_size < 2_000_000
    layers = {name: gpd.read_file(path, layer=name) for name in LAYERS}
    b = layers["buildings"]
    assert {"id", "households", "persons", "floors", "type"} <= set(b.columns)
    assert 1_000 <= len(b) <= 10_000
    assert {"code", "name"} <= set(layers["townships"].columns)
    assert {"code", "name"} <= set(layers["villages"].columns)
    assert layers["townships"]["code"].str.fullmatch(r"\d{9}").all()
    assert layers["villages"]["code"].str.fullmatch(r"\d{12}").all()
    for name in ("roads", "rail", "water"):
        assert "class" in layers[name].columns
    assert all(frame.crs.to_epsg() == 4547 for frame in layers.values())


def test_default_county_exact_size(tmp_path):
    """The default county: exactly 61,310 buildings in 20 townships, ~263,000 households."""
    path = tmp_path / "default.gpkg"
    write_county(path, make_county())
    b = gpd.read_file(path, layer="buildings", columns=["id", "households"], read_geometry=False)
    assert len(b) == 61_310 and b["id"].is_unique
    assert 240_000 < b["households"].sum() < 290_000
    assert len(gpd.read_file(path, layer="townships")) == 20
    assert 400 <= len(gpd.read_file(path, layer="villages")) <= 480


def test_river_cuts_off_an_inhabited_island(small):
    """Some village has houses on both banks: an island the partition must still serve."""
    _, layers = small
    river = layers["water"].loc[layers["water"]["class"] == "river"].geometry.union_all()
    buildings = layers["buildings"].geometry.values
    tree = shapely.STRtree(buildings)
    split = []
    for village in layers["villages"].geometry.values:
        if not village.intersects(river):
            continue
        banks = shapely.get_parts(village.difference(river))
        inhabited = [len(tree.query(bank, predicate="contains")) > 0 for bank in banks]
        split.append(sum(inhabited))
    assert max(split, default=0) >= 2


@pytest.mark.parametrize(("n", "townships"), [(200, 1), (500, 2), (12_000, 6)])
def test_tiny_and_middling_counties_are_whole(n, townships):
    layers = make_county(n_buildings=n, n_townships=townships, seed=5)
    assert len(layers["buildings"]) == n
    assert len(layers["townships"]) == townships
    _assert_tiles(layers["townships"].geometry.values, layers["county"].geometry[0])
    assert (layers["villages"].geom_type == "Polygon").all()


def test_bundled_sample_is_what_the_generator_makes():
    """The shipped sample was rebuilt after the last change to the generator."""
    from eapart.synthetic.county import SAMPLE_ARGS

    fresh = make_county(**SAMPLE_ARGS)
    for name in LAYERS:
        try:
            assert_geodataframe_equal(fresh[name], gpd.read_file(sample_path(), layer=name))
        except AssertionError as err:
            raise AssertionError(f"layer {name} of sample.gpkg is stale: rebuild it with "
                                 "`python -m eapart.synthetic.county`") from err
