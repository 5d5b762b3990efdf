"""Faults: killed runs leave no workers and no partial sets; one bad county stops no batch.

Worker processes die with the main process, SIGKILL included. ``export``,
``sheets`` and ``map`` rebuild their folders aside and swap them in whole, so a
kill at any moment leaves the previous set or the new one; leftovers of killed
writers are swept by the next run. In a batch, an error in one county (a NaN
vertex, a full disk) is recorded and the others still run.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import shapely
from cli_run import EAPART, QUICK, digest, eapart, invoke, tiny_gpkg
from tiny_county import X0, Y0, tiny_county


def session_processes(sid: int) -> list[int]:
    """Processes of the session ``sid`` (a run started in a session of its own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(entry.name))
    return found


def describe(pid: int) -> str:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return f"{pid} (gone)"
    return f"{pid} {state} {command[:120]}"


def wait_for(condition, timeout: float, step: float = 0.1) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(step)
    return condition()


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    """A county whose townships take a few seconds over two worker processes."""
    from eapart.synthetic.county import make_county, write_county

    path = tmp_path_factory.mktemp("faults") / "county.gpkg"
    write_county(path, make_county(n_buildings=6000, n_townships=4, seed=2))
    return path


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    """A complete output of the tiny county, with its review map."""
    folder = tmp_path_factory.mktemp("output")
    proc = invoke("run", tiny_gpkg(folder), "--out", folder / "out", "--jobs", "1", "-q",
                  cwd=folder)
    assert proc.returncode == 0, proc.stderr
    return folder / "out"


#: How long workers may take to notice the main process is gone (a loaded machine is slow).
GRACE_SECONDS = 10


def kill_with_workers(args: list[str], cwd: Path, workers: int = 2, extra: int = 0,
                      env: dict[str, str] | None = None) -> list[str]:
    """Start ``eapart ARGS`` in a session of its own, SIGKILL it once its workers run;
    return the processes of the session still alive :data:`GRACE_SECONDS` later."""
    proc = subprocess.Popen([*EAPART, *args], cwd=cwd, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=None if env is None else {**os.environ, **env})
    try:
        # The main process, the forkserver and resource tracker (for runs), the workers.
        started = wait_for(lambda: len(session_processes(proc.pid)) >= 1 + workers + extra, 120)
        assert started, "the workers never started"
        time.sleep(1.0)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        wait_for(lambda: not session_processes(proc.pid), GRACE_SECONDS)
        return [describe(pid) for pid in session_processes(proc.pid)]
    finally:
        for pid in session_processes(proc.pid):  # never leave them to the next test
            os.kill(pid, signal.SIGKILL)


def test_workers_die_with_a_sigkilled_run(tmp_path, county):
    left = kill_with_workers(["run", str(county), "--out", "out", "--no-maps", "--jobs", "2"],
                             tmp_path, extra=2)
    assert left == [], f"worker processes outlived the run: {left}"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_workers_die_with_sigkilled_sheets(tmp_path, county):
    proc = invoke("run", county, "--out", "out", "--no-maps", "--jobs", "2", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    left = kill_with_workers(["sheets", "out", "--jobs", "2"], tmp_path,
                             env={"TMPDIR": str(temporary)})
    assert left == [], f"sheet workers outlived the command: {left}"
    # The subset fonts lie in the killed run's staging folder, not the system's
    # temporary folder, and the next run tidies that folder away.
    assert sorted(p.name for p in temporary.iterdir()) == []
    assert invoke("sheets", "out", "--jobs", "1", "-q", cwd=tmp_path).returncode == 0
    assert [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")] == []
    assert not list((tmp_path / "out" / "sheets").rglob(".partial-*"))


# --- export, sheets, map: whole sets or none ---------------------------------------------

EXPORT_FORMATS = ("gpkg", "shp", "geojson", "csv", "xlsx")


def assert_whole_export(out: Path) -> None:
    folder = out / "export"
    if not folder.exists():
        return
    assert sorted(p.name for p in folder.iterdir()) == sorted(EXPORT_FORMATS), \
        "a partial export looks complete"
    for fmt in EXPORT_FORMATS:
        names = [p.name for p in (folder / fmt).iterdir()]
        assert names and not [n for n in names if n.startswith((".partial", "tmp"))], names


def kill_after(args: list[str], cwd: Path, delay: float) -> int:
    proc = subprocess.Popen([*EAPART, *args], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        return proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        return proc.wait(timeout=30)


def export_seconds(out: Path) -> float:
    started = time.monotonic()
    assert eapart("export", out, "--format", ",".join(EXPORT_FORMATS), cwd=out.parent) \
        .returncode == 0
    shutil.rmtree(out / "export")
    return time.monotonic() - started


def test_a_killed_first_export_leaves_the_whole_set_or_none(tmp_path, output):
    out = tmp_path / "out"
    shutil.copytree(output, out)
    seconds = export_seconds(out)
    rng = random.Random(7)
    for _ in range(3):
        kill_after(["export", "out", "--format", ",".join(EXPORT_FORMATS)], tmp_path,
                   rng.uniform(0.3 * seconds, 0.95 * seconds))
        assert_whole_export(out)
        shutil.rmtree(out / "export", ignore_errors=True)


def test_export_sweeps_what_killed_exports_left(tmp_path, output):
    out = tmp_path / "out"
    shutil.copytree(output, out)
    (out / "export" / "shp" / "tmpk3x9").mkdir(parents=True)
    (out / "export" / "shp" / ".partial-small_areas.zip").write_bytes(b"half")
    (out / "export" / "csv").mkdir()
    (out / "export" / "csv" / ".partial-townships.csv").write_bytes(b"half")
    (out / "export" / ".eapart-tmp-shp-999999-abcd1234").mkdir()
    (out / ".eapart-tmp-export-999999-abcd1234").mkdir()
    proc = invoke("export", "out", "--format", "shp", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    left = [p.relative_to(out).as_posix() for p in out.rglob("*")
            if p.name.startswith((".partial", "tmp", ".eapart-"))]
    assert left == []
    assert sorted(p.name for p in (out / "export").iterdir()) == ["shp"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_a_killed_first_sheets_leaves_the_whole_set_or_none(tmp_path, output):
    out = tmp_path / "out"
    shutil.copytree(output, out)
    started = time.monotonic()
    assert eapart("sheets", "out", "--jobs", "1", cwd=tmp_path).returncode == 0
    seconds = time.monotonic() - started
    expected = sorted(p.name for p in (out / "sheets").iterdir())
    shutil.rmtree(out / "sheets")
    rng = random.Random(3)
    for _ in range(2):
        kill_after(["sheets", "out", "--jobs", "1"], tmp_path,
                   rng.uniform(0.5 * seconds, 0.97 * seconds))
        if (out / "sheets").exists():
            assert sorted(p.name for p in (out / "sheets").iterdir()) == expected
            shutil.rmtree(out / "sheets")


def test_a_killed_map_never_changes_the_main_output(tmp_path, output):
    out = tmp_path / "out"
    shutil.copytree(output, out)
    main = {k: v for k, v in digest(out).items() if not k.startswith("map/")}
    started = time.monotonic()
    assert eapart("map", "out", cwd=tmp_path).returncode == 0
    seconds = time.monotonic() - started
    rng = random.Random(11)
    for _ in range(3):
        kill_after(["map", "out"], tmp_path, rng.uniform(0.5 * seconds, 1.0 * seconds))
        now = digest(out)
        assert {k: v for k, v in now.items() if not k.startswith(("map/", "."))} == main
        assert "map/index.html" in now, "the previous review map stays until the new one is whole"
    assert invoke("map", "out", cwd=tmp_path).returncode == 0
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


# --- batch -------------------------------------------------------------------------------

def test_one_county_with_an_unexpected_fault_does_not_stop_the_batch(tmp_path):
    tiny_gpkg(tmp_path, "a.gpkg")
    layers = tiny_county()
    geoms = list(layers["buildings"].geometry)
    geoms[3] = shapely.Polygon([(X0 + 100, Y0 + 100), (float("nan"), Y0 + 100),
                                (X0 + 120, Y0 + 120)])
    layers["buildings"] = layers["buildings"].set_geometry(geoms, crs=layers["buildings"].crs)
    tiny_gpkg(tmp_path, "nan.gpkg", layers)
    (tmp_path / "m.csv").write_text("input,out\nnan.gpkg,r/nan\na.gpkg,r/a\n", encoding="utf-8")
    proc = invoke("batch", "m.csv", *QUICK[:1], "--jobs", "1", cwd=tmp_path)
    assert proc.returncode == 1
    table = pd.read_csv(tmp_path / "national_summary.csv", dtype=str, encoding="utf-8-sig")
    assert list(table["status"]) == ["failed", "done"]
    assert "T0H03" in table["message"][0]
    assert (tmp_path / "r" / "a" / "report.json").exists()


@pytest.mark.parametrize("command", ["map", "export", "sheets"])
def test_a_damaged_output_is_a_clear_error_for_map_export_and_sheets(tmp_path, output, command):
    from cli_run import assert_message

    out = tmp_path / "out"
    shutil.copytree(output, out)
    data = (out / "eapart.gpkg").read_bytes()
    (out / "eapart.gpkg").write_bytes(data[: len(data) // 3])
    before = digest(out)
    assert_message(invoke(command, "out", "-q", cwd=tmp_path), 1, "out is damaged",
                   "write it again")
    assert digest(out) == before
