"""Nothing lost: real ``eapart run`` processes killed at random moments.

Each run is stopped with SIGINT, SIGTERM or SIGKILL after a random (seeded) delay
spread over a whole run, with and without a previous output replaced by
``--force``. After every kill the output directory is absent or a complete output
(the previous one or the new one), never a partial one; the input's bytes are
unchanged; Ctrl-C and SIGTERM leave no temporary directory, and what SIGKILL
leaves is tidied (or put back) by the next run.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

EAPART = [sys.executable, "-m", "eapart.cli", "run"]
QUICK = ["--no-maps", "--jobs", "1", "--quiet"]
CONTRACT_LAYERS = {"buildings", "small_areas", "census_areas", "townships"}
#: The previous output is cut to another target, so that it can be told apart.
PREVIOUS_TARGET = "60"
KILLS_PER_CASE = 2


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def county(tmp_path_factory) -> dict:
    """A synthetic county of a few thousand buildings, its checksum, a previous output
    made from it, and how long one run takes (to spread the kills over a run)."""
    from eapart.synthetic.county import make_county, write_county

    folder = tmp_path_factory.mktemp("faults")
    path = folder / "county.gpkg"
    write_county(path, make_county(n_buildings=2500, n_townships=3, seed=5))
    previous = folder / "previous"
    started = time.monotonic()
    proc = subprocess.run([*EAPART, str(path), "--out", str(previous), *QUICK,
                           "--target-households", PREVIOUS_TARGET],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return {"path": path, "sha256": sha256(path), "previous": previous,
            "seconds": time.monotonic() - started}


def target_of(out: Path) -> str:
    """Check that ``out`` is a complete output and say which run made it (its target)."""
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["software"] == "eapart"
    assert {name for name, _ in pyogrio.list_layers(out / "eapart.gpkg")} >= CONTRACT_LAYERS
    small = pyogrio.read_info(out / "eapart.gpkg", layer="small_areas")["features"]
    summary = pd.read_csv(out / "summary.csv", dtype=str, encoding="utf-8-sig")
    assert len(summary) == small == report["small_areas"] > 0
    return f"{report['target_households']:g}"


def leftovers(folder: Path) -> list[Path]:
    return sorted(folder.glob(".eapart-*"))


def kill_one_run(county: dict, out: Path, sig: int, delay: float, force: bool) -> int:
    """Start a run, send ``sig`` after ``delay`` seconds, return its exit status."""
    args = [*EAPART, str(county["path"]), "--out", str(out), *QUICK]
    proc = subprocess.Popen([*args, *(["--force"] if force else [])],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(sig)
    proc.communicate(timeout=120)
    return proc.returncode


def check_after_kill(out: Path, status: int, sig: int, had_previous: bool) -> None:
    """The destination is the previous output, the new one, or (without a previous
    output, or after SIGKILL between two renames) absent; never partial."""
    finished = status == 0
    if finished:
        assert target_of(out) == "80"
        return
    if out.exists():
        assert target_of(out) in ({PREVIOUS_TARGET, "80"} if had_previous else {"80"})
    else:
        assert not had_previous or sig == signal.SIGKILL
    if sig != signal.SIGKILL:
        assert not leftovers(out.parent), "an interrupted run left a temporary directory"


@pytest.mark.parametrize("had_previous", [False, True], ids=["fresh", "replace"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
                         ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_killed_runs_leave_a_whole_output_or_none(county, tmp_path, sig, had_previous):
    rng = random.Random(f"{sig.name}-{had_previous}")
    out = tmp_path / "out"
    for _ in range(KILLS_PER_CASE):
        if had_previous and not out.exists():
            shutil.copytree(county["previous"], out)
        elif not had_previous and out.exists():
            shutil.rmtree(out)
        delay = rng.uniform(0.2, 1.1 * county["seconds"])
        status = kill_one_run(county, out, sig, delay, force=had_previous)
        check_after_kill(out, status, sig, had_previous)
        assert sha256(county["path"]) == county["sha256"], "the input was modified"
    # The next run tidies what a kill left and writes a whole output.
    proc = subprocess.run([*EAPART, str(county["path"]), "--out", str(out), *QUICK, "--force"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert target_of(out) == "80"
    assert not leftovers(tmp_path)
    assert sha256(county["path"]) == county["sha256"]
    assert sorted(p.name for p in county["path"].parent.iterdir()) == ["county.gpkg", "previous"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_while_writing_removes_the_temporary_directory(county, tmp_path, sig):
    """Wait until the temporary directory appears, then interrupt: nothing is left."""
    out = tmp_path / "out"
    proc = subprocess.Popen([*EAPART, str(county["path"]), "--out", str(out), *QUICK],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not leftovers(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    caught = proc.poll() is None
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=120)
    if caught and proc.returncode != 0:
        expected = 130 if sig == signal.SIGINT else 128 + signal.SIGTERM
        assert proc.returncode == expected, stderr
        assert not out.exists()
    else:  # the run finished first: its output is whole
        assert target_of(out) == "80"
    assert not leftovers(tmp_path)


def test_sigkill_between_the_renames_is_undone_by_the_next_run(county, tmp_path):
    """The state SIGKILL can leave mid-swap: previous output set aside, nothing in place."""
    from eapart.io.atomic import atomic_directory

    out = tmp_path / "out"
    aside = tmp_path / ".eapart-old-out-deadbeef"
    shutil.copytree(county["previous"], aside)
    (tmp_path / ".eapart-tmp-out-999999999-0badf00d").mkdir()  # a dead run's temporary
    with pytest.raises(RuntimeError), atomic_directory(out, force=True) as tmp:
        assert (tmp.parent / "out").exists()  # the previous output was put back first
        raise RuntimeError("fail before the swap")
    assert target_of(out) == PREVIOUS_TARGET
    assert not leftovers(tmp_path)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_parallel_run_stops_its_workers(county, tmp_path, sig):
    """With worker processes, an interrupt during the partition ends the run promptly
    (workers stopped, not left to finish their townships) and leaves nothing behind."""
    out = tmp_path / "out"
    args = [*EAPART, str(county["path"]), "--out", str(out), "--no-maps", "--jobs", "2"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    # Wait until the run has started its workers (the partition stage is under way).
    while time.monotonic() < deadline and proc.poll() is None:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        if children.exists() and children.read_text().split():
            break
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    assert proc.returncode == (130 if sig == signal.SIGINT else 143), stderr
    assert not out.exists()
    assert not leftovers(tmp_path)
    assert sha256(county["path"]) == county["sha256"]
