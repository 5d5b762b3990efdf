"""The flag vocabulary: every flag documented, ordered, counted and given a severity."""

from __future__ import annotations

from eapart.domain import flags


def test_flag_set_is_documented():
    required = {
        "oversize_building", "undersize_isolated", "oversize", "undersize",
        "crosses_major_road", "institution", "no_buildings",
    }
    assert required <= set(flags.FLAG_DESCRIPTIONS)
    assert all(isinstance(v, str) and v for v in flags.FLAG_DESCRIPTIONS.values())
    assert all(f.severity in flags.SEVERITIES for f in flags.FLAGS)
    assert len({f.name for f in flags.FLAGS}) == len(flags.FLAGS)


def test_join_orders_flags_as_listed():
    assert flags.join_flags(["undersize", "oversize_building"]) == "oversize_building,undersize"
    assert flags.join_flags([]) == ""


def test_counts_list_every_flag_and_unknown_names_after():
    counts = flags.flag_counts(["oversize,enclave", "", None, "oversize", "odd"])
    assert counts["oversize"] == 2 and counts["enclave"] == 1 and counts["undersize"] == 0
    assert list(counts)[: len(flags.FLAGS)] == [f.name for f in flags.FLAGS]
    assert counts["odd"] == 1


def test_problems_leave_out_notices():
    assert flags.problems("oversize_building,oversize,institution") == ["oversize"]
    assert flags.problems("") == []
