"""The HTML book: built with warnings as errors, every page checked in headless Chromium."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lslib.book import build, check

pytestmark = pytest.mark.book


@pytest.fixture(scope="module")
def built(project, smoke_run, tmp_path_factory) -> Path:
    return build.build(project, smoke_run, out_dir=tmp_path_factory.mktemp("book"))


def test_the_book_has_intro_chapters_and_reproducibility(project, built):
    assert (built / "index.html").is_file()
    for page in ("book/intro", "book/reproducibility", "book/bibliography",
                 *[f"notebooks/{c.name}" for c in project.chapters()]):
        assert (built / f"{page}.html").is_file(), page


def test_the_reproducibility_page_renders_the_run_report(built, smoke_run):
    html = (built / "book" / "reproducibility.html").read_text()
    text = re.sub(r"<[^>]+>", " ", html)
    assert re.search(r"01_data_acquisition\s+smoke\s+ok\s+[\d.]+\s+\d+\s+0", text), "chapter row missing"
    assert "glc_n_events" in text and "11032" in text


def test_the_bibliography_lists_the_study_references(built):
    text = (built / "book" / "bibliography.html").read_text()
    for author in ("Isola", "Kingma", "Almahairi", "Huang", "Christie", "Racah", "Hochreiter", "Gariano",
                   "Lewkowicz", "Uemoto", "Ghorbanzadeh", "Kirschbaum", "Stanley", "Garnot"):
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
