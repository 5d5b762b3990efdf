"""A batch whose manifest, inputs and outputs are on S3 (moto's server on loopback)."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from national_builders import file_digests, manifest_text, stable, write_counties

from eapart.batch import BatchOptions, run_batch
from eapart.io.storage import COMPLETE_MARKER

pytest.importorskip("s3fs")
pytest.importorskip("moto")
from s3_server import make_bucket, s3_server  # noqa: E402 - after the skips

EAPART = [sys.executable, "-m", "eapart.cli"]


@pytest.fixture(scope="module")
def s3():
    """An S3 endpoint with the bucket ``census``; yields an s3fs filesystem on it."""
    with s3_server():
        yield make_bucket("census")


def _upload_counties(fs, tmp_path: Path, prefix: str, n: int, extra: str = "") -> str:
    inputs = write_counties(tmp_path / "in", n)
    for path in inputs:
        fs.put_file(str(path), f"census/{prefix}/in/{path.name}")
    text = manifest_text([f"in/{p.name}" for p in inputs],
                         [f"results/{p.stem}" for p in inputs], extra)
    fs.pipe_file(f"census/{prefix}/manifest.csv", text.encode())
    return f"s3://census/{prefix}/manifest.csv"


def _download_digests(fs, prefix: str, tmp_path: Path) -> dict[str, str]:
    target = tmp_path / "download" / prefix.replace("/", "_")
    fs.invalidate_cache()
    fs.get(f"census/{prefix}/", str(target), recursive=True)
    return file_digests(target)


def _national(fs, prefix: str) -> pd.DataFrame:
    fs.invalidate_cache()
    data = fs.cat_file(f"census/{prefix}/national_summary.csv")
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_s3_outputs_match_local_ones_byte_for_byte(s3, tmp_path):
    local_manifest = tmp_path / "local" / "manifest.csv"
    inputs = write_counties(tmp_path / "local" / "in", 2)
    local_manifest.write_text(manifest_text([f"in/{p.name}" for p in inputs],
                                            [f"results/{p.stem}" for p in inputs]))
    here = run_batch(local_manifest, BatchOptions(jobs=1))
    url = _upload_counties(s3, tmp_path / "s3", "same", 2)
    there = run_batch(url, BatchOptions(jobs=1))
    pd.testing.assert_frame_equal(stable(here), stable(there))
    assert there["status"].tolist() == ["done", "done"]
    for i in range(2):
        remote = _download_digests(s3, f"same/results/c{i}", tmp_path)
        assert remote.pop(COMPLETE_MARKER) is not None
        assert remote == file_digests(tmp_path / f"local/results/c{i}")
        assert "map/index.html" in remote
    assert _national(s3, "same")["small_areas"].tolist() == \
        [str(v) for v in here["small_areas"]]


def test_s3_counties_on_a_local_cluster_give_the_same_files(s3, tmp_path):
    url = _upload_counties(s3, tmp_path, "cluster", 2)
    proc = subprocess.run([*EAPART, "batch", url, "--cluster", "local:2", "--no-maps"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    local = tmp_path / "local.csv"
    local.write_text(manifest_text([f"in/c{i}.gpkg" for i in range(2)],
                                   [f"local/c{i}" for i in range(2)]))
    run_batch(local, BatchOptions(jobs=1, maps=False))
    for i in range(2):
        remote = _download_digests(s3, f"cluster/results/c{i}", tmp_path)
        remote.pop(COMPLETE_MARKER)
        assert remote == file_digests(tmp_path / f"local/c{i}")


def test_killed_batch_resumes_on_s3_with_the_same_national_table(s3, tmp_path):
    reference_manifest = tmp_path / "ref" / "manifest.csv"
    inputs = write_counties(tmp_path / "ref" / "in", 4)
    reference_manifest.write_text(manifest_text([f"in/{p.name}" for p in inputs],
                                                [f"results/{p.stem}" for p in inputs]))
    reference = run_batch(reference_manifest, BatchOptions(jobs=1, maps=False))
    url = _upload_counties(s3, tmp_path / "s3", "kill", 4)
    # A killed upload of an earlier run: an eapart report, a stray file, no marker.
    s3.pipe_file("census/kill/results/c3/report.json",
                 json.dumps({"software": "eapart"}).encode())
    s3.pipe_file("census/kill/results/c3/stray.txt", b"half")
    batch = subprocess.Popen([*EAPART, "batch", url, "--jobs", "1", "--no-maps"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        s3.invalidate_cache()
        if s3.exists("census/kill/national_summary.csv"):
            break
        time.sleep(0.05)
    batch.send_signal(signal.SIGKILL)
    batch.wait(timeout=60)
    first = _national(s3, "kill")
    assert 1 <= len(first) < 4
    resumed = subprocess.run([*EAPART, "batch", url, "--jobs", "1", "--no-maps"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    table = _national(s3, "kill")
    assert table["status"].iloc[:len(first)].tolist() == ["skipped (complete)"] * len(first)
    assert set(table["status"]) <= {"done", "skipped (complete)"}
    pd.testing.assert_frame_equal(stable(table), stable(reference))
    for i in range(4):
        remote = _download_digests(s3, f"kill/results/c{i}", tmp_path)
        remote.pop(COMPLETE_MARKER)
        assert remote == file_digests(tmp_path / f"ref/results/c{i}")


def test_a_foreign_s3_prefix_is_never_replaced(s3, tmp_path):
    url = _upload_counties(s3, tmp_path, "foreign", 1)
    s3.pipe_file("census/foreign/results/c0/theirs.csv", b"someone's data")
    table = run_batch(url, BatchOptions(jobs=1, maps=False))
    assert table["status"].tolist() == ["failed"]
    assert "not an eapart output" in table["message"].iloc[0]
    s3.invalidate_cache()
    assert s3.cat_file("census/foreign/results/c0/theirs.csv") == b"someone's data"
    assert s3.ls("census/foreign/results/c0") == ["census/foreign/results/c0/theirs.csv"]
