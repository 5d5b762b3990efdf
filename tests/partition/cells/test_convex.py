"""Convex rings told in numpy: "yes" only where GEOS would find the polygon valid."""

import numpy as np

from eapart.partition.cells.convex import convex_rings


def _rings(*rings):
    """``(x, y, count)`` of rings given as vertex lists without the closing repeat."""
    xy = np.concatenate([np.asarray(r, dtype=float) for r in rings])
    return xy[:, 0], xy[:, 1], np.array([len(r) for r in rings])


def test_convex_rings_either_way_round_are_convex():
    square = [(0, 0), (1, 0), (1, 1), (0, 1)]
    assert convex_rings(*_rings(square, square[::-1])).tolist() == [True, True]


def test_repeated_collinear_and_spiked_vertices_are_not_shown_convex():
    repeated = [(0, 0), (1, 0), (1, 0), (0, 1)]
    collinear = [(0, 0), (1, 0), (2, 0), (0, 1)]
    spike = [(0, 0), (2, 0), (1, 0), (0, 1)]
    assert not convex_rings(*_rings(repeated, collinear, spike)).any()


def test_crossing_and_twice_winding_rings_are_not_convex():
    bowtie = [(0, 0), (1, 1), (0, 1), (1, 0)]
    angle = np.arange(5) * 4 * np.pi / 5
    pentagram = np.c_[np.cos(angle), np.sin(angle)]
    assert not convex_rings(*_rings(bowtie, pentagram)).any()


def test_a_turn_too_slight_to_be_sure_of_is_not_shown_convex():
    # A left turn of 1e-13 at (1, 1): its sign is below what rounding could flip.
    slight = [(0, 0), (1, 1), (2, 2 + 1e-13), (0, 2)]
    clear = [(0, 0), (1, 1), (2, 2.1), (0, 2)]
    assert convex_rings(*_rings(slight, clear)).tolist() == [False, True]
