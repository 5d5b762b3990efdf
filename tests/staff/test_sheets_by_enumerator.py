"""Enumerator sheets after `eapart assign`: names on each page, one pack per person."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_assign import assignments, eapart
from test_staff_list import staff_for, write_staff


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler) missing")
def test_one_pack_per_person_with_enumerator_and_supervisor_names(sample_output, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(sample_output, out)
    assert eapart("assign", out).returncode == 0
    rows = staff_for(out, spare=0)
    township = sorted({r["township"] for r in rows})[0]
    double = next(r for r in rows if r["township"] == township and r["id"].startswith("E"))
    double["capacity"] = 2
    rows.remove(next(r for r in rows if r["township"] == township and r["id"].startswith("E")
                     and r is not double))
    assert eapart("assign", out, "--staff", write_staff(tmp_path / "s.csv", rows)).returncode == 0
    table = assignments(out)
    done = eapart("sheets", out, "--by", "enumerator", "--jobs", 1, "-q")
    assert done.returncode == 0, done.stderr
    packs = sorted((out / "sheets" / "enumerators").glob("*.pdf"))
    people = table["enumerator_id"].unique()
    assert sorted(p.stem for p in packs) == sorted(people)
    mine = table[table["enumerator_id"] == double["id"]]
    assert mine["enumerator_slot"].nunique() == 2
    text = pdf_text(out / "sheets" / "enumerators" / f"{double['id']}.pdf")
    titled = set(re.findall(r"普查小区\s+(\d{15})", text))
    assert titled == set(mine["small_area_code"])  # its small areas' sheets, no other
    row = mine.iloc[0]
    assert f"{row['enumerator_name']} ({row['enumerator_slot']})" in text
    assert f"{row['supervisor_name']} ({row['supervisor_team']})" in text
    bad = eapart("sheets", out, "--by", "enumerator", "--codes", row["census_area_code"])
    assert bad.returncode == 2


def test_by_enumerator_needs_an_assignment(sample_output, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(sample_output, out)
    (out / "assignments.csv").unlink(missing_ok=True)
    done = eapart("sheets", out, "--by", "enumerator")
    assert done.returncode == 1 and "eapart assign" in done.stderr
