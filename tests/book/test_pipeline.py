"""The papermill pipeline on tiny throwaway books that the tests write."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lslib.book import pipeline
from lslib.book.profiles import load_profile
from lslib.errors import ChapterFailed, ParameterError


def _bounds_cell(parameters: str, ranges: dict[str, str]) -> str:
    """A ``parameter-bounds`` cell: every parameter by its default's type, with the given extra ranges."""
    entries = []
    for line in parameters.splitlines():
        name, _, default = (part.strip() for part in line.partition("="))
        extra = f", {ranges[name]}" if name in ranges else ""
        entries.append(f"    {name!r}: Bound({type(eval(default)).__name__}{extra}),")
    return (
        "from lslib.book.parameters import Bound, check_all\nBOUNDS = {\n"
        + "\n".join(entries)
        + "\n}\ncheck_all(BOUNDS, globals())"
    )


def _notebook(path: Path, parameters: str, *body: str, ranges: dict[str, str] | None = None) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell(f"# {path.stem}"),
        nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(_bounds_cell(parameters, ranges or {}), metadata={"tags": ["parameter-bounds"]}),
    ]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in body]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


@pytest.fixture
def book(tmp_path: Path) -> pipeline.Project:
    """Three chapters: one that records metrics, one that fails in its third cell, one that sleeps."""
    (tmp_path / "notebooks").mkdir()
    _notebook(
        tmp_path / "notebooks" / "01_count.ipynb",
        'seed = 0\nprofile = "quick"\nn_items = 3\nrate = 0.5\nlabel = "x"',
        "from lslib.book import report\nreport.record('total', n_items * rate)",
        "import pathlib\npathlib.Path('artifact.txt').write_text(label)",
        ranges={"n_items": "minimum=1", "rate": "maximum='n_items * 2'"},
    )
    _notebook(
        tmp_path / "notebooks" / "02_fail.ipynb",
        "seed = 1",
        "x = 1",
        "raise ValueError('boom in chapter two')",
        "print('never reached')",
    )
    _notebook(tmp_path / "notebooks" / "03_slow.ipynb", "seed = 2\nseconds = 0.0", "import time\ntime.sleep(seconds)")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n"
        "  - file: notebooks/01_count\n  - file: notebooks/02_fail\n  - file: notebooks/03_slow\n"
    )
    (tmp_path / "test.yaml").write_text(
        "description: test profile\ntimeout_s: 120\nchapters:\n  01_count:\n    n_items: 4\n"
    )
    return pipeline.Project(tmp_path)


def test_chapters_follow_the_toc(book):
    assert [c.name for c in book.chapters()] == ["01_count", "02_fail", "03_slow"]
    assert [c.name for c in pipeline.select_chapters(book.chapters(), ["03", "01_count"])] == ["01_count", "03_slow"]
    with pytest.raises(ParameterError, match="--only '09' names no chapter"):
        pipeline.select_chapters(book.chapters(), ["09"])


def test_parameters_are_read_without_executing(book):
    declared = pipeline.notebook_parameters(book.root / "notebooks" / "01_count.ipynb")
    assert {n: (p.default, p.type) for n, p in declared.items()} == {
        "seed": (0, int),
        "profile": ("quick", str),
        "n_items": (3, int),
        "rate": (0.5, float),
        "label": ("x", str),
    }


def test_unknown_and_mistyped_parameters_name_chapter_and_parameter(book):
    chapters = book.chapters()[:1]
    profile = load_profile(book.root / "test.yaml")
    with pytest.raises(ParameterError, match="--param 'no_such' is not a parameter of any selected chapter"):
        pipeline.resolve_parameters(chapters, profile, {"no_such": 1})
    with pytest.raises(ParameterError, match="01_count: parameter 'n_items' expects int .* got 'many'"):
        pipeline.resolve_parameters(chapters, profile, {"n_items": "many"})
    with pytest.raises(ParameterError, match="parameter 'rate' expects float"):
        pipeline.resolve_parameters(chapters, profile, {"rate": True})
    assert pipeline.resolve_parameters(chapters, profile, {"rate": 2})["01_count"] == {"n_items": 4, "rate": 2}
    broken = pipeline.Profile(name="broken", timeout_s=10, chapters={"01_count": {"epochs": 3}})
    with pytest.raises(ParameterError, match="01_count: profile 'broken' sets unknown parameter 'epochs'"):
        pipeline.resolve_parameters(chapters, broken)


def test_a_run_writes_outputs_and_the_report(book, tmp_path):
    run_dir = tmp_path / "run"
    lines: list[str] = []
    report = pipeline.run(
        book, book.root / "test.yaml", only=["01"], overrides={"label": "hello"}, run_dir=run_dir, echo=lines.append
    )
    assert lines[0].startswith("ok") and lines[0].endswith("notebooks/01_count.ipynb"), lines
    assert (run_dir / "artifact.txt").read_text() == "hello"  # the run directory is the working directory
    executed = nbformat.read(run_dir / "01_count.ipynb", as_version=4)
    assert "n_items = 4" in executed.cells[2].source  # papermill's injected parameters
    on_disk = json.loads((run_dir / "report.json").read_text())
    assert on_disk == report
    assert set(on_disk) >= {"profile", "git_commit", "started", "chapters", "environment"}
    assert on_disk["environment"]["cpu_count"] >= 1 and on_disk["environment"]["device"]
    assert on_disk["environment"]["packages"]["torch"] == on_disk["environment"]["torch"]
    (chapter,) = on_disk["chapters"]
    assert chapter["name"] == "01_count" and chapter["status"] == "ok" and chapter["seed"] == 0
    assert chapter["metrics"] == {"total": 2.0}
    assert chapter["seconds"] > 0 and chapter["peak_rss_mb"] > 10


def test_a_failing_chapter_names_the_cell_and_keeps_the_partial_notebook(book, tmp_path):
    run_dir = tmp_path / "run"
    lines: list[str] = []
    with pytest.raises(
        ChapterFailed,
        match=r"02_fail failed: cell 4 of the source \(In \[(\d+)\], starting .raise ValueError.*\) "
        r"raised ValueError: boom",
    ) as caught:
        pipeline.run(book, book.root / "test.yaml", run_dir=run_dir, echo=lines.append)
    assert lines[0].startswith("ok") and lines[1].startswith("FAIL")
    assert any("partial notebook kept at" in line for line in lines)
    assert not (run_dir / "02_fail.ipynb").exists()  # nowhere the book build would render it
    partial = nbformat.read(run_dir / "partial" / "02_fail.ipynb", as_version=4)
    count = int(re.search(r"In \[(\d+)\]", str(caught.value)).group(1))
    (failing,) = [c for c in partial.cells if c.get("execution_count") == count]
    assert failing.source.startswith("raise ValueError")  # the message names the right cell
    assert failing.outputs[0]["ename"] == "ValueError"
    assert partial.cells[-1].source == "print('never reached')" and not partial.cells[-1].outputs
    report = json.loads((run_dir / "report.json").read_text())
    assert [c["status"] for c in report["chapters"]] == ["ok", "failed"]  # the slow chapter never ran
    assert "boom in chapter two" in report["chapters"][1]["error"]


def test_a_chapter_past_its_timeout_is_stopped(book, tmp_path):
    with pytest.raises(ChapterFailed, match="03_slow timeout"):
        pipeline.run(
            book,
            book.root / "test.yaml",
            only=["03"],
            overrides={"seconds": 60.0},
            run_dir=tmp_path / "run",
            timeout_s=8,
            echo=lambda *_: None,
        )
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["chapters"][0]["status"] == "timeout"
    assert report["chapters"][0]["seconds"] < 30


def test_the_command_line_rejects_a_bad_parameter_before_executing(book, tmp_path):
    run_dir = tmp_path / "run"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lslib",
            "--root",
            str(book.root),
            "run",
            "--profile",
            str(book.root / "test.yaml"),
            "--only",
            "01_count",
            "--param",
            "no_such=1",
            "--run-dir",
            str(run_dir),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "no_such" in result.stderr and "nothing was executed" in result.stderr
    assert not run_dir.exists()


def test_the_real_book_rejects_no_such_parameter(project):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lslib",
            "--root",
            str(project.root),
            "run",
            "--profile",
            "smoke",
            "--only",
            "01_data_acquisition",
            "--param",
            "no_such=1",
            "--run-dir",
            "/nonexistent/run",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "'no_such'" in result.stderr and "01_data_acquisition" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("epochs=5", ("epochs", 5)),
        ("lr=1e-3", ("lr", 0.001)),
        ("flag=true", ("flag", True)),
        ("s=abc", ("s", "abc")),
        ("country=NO", ("country", "NO")),
        ("mode=off", ("mode", "off")),
    ],
)
def test_parse_param(text, expected):
    assert pipeline.parse_param(text) == expected


def test_parse_param_needs_an_equals_sign():
    with pytest.raises(ParameterError, match="KEY=VALUE"):
        pipeline.parse_param("epochs")


def test_parameters_the_pipeline_sets_cannot_be_overridden(book):
    with pytest.raises(ParameterError, match="'profile' is set by the pipeline"):
        pipeline.resolve_parameters(
            book.chapters()[:1],
            load_profile(book.root / "test.yaml"),
            {"profile": "full"},
            injected={"profile": "test"},
        )


def test_a_value_out_of_bounds_is_refused_before_any_kernel_starts(book, tmp_path):
    chapters = book.chapters()[:1]
    profile = load_profile(book.root / "test.yaml")
    with pytest.raises(
        ParameterError,
        match=r"nothing was executed:\n  01_count: parameter 'n_items' must be >= 1, "
        r"got -5 \(allowed: minimum 1\)",
    ):
        pipeline.resolve_parameters(chapters, profile, {"n_items": -5})
    # a bound written over another parameter is evaluated with the values the chapter will receive
    with pytest.raises(ParameterError, match=r"'rate' must be <= 8, got 9.0 \(maximum n_items \* 2 = 8\)"):
        pipeline.resolve_parameters(chapters, profile, {"rate": 9.0})
    assert pipeline.resolve_parameters(chapters, profile, {"rate": 8.0})["01_count"]["rate"] == 8.0
    run_dir = tmp_path / "run"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lslib",
            "--root",
            str(book.root),
            "run",
            "--profile",
            str(book.root / "test.yaml"),
            "--param",
            "n_items=-5",
            "--run-dir",
            str(run_dir),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "nothing was executed" in result.stderr and "01_count" in result.stderr
    assert not run_dir.exists()


def test_the_real_book_refuses_a_negative_site_count_before_running(project, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lslib",
            "--root",
            str(project.root),
            "run",
            "--profile",
            "smoke",
            "--only",
            "04_predictor",
            "--param",
            "n_sites=-5",
            "--run-dir",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "nothing was executed" in result.stderr
    assert "04_predictor: parameter 'n_sites' must be >= 40, got -5 (allowed: minimum 40)" in result.stderr
    assert not (tmp_path / "run").exists()


def test_a_chapter_without_a_bounds_cell_is_refused(tmp_path):
    path = tmp_path / "bare.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("seed = 0", metadata={"tags": ["parameters"]})]
    nbformat.write(notebook, path)
    with pytest.raises(ParameterError, match="bare.ipynb has no code cell tagged 'parameter-bounds'"):
        pipeline.notebook_bounds(path)


def test_a_second_run_reuses_finished_chapters_until_something_changes(book, tmp_path):
    run_dir = tmp_path / "run"
    profile = book.root / "test.yaml"
    first = pipeline.run(book, profile, only=["01", "03"], run_dir=run_dir, echo=lambda *_: None)
    assert [c["reused"] for c in first["chapters"]] == [False, False]
    lines: list[str] = []
    second = pipeline.run(book, profile, only=["01", "03"], run_dir=run_dir, echo=lines.append)
    assert [c["reused"] for c in second["chapters"]] == [True, True]
    assert lines[0].startswith("reused") and second["chapters"][0]["metrics"] == {"total": 2.0}
    # a parameter of the first chapter changes: it runs again, and so does the later one that may read it
    third = pipeline.run(
        book, profile, only=["01", "03"], overrides={"rate": 1.0}, run_dir=run_dir, echo=lambda *_: None
    )
    assert [c["reused"] for c in third["chapters"]] == [False, False]
    assert third["chapters"][0]["metrics"] == {"total": 4.0}
    # the notebook's source changes: only that chapter runs again
    slow = book.root / "notebooks" / "03_slow.ipynb"
    notebook = nbformat.read(slow, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("finished = True"))
    nbformat.write(notebook, slow)
    fourth = pipeline.run(
        book, profile, only=["01", "03"], overrides={"rate": 1.0}, run_dir=run_dir, echo=lambda *_: None
    )
    assert [c["reused"] for c in fourth["chapters"]] == [True, False]
    forced = pipeline.run(
        book, profile, only=["01", "03"], overrides={"rate": 1.0}, run_dir=run_dir, force=True, echo=lambda *_: None
    )
    assert [c["reused"] for c in forced["chapters"]] == [False, False]


def test_a_failed_chapter_is_executed_again(book, tmp_path):
    run_dir = tmp_path / "run"
    with pytest.raises(ChapterFailed):
        pipeline.run(book, book.root / "test.yaml", only=["02"], run_dir=run_dir, echo=lambda *_: None)
    lines: list[str] = []
    with pytest.raises(ChapterFailed):
        pipeline.run(book, book.root / "test.yaml", only=["02"], run_dir=run_dir, echo=lines.append)
    assert lines[0].startswith("FAIL")


def _pool_book(root: Path) -> pipeline.Project:
    """A chapter that starts two pool workers and sleeps, as the simulator's pool does."""
    (root / "notebooks").mkdir(parents=True)
    _notebook(
        root / "notebooks" / "01_pool.ipynb",
        "seed = 0\nprofile = 'quick'",
        "import multiprocessing, pathlib, os, time\n"
        "pool = multiprocessing.get_context('fork').Pool(2)\n"
        "pids = [worker.pid for worker in pool._pool]\n"
        "pathlib.Path('started').write_text(' '.join(map(str, [os.getpid(), *pids])))\n"
        "pool.map_async(time.sleep, [120, 120])\n"
        "time.sleep(120)",
    )
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: notebooks/01_pool\n")
    return pipeline.Project(root)


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_run_its_kernel_and_its_workers(tmp_path, signal_name):
    import os
    import signal
    import time

    import psutil

    book = _pool_book(tmp_path / "book")
    run_dir = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "lslib",
        "--root",
        str(book.root),
        "run",
        "--profile",
        "smoke",
        "--run-dir",
        str(run_dir),
    ]
    smoke = tmp_path / "smoke.yaml"
    smoke.write_text("description: t\ntimeout_s: 300\nchapters:\n  01_pool: {}\n")
    command[command.index("smoke")] = str(smoke)
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 90
    while not (run_dir / "started").is_file() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert (run_dir / "started").is_file(), process.communicate()
    time.sleep(0.5)
    started = [int(p) for p in (run_dir / "started").read_text().split()]
    assert len(started) == 3 and all(psutil.pid_exists(p) for p in started)
    sent = time.monotonic()
    # Ctrl-C reaches the whole foreground process group; SIGTERM (a scheduler's stop) only the run
    if signal_name == "SIGINT":
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    stopped_after = time.monotonic() - sent
    print(f"{signal_name}: the run stopped {stopped_after:.2f} s after the signal")
    assert stopped_after < 5, f"the run took {stopped_after:.1f} s to stop"
    assert process.returncode == 128 + getattr(signal, signal_name), stderr
    time.sleep(0.5)
    survivors = [p for p in started if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert survivors == [], f"processes left running: {survivors}"
    report = json.loads((run_dir / "report.json").read_text())
    assert report["chapters"][0]["status"] == "interrupted"
    assert signal_name in report["chapters"][0]["error"]
    assert not (run_dir / "01_pool.ipynb").exists() and (run_dir / "partial" / "01_pool.ipynb").exists()
