"""The HTML book: built with warnings as errors, every page checked in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
from html import unescape
from pathlib import Path

import pytest

from lslib.book import build, check

pytestmark = pytest.mark.book


@pytest.fixture(scope="module")
def built(project, smoke_run, tmp_path_factory) -> Path:
    return build.build(project, smoke_run, out_dir=tmp_path_factory.mktemp("book"))


def test_the_book_has_intro_chapters_and_reproducibility(project, built):
    assert (built / "index.html").is_file()
    for page in (
        "book/intro",
        "book/reproducibility",
        "book/bibliography",
        *[f"notebooks/{c.name}" for c in project.chapters()],
    ):
        assert (built / f"{page}.html").is_file(), page


def test_the_reproducibility_page_renders_the_run_report(built, smoke_run):
    html = (built / "book" / "reproducibility.html").read_text()
    text = re.sub(r"<[^>]+>", " ", html)
    assert re.search(r"01_data_acquisition\s+smoke\s+ok\s+[\d.]+\s+\d+\s+0", text), "chapter row missing"
    assert "glc_n_events" in text and "11032" in text


def test_the_bibliography_lists_the_study_references(built):
    text = (built / "book" / "bibliography.html").read_text()
    for author in (
        "Isola",
        "Kingma",
        "Almahairi",
        "Huang",
        "Christie",
        "Racah",
        "Hochreiter",
        "Gariano",
        "Lewkowicz",
        "Uemoto",
        "Ghorbanzadeh",
        "Kirschbaum",
        "Stanley",
        "Garnot",
    ):
        assert author in text, author


def test_pages_stay_small_enough_to_read_online(built):
    for page in built.rglob("*.html"):
        assert page.stat().st_size < 6 * 2**20, f"{page.name} is {page.stat().st_size / 2**20:.1f} MiB"


def test_every_page_renders_in_a_browser(project, built, smoke_run):
    assert check.check_pages(project, built, smoke_run) == []


def test_the_browser_check_catches_a_blank_page(project, built, smoke_run, tmp_path):
    broken = tmp_path / "html"
    shutil.copytree(built, broken)
    page = broken / "notebooks" / "01_data_acquisition.html"
    html = page.read_text()
    start, end = html.index("<article"), html.index("</article>") + len("</article>")
    page.write_text(html[:start] + '<article class="bd-article"></article>' + html[end:])
    problems = check.check_pages(project, broken, smoke_run)
    assert any("notebooks/01_data_acquisition: the page is blank" in p for p in problems), problems
    assert any("figures its notebook produced" in p for p in problems), problems


def test_the_browser_check_catches_a_traceback(project, built, smoke_run, tmp_path):
    broken = tmp_path / "html"
    shutil.copytree(built, broken)
    page = broken / "book" / "intro.html"
    html = page.read_text().replace("</article>", "<pre>Traceback (most recent call last):\n  boom</pre></article>", 1)
    page.write_text(html)
    problems = check.check_pages(project, broken, smoke_run)
    assert problems == ["book/intro: the page shows a Python traceback or error output"]


def _finding(question: str, answer: str, key, interval, provenance: str, metric: str) -> dict:
    return {
        "question": question,
        "answer": answer,
        "key_number": key,
        "interval": interval,
        "provenance": provenance,
        "metric": metric,
    }


def test_the_findings_table_renders_every_chapter_and_says_which_have_none():
    report = {
        "profile": "smoke",
        "chapters": [
            {
                "name": "01_data_acquisition",
                "status": "ok",
                "metrics": {
                    "glc_n_events": 11032,
                    "summary": [
                        _finding(
                            "What triggers slides?",
                            "Mostly rain: 97% | of known triggers.",
                            0.97,
                            None,
                            "real",
                            "share",
                        )
                    ],
                },
            },
            {
                "name": "04_predictor",
                "status": "ok",
                "metrics": {
                    "summary": [
                        _finding(
                            "Beats the forest?", "No: AUROC 0.46.", 0.4615, [0.2377, 0.6783], "simulated", "AUROC"
                        ),
                        _finding("Calibrated?", "No.", None, None, "simulated", "ECE"),
                    ]
                },
            },
            {"name": "05_cgan_scenarios", "status": "failed", "metrics": {}},
            {"name": "06_cross_continent", "status": "ok", "metrics": {"auroc": 0.5}},
        ],
    }
    chapters = ["01_data_acquisition", "02_case_studies", "04_predictor", "05_cgan_scenarios", "06_cross_continent"]
    text = build.render_findings(report, chapters)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [row.split(" | ")[0] for row in rows] == [
        "| " + name
        for name in [
            "01_data_acquisition",
            "02_case_studies",
            "04_predictor",
            "04_predictor",
            "05_cgan_scenarios",
            "06_cross_continent",
        ]
    ]
    assert "| Mostly rain: 97% \\| of known triggers. | share 0.97 | real |" in rows[0]
    assert "was not part of this run" in rows[1] and "failed in this run" in rows[4]
    assert "recorded no findings" in rows[5]
    assert rows[2].endswith("| No: AUROC 0.46. | AUROC 0.462 [0.238, 0.678] | simulated |")
    assert rows[3].endswith("| Calibrated? | No. | ECE n/a | simulated |")
    assert "**smoke**" in text


def test_the_run_report_leaves_the_findings_to_the_introduction():
    summary = [_finding("Q?", "A.", 1, None, "real", "")]
    report = {
        "profile": "smoke",
        "chapters": [
            {
                "name": "01_x",
                "status": "ok",
                "seconds": 1.0,
                "peak_rss_mb": 9.0,
                "metrics": {"n": 3, "summary": summary},
            }
        ],
    }
    text = build.render_run_report(report)
    assert "`n`" in text and "summary" not in text


def test_staging_writes_the_findings_beside_the_run_report(project, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    chapters = []
    for chapter in project.chapters():
        empty = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        (run_dir / f"{chapter.name}.ipynb").write_text(json.dumps(empty))
        chapters.append(
            {
                "name": chapter.name,
                "status": "ok",
                "seconds": 1.0,
                "peak_rss_mb": 9.0,
                "metrics": {
                    "summary": [_finding(f"Question of {chapter.name}?", "Yes.", 0.5, [0.4, 0.6], "simulated", "AUROC")]
                },
            }
        )
    (run_dir / "report.json").write_text(json.dumps({"profile": "smoke", "chapters": chapters}))
    staged = build.stage(project, run_dir, tmp_path / "src")
    findings = (staged / "book" / "_generated" / "findings.md").read_text()
    assert all(f"Question of {chapter.name}?" in findings for chapter in project.chapters())
    assert "```{include} _generated/findings.md" in (staged / "book" / "intro.md").read_text()


def test_the_introduction_opens_with_the_findings_of_the_run(built, smoke_run):
    html = (built / "book" / "intro.html").read_text()
    article = html[html.index("<article") : html.index("</article>")]
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", article))).replace("\u2019", "'")
    report = json.loads((smoke_run / "report.json").read_text())
    questions = [f["question"] for c in report["chapters"] for f in c["metrics"].get("summary", [])]
    assert len(questions) >= 6 * 3
    assert all(" ".join(question.split()) in text for question in questions)
    assert text.index("Findings of the run") < text.index("This edition contains all six chapters")
