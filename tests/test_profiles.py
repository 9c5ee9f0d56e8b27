"""Profiles are the single source of sizes: they must match the notebooks they drive."""

import pytest

from lslib.book import pipeline
from lslib.book.profiles import PROFILE_NAMES, load_profile


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_profile_validates_against_every_chapter(project, name):
    profile = load_profile(name)
    chapters = project.chapters()
    assert set(profile.chapters) == {c.name for c in chapters}, "a profile names every chapter, and only those"
    pipeline.resolve_parameters(chapters, profile, injected={"profile": name})


def test_notebook_defaults_are_the_quick_profile(project):
    quick = load_profile("quick")
    for chapter in project.chapters():
        declared = pipeline.notebook_parameters(chapter.source)
        assert "seed" in declared, f"{chapter.name} needs one seed parameter"
        assert declared["profile"].default == "quick"
        for name, value in quick.parameters_for(chapter.name).items():
            assert declared[name].default == value, f"{chapter.name}: {name} default differs from quick"


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ValueError, match="Unknown profile 'fast'; known profiles: full, quick, smoke"):
        load_profile("fast")


def test_a_malformed_profile_is_refused(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("timeout_s: -1\n")
    with pytest.raises(ValueError, match="timeout_s must be a positive number"):
        load_profile(bad)


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_chapters_share_the_chapter_one_stack(name):
    """Chapters that read the simulated stack ask for the one chapter 1 makes, so it is simulated once."""
    profile = load_profile(name)
    first = profile.parameters_for("01_data_acquisition")
    keys = ("n_sites", "n_times", "size", "seed")
    for chapter, values in profile.chapters.items():
        if "n_sites" in values:
            assert {k: values[k] for k in keys} == {k: first[k] for k in keys}, chapter
