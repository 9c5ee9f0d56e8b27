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
        for name, value in quick.parameters_for(chapter.name, declared).items():
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
def test_chapters_share_the_chapter_one_stack(project, name):
    """The stack sizes and the seed are written once per profile, and every chapter that reads the
    simulated stack receives the same ones, so it is simulated once."""
    profile = load_profile(name)
    keys = {"n_sites", "n_times", "size", "n_workers", "seed"}
    assert set(profile.stack) == keys
    for chapter in project.chapters():
        assert not keys & set(profile.chapters[chapter.name]), f"{chapter.name} repeats a stack size"
        declared = pipeline.notebook_parameters(chapter.source)
        given = profile.parameters_for(chapter.name, declared)
        assert {k: given[k] for k in keys & set(declared)} == {k: profile.stack[k] for k in keys & set(declared)}


def test_a_profile_that_repeats_a_stack_size_is_refused(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("stack:\n  n_sites: 10\nchapters:\n  03_vae:\n    n_sites: 12\n")
    with pytest.raises(ValueError, match=r"chapter 03_vae repeats \['n_sites'\], which 'stack' sets once"):
        load_profile(bad)


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_chapter_four_keeps_a_horizon_its_windows_can_hold(name):
    chapters, stack = load_profile(name).chapters, load_profile(name).stack
    predictor = chapters["04_predictor"]
    assert predictor["window_frames"] <= stack["n_times"] - 2  # room for a horizon of two revisits
    assert predictor["n_seeds"] >= (5 if name != "smoke" else 2)
