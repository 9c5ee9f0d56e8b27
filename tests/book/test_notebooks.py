"""Chapter notebooks: committed without outputs, each with a parameters cell, each runnable alone."""

import json
from pathlib import Path

import pytest

from lslib.book import pipeline


def test_sources_are_committed_without_outputs(project):
    for chapter in project.chapters():
        cells = json.loads(chapter.source.read_text())["cells"]
        dirty = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and (c["outputs"] or c["execution_count"])]
        assert not dirty, f"{chapter.name}: cells {dirty} carry outputs; strip them before committing"


def test_no_code_cell_grows_past_about_fifteen_lines(project):
    """Code cells stay short (the work lives in lslib); the declarative cells, papermill's parameters (one
    line per parameter) and the bounds table, are exempt."""
    declarative = {"parameters", "parameter-bounds"}
    for chapter in project.chapters():
        cells = json.loads(chapter.source.read_text())["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] == "code" and not declarative & set(cell["metadata"].get("tags", [])):
                lines = "".join(cell["source"]).strip().splitlines()
                assert len(lines) <= 18, f"{chapter.name} cell {index} has {len(lines)} lines: move it into lslib"


@pytest.mark.parametrize("name", [c.name for c in pipeline.Project(Path(__file__).resolve().parents[2]).chapters()])
def test_each_chapter_runs_alone_in_an_empty_run_directory(project, mirror, tmp_path, monkeypatch, name):
    monkeypatch.setenv("LSLIB_DATA_MIRROR", str(mirror))
    run_dir = tmp_path / "empty-run"
    report = pipeline.run(project, "smoke", only=[name], run_dir=run_dir, echo=lambda *_: None)
    (chapter,) = report["chapters"]
    assert chapter["status"] == "ok"
    assert (run_dir / f"{name}.ipynb").is_file()


def test_every_parameter_has_its_bounds_declared_once(project):
    for chapter in project.chapters():
        declared = pipeline.notebook_parameters(chapter.source)
        bounds = pipeline.notebook_bounds(chapter.source)
        assert set(bounds) == set(declared), chapter.name
        cells = json.loads(chapter.source.read_text())["cells"]
        tagged = [c for c in cells if "parameter-bounds" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1 and "check_all(BOUNDS, globals())" in "".join(tagged[0]["source"]), chapter.name
