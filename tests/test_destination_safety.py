"""Nothing the user gave is deleted or replaced by surprise (through the real CLI).

An input inside the destination is refused before anything is read; one writer at
a time per destination; a symlinked ``--out`` is replaced where it points;
``eapart sample`` asks before replacing a file; a full disk or a read-only place is
a clear error that leaves a previous output as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_run import EAPART, QUICK, assert_message, digest, eapart, invoke, tiny_gpkg


def lock_path(out: Path) -> Path:
    """Where a run's lock of ``out`` lives (beside it, hidden)."""
    return out.parent / f".eapart-lock-{out.name}"


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """A complete output of the tiny county (copied by each test that needs one)."""
    folder = tmp_path_factory.mktemp("previous")
    county = tiny_gpkg(folder)
    proc = invoke("run", county, "--out", folder / "out", *QUICK, "--quiet", cwd=folder)
    assert proc.returncode == 0, proc.stderr
    return folder / "out"


def target_of(out: Path) -> float:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))["target_households"]


# --- inputs inside the destination ----------------------------------------------------

@pytest.mark.parametrize("how", ["input", "--config", "--buildings", "--keep-codes-from"])
def test_an_input_inside_the_destination_is_refused_and_kept(tmp_path, previous, how):
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    county = tiny_gpkg(out, "county.gpkg")  # a corrected input saved in the old output
    args = ["run", "--out", "out", "--force", *QUICK, "--target-households", "50"]
    if how == "input":
        args += ["out/county.gpkg"]
    elif how == "--config":
        (out / "run.toml").write_text('[input]\npath = "county.gpkg"\n', encoding="utf-8")
        args += ["--config", "out/run.toml"]
    elif how == "--buildings":
        args += ["--buildings", "out/county.gpkg:buildings",
                 "--townships", str(tiny_gpkg(tmp_path)) + ":townships"]
    else:
        shutil.copytree(previous, out / "old")
        args += [str(tiny_gpkg(tmp_path)), "--keep-codes-from", "out/old"]
    before = digest(out)
    proc = eapart(*args, cwd=tmp_path)
    assert_message(proc, 1, "inside the output directory", "would be deleted")
    assert digest(out) == before, "the destination (and the input in it) must be untouched"
    assert county.exists()


def test_keep_codes_from_the_destination_itself_still_works(tmp_path, previous):
    shutil.copytree(previous, tmp_path / "out")
    proc = invoke("run", tiny_gpkg(tmp_path), "--out", "out", "--force", *QUICK,
                  "--keep-codes-from", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Codes kept from the earlier output (out, county 420117: 42 of 42 building ids " \
           "found, 42 in the same place)" in proc.stdout


# --- one writer at a time ---------------------------------------------------------------

def test_a_second_run_fails_fast_and_names_who_holds_the_destination(tmp_path):
    from eapart.io.lock import destination_lock

    county = tiny_gpkg(tmp_path)
    with destination_lock(tmp_path / "out"):
        started = time.monotonic()
        proc = eapart("run", county, "--out", "out", *QUICK, cwd=tmp_path)
        seconds = time.monotonic() - started
    assert_message(proc, 1, "being written by another eapart run",
                   f"process {os.getpid()} on host {os.uname().nodename}", "started")
    assert seconds < 30
    assert not (tmp_path / "out").exists()


def test_two_runs_at_once_one_writes_the_other_is_refused(tmp_path):
    from eapart.synthetic.county import make_county, write_county

    write_county(tmp_path / "county.gpkg", make_county(n_buildings=1500, n_townships=2, seed=3))
    procs = [subprocess.Popen([*EAPART, "run", "county.gpkg", "--out", "out", *QUICK, "-q",
                               "--target-households", target], cwd=tmp_path, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for target in ("60", "90")]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    assert "being written by another eapart run" in loser
    assert target_of(tmp_path / "out") in (60.0, 90.0)
    assert not lock_path(tmp_path / "out").exists()


def test_a_lock_left_by_a_dead_run_is_taken_over(tmp_path):
    lock = lock_path(tmp_path / "out")
    lock.write_text(json.dumps({"pid": 999_999, "host": os.uname().nodename,
                                "started": "yesterday"}), encoding="utf-8")
    proc = eapart("run", tiny_gpkg(tmp_path), "--out", "out", *QUICK, "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "report.json").exists() and not lock.exists()


HOLD_AND_FORK = """
import os, sys, time
from pathlib import Path
from eapart.io.lock import destination_lock

with destination_lock(Path(sys.argv[1])):
    if os.fork() == 0:
        # The fork hooks have run once fork returns here: say so, then outlive the parent.
        print(os.getpid(), flush=True)
        time.sleep(120)
        os._exit(0)
    time.sleep(120)
"""


def test_a_worker_outliving_a_killed_run_does_not_hold_its_destination(tmp_path):
    """A pool worker forked while the lock is held, still alive after its main process
    was SIGKILLed, must not keep the next run out."""
    import signal

    from eapart.io.lock import destination_lock

    holder = subprocess.Popen([sys.executable, "-c", HOLD_AND_FORK, str(tmp_path / "out")],
                              stdout=subprocess.PIPE, text=True)
    child = int(holder.stdout.readline())
    try:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        assert Path(f"/proc/{child}").exists(), "the forked child should still be alive"
        with destination_lock(tmp_path / "out"):
            pass
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


# --- symlinked destinations ------------------------------------------------------------

def test_a_symlinked_out_is_replaced_where_it_points_and_stays_a_link(tmp_path, previous):
    real = tmp_path / "runs" / "2024"
    real.parent.mkdir()
    shutil.copytree(previous, real)
    (real / "export" / "csv").mkdir(parents=True)  # a leftover of the earlier run
    (real / "export" / "csv" / "small_areas.csv").write_text("old", encoding="utf-8")
    (tmp_path / "latest").symlink_to(real, target_is_directory=True)
    proc = eapart("run", tiny_gpkg(tmp_path), "--out", "latest", "--force", *QUICK, "-q",
                  "--target-households", "50", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "latest").is_symlink()
    assert Path(os.readlink(tmp_path / "latest")) == real
    assert target_of(real) == 50.0
    assert not (real / "export").exists(), "the target keeps no stale leftover"
    assert sorted(p.name for p in real.parent.iterdir()) == ["2024"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.gpkg", "latest", "runs"]


# --- eapart sample -----------------------------------------------------------------------

def test_sample_refuses_an_existing_file_without_force(tmp_path):
    precious = tmp_path / "county.gpkg"
    precious.write_text("my real county", encoding="utf-8")
    args = ["sample", "county.gpkg", "--buildings", "200", "--townships", "2", "-q"]
    assert_message(invoke(*args, cwd=tmp_path), 1, "county.gpkg exists", "--force")
    assert precious.read_text(encoding="utf-8") == "my real county"
    assert invoke(*args, "--force", cwd=tmp_path).returncode == 0
    assert precious.read_bytes()[:16] == b"SQLite format 3\x00"


# --- full disk, read-only places --------------------------------------------------------

@pytest.fixture()
def small_disk(tmp_path):
    """A 2 MB tmpfs (as root), unmounted after the test."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> None:
    """Leave (almost) no free byte on ``disk``."""
    with open(disk / "filler", "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass


def test_a_full_disk_is_a_clear_error_fresh_or_over_a_previous_output(tmp_path, small_disk,
                                                                     previous):
    county = tiny_gpkg(tmp_path)
    fill(small_disk)
    proc = eapart("run", county, "--out", small_disk / "fresh", *QUICK, cwd=tmp_path)
    assert_message(proc, 1, "cannot write fresh", "space")
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]

    (small_disk / "filler").unlink()
    shutil.copytree(previous, small_disk / "out")
    before = digest(small_disk / "out")
    fill(small_disk)
    proc = eapart("run", county, "--out", small_disk / "out", "--force", *QUICK,
                  "--target-households", "50", cwd=tmp_path)
    assert_message(proc, 1, "cannot write out", "space", "previous output is as it was")
    assert digest(small_disk / "out") == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "out"]


def test_a_read_only_place_is_a_clear_error_and_keeps_the_previous_output(
        tmp_path, small_disk, previous):
    shutil.copytree(previous, small_disk / "out")
    before = digest(small_disk / "out")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    county = tiny_gpkg(tmp_path)
    proc = eapart("run", county, "--out", small_disk / "out", "--force", *QUICK, cwd=tmp_path)
    assert_message(proc, 1, "read-only file system")
    proc = eapart("run", county, "--out", small_disk / "new" / "out", *QUICK, cwd=tmp_path)
    assert_message(proc, 1, "read-only file system")
    assert digest(small_disk / "out") == before
