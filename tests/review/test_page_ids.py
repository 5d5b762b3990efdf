"""The same output gives the same review pages, byte for byte (element ids are numbered)."""

from __future__ import annotations

import subprocess
import sys

from national_builders import file_digests
from tiny_county import tiny_county, write_gpkg

EAPART = [sys.executable, "-m", "eapart.cli"]


def test_two_runs_write_identical_review_pages(tmp_path):
    write_gpkg(tiny_county(), tmp_path / "a.gpkg")
    for out in ("x", "y"):
        proc = subprocess.run([*EAPART, "run", str(tmp_path / "a.gpkg"), "--out",
                               str(tmp_path / out), "--jobs", "1", "--quiet"],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    first, second = file_digests(tmp_path / "x" / "map"), file_digests(tmp_path / "y" / "map")
    assert "index.html" in first and len(first) == 3
    assert first == second
    rebuilt = subprocess.run([*EAPART, "map", str(tmp_path / "y"), "--quiet"],
                             capture_output=True, text=True)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert file_digests(tmp_path / "y" / "map") == first


def test_pages_do_not_depend_on_threads_or_on_reading_back(tmp_path):
    from map_sample import write_sample_output

    from eapart.domain.areas import Areas
    from eapart.review.pages import build_review_maps

    digests = []
    for name, kwargs in (("one", {"jobs": 1}), ("three", {"jobs": 3}), ("memory", {"jobs": 2})):
        outdir = write_sample_output(tmp_path / name, townships=(3, 1))
        if name == "memory":
            kwargs["areas"] = Areas.read(outdir)
        build_review_maps(outdir, **kwargs)
        digests.append(file_digests(outdir / "map"))
    assert len(digests[0]) == 4
    assert digests[0] == digests[1] == digests[2]
