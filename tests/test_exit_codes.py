"""Exit codes scripts can rely on, and command-line output that leaks no user path.

0 success, 1 invalid input, 2 usage error, 3 finished with flagged small areas
when ``--strict`` is given: each is documented (errors.py, README) and produced by
a real ``eapart run``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from paths import README
from tiny_county import tiny_county, write_gpkg

from eapart import errors

EAPART = [sys.executable, "-m", "eapart.cli", "run"]
QUICK = ["--no-maps", "--jobs", "1"]


@pytest.fixture()
def county(tmp_path: Path) -> Path:
    write_gpkg(tiny_county(), tmp_path / "c.gpkg")
    return tmp_path / "c.gpkg"


def eapart(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*EAPART, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=180)


def flagged(out: Path) -> int:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return sum(report["flags"].values())


def test_exit_codes_are_documented():
    assert (errors.EXIT_OK, errors.EXIT_INPUT, errors.EXIT_USAGE, errors.EXIT_FLAGGED) == \
        (0, 1, 2, 3)
    assert errors.InputError.exit_code == 1 and errors.UsageError.exit_code == 2
    for code in range(4):
        assert f"\n{code}     " in errors.__doc__
    if README.exists():
        text = README.read_text(encoding="utf-8")
        for code, word in ((0, "success"), (1, "invalid input"), (2, "usage error"),
                           (3, "--strict")):
            line = next(li for li in text.splitlines() if li.startswith(f"| {code} |"))
            assert word in line


def test_success_is_0(county, tmp_path):
    proc = eapart(county, "--out", tmp_path / "out", *QUICK)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "report.json").exists()


def test_strict_with_flags_is_3_and_keeps_the_output(county, tmp_path):
    out = tmp_path / "out"
    proc = eapart(county, "--out", out, "--strict", *QUICK)
    assert flagged(out) > 0  # the tiny county has small areas below the minimum
    assert proc.returncode == 3, proc.stderr
    assert "strict" in proc.stderr
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["software"] == "eapart"


def test_strict_without_flags_is_0(tmp_path):
    layers = tiny_county()
    del layers["roads"]  # no major road to cross, and bounds wide enough for any size
    write_gpkg(layers, tmp_path / "c.gpkg")
    out = tmp_path / "out"
    proc = eapart(tmp_path / "c.gpkg", "--out", out, "--strict", "--target-households", "140",
                  "--min-households", "0", "--max-households", "1000", *QUICK)
    assert proc.returncode == 0, proc.stderr
    assert flagged(out) == 0


def test_without_strict_flags_still_give_0(county, tmp_path):
    proc = eapart(county, "--out", tmp_path / "out", *QUICK)
    assert proc.returncode == 0 and flagged(tmp_path / "out") > 0


@pytest.mark.parametrize("args,needle", [
    (["--jobs", "0"], "--jobs"),
    (["--column", "households"], "ROLE=NAME"),
    (["--no-such-option"], "no such option"),
    (["--target-households", "many"], "target-households"),
])
def test_usage_errors_are_2(county, tmp_path, args, needle):
    proc = eapart(county, "--out", tmp_path / "out", *QUICK, *args)
    assert proc.returncode == 2, proc.stderr
    assert needle.lower() in proc.stderr.lower()
    assert not (tmp_path / "out").exists()


def test_missing_out_is_a_usage_error(county):
    proc = eapart(county, *QUICK)
    assert proc.returncode == 2 and "--out" in proc.stderr


def test_invalid_input_is_1(tmp_path):
    layers = tiny_county()
    layers["buildings"].loc[0, "households"] = -1
    write_gpkg(layers, tmp_path / "c.gpkg")
    proc = eapart(tmp_path / "c.gpkg", "--out", tmp_path / "out", *QUICK)
    assert proc.returncode == 1 and "negative" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_existing_output_without_force_is_refused_and_kept(county, tmp_path):
    out = tmp_path / "out"
    assert eapart(county, "--out", out, *QUICK).returncode == 0
    before = (out / "report.json").read_bytes()
    proc = eapart(county, "--out", out, *QUICK)
    assert proc.returncode == 1 and "--force" in proc.stderr
    assert (out / "report.json").read_bytes() == before
    assert eapart(county, "--out", out, "--force", *QUICK).returncode == 0


def test_a_foreign_directory_is_never_replaced_even_with_force(county, tmp_path):
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.txt").write_text("draft")
    (foreign / "report.json").write_text('{"software": "other"}')
    proc = eapart(county, "--out", foreign, "--force", *QUICK)
    assert proc.returncode == 1 and "not an eapart output" in proc.stderr
    assert sorted(p.name for p in foreign.iterdir()) == ["chapter1.txt", "report.json"]
    assert not list(tmp_path.glob(".eapart-*"))


# --- leak nothing ------------------------------------------------------------------------

def _absolute_paths(tmp_path: Path) -> list[str]:
    return [str(tmp_path), str(tmp_path.resolve())]


def _assert_no_path(text: str, tmp_path: Path, what: str) -> None:
    for path in _absolute_paths(tmp_path):
        assert path not in text, f"{what} holds the absolute path {path}"


#: What makes a page fetch from a host: a script, image or frame source, a stylesheet
#: link, a CSS url(), a fetch or XHR to an http(s) address. Plain links are not requests.
REMOTE_REQUEST = re.compile(
    r"""(src\s*=\s*["']?https?:|<link[^>]+href\s*=\s*["']?https?:|url\(\s*["']?https?:"""
    r"""|fetch\(\s*["']https?:|\.open\(\s*["'][A-Z]+["']\s*,\s*["']https?:"""
    r"""|https?://[^"'\s]*\{z\})""",
    re.IGNORECASE)


def test_outputs_hold_no_absolute_path_and_pages_request_no_host(county, tmp_path):
    out = tmp_path / "out"
    proc = eapart(county.resolve(), "--out", out.resolve(), "--config", _config(tmp_path),
                  "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    pages = sorted((out / "map").rglob("*.html"))
    assert pages, "the review map was not written"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not REMOTE_REQUEST.search(text), f"{page.name} requests a remote host"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["input"]["files"] == {"input": "c.gpkg"}
    assert report["config_file"]["name"] == "run.toml"
    for path in sorted(out.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            for absolute in _absolute_paths(tmp_path):
                assert absolute.encode() not in data, f"{path.name} holds {absolute}"
    _assert_no_path(proc.stderr, tmp_path, "stderr")


def test_a_configured_basemap_is_the_only_host_a_page_requests(county, tmp_path):
    proc = eapart(county, "--out", tmp_path / "out", "--jobs", "1", "--basemap", "osm")
    assert proc.returncode == 0, proc.stderr
    index = (tmp_path / "out" / "map" / "index.html").read_text(encoding="utf-8")
    hosts = {m.group(0) for m in REMOTE_REQUEST.finditer(index)}
    assert hosts and all("tile.openstreetmap.org" in h for h in hosts), hosts


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "run.toml"
    path.write_text("[partition]\nseed = 3\n", encoding="utf-8")
    return path


def test_stdout_holds_no_absolute_path(county, tmp_path):
    proc = eapart(county.resolve(), "--out", (tmp_path / "out").resolve(), *QUICK)
    assert proc.returncode == 0, proc.stderr
    _assert_no_path(proc.stdout, tmp_path, "stdout")


@pytest.mark.parametrize("case", ["missing input", "existing output", "foreign output",
                                  "bad value"])
def test_error_messages_hold_no_absolute_path(county, tmp_path, case):
    out = tmp_path / "out"
    source = county
    if case == "missing input":
        source = tmp_path / "elsewhere.gpkg"
    elif case == "existing output":
        assert eapart(county, "--out", out, *QUICK).returncode == 0
    elif case == "foreign output":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    else:
        layers = tiny_county()
        layers["buildings"]["households"] = layers["buildings"]["households"].astype(object)
        layers["buildings"].loc[2, "households"] = "lots"
        write_gpkg(layers, tmp_path / "bad.gpkg")
        source = tmp_path / "bad.gpkg"
    proc = eapart(source.resolve(), "--out", out.resolve(), *QUICK)
    assert proc.returncode == 1
    assert proc.stderr.count("error: ") == 1
    _assert_no_path(proc.stdout + proc.stderr, tmp_path, "the error message")


def test_ctrl_c_inside_generated_code_still_exits_130(tmp_path):
    """A Ctrl-C that lands while a dataclass builds its methods (an exec() of a
    string, as during a lazy import) is handled like any other: status 130, not a
    death by SIGINT (CPython 3.11 remembers such an interrupt unless told not to)."""
    script = tmp_path / "interrupted_job.py"
    script.write_text(
        "import click\n"
        "from eapart.cli import _errors_to_exit_codes\n"
        "@click.command()\n"
        "@_errors_to_exit_codes\n"
        "def job():\n"
        "    exec('raise KeyboardInterrupt')\n"
        "job()\n",
        encoding="utf-8",
    )
    # Run as a module, as `python -m eapart.cli` and the console script do: a script
    # run by path takes another exit route in CPython that hides the problem.
    proc = subprocess.run([sys.executable, "-m", "interrupted_job"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 130, proc.stderr
    assert "interrupted" in proc.stderr
