"""Shared fixtures: the project root, the real-data mirror, and the smoke run the book tests read."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("agg")

import pytest

from lslib.book import pipeline

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project() -> pipeline.Project:
    return pipeline.Project(ROOT)


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The real-data mirror: LSLIB_DATA_MIRROR, else ../shared/data beside the repository."""
    candidate = Path(os.environ.get("LSLIB_DATA_MIRROR") or ROOT.parent / "shared" / "data")
    if not candidate.is_dir():
        pytest.skip(f"real-data mirror {candidate} is absent (set LSLIB_DATA_MIRROR)")
    return candidate.resolve()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets an empty download cache, so nothing resolves from a developer's ~/.cache."""
    monkeypatch.setenv("LSLIB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def smoke_run(project, mirror) -> Path:
    """The smoke run of every chapter (`make test` runs it first; run here if it is missing)."""
    run_dir = project.default_run_dir("smoke")
    names = [c.name for c in project.chapters()]
    report = run_dir / "report.json"
    if not report.is_file() or not all((run_dir / f"{n}.ipynb").is_file() for n in names):
        pipeline.run(project, "smoke", run_dir=run_dir, echo=lambda *_: None)
    return run_dir


def horizon_datasets(regions: list[str], n_sites: int, n_times: int, seed: int) -> dict:
    """Train and validation fixed-horizon windows (4 + 4 frames) of a small simulated stack, for the
    trainer's tests."""
    from lslib.data.dataset import LandslideDataset
    from lslib.data.sim import simulate

    stack = simulate(regions=regions, n_sites=n_sites, n_times=n_times, size=16, seed=seed)
    common = {"horizon_days": 32.0, "max_frames": 4, "max_sar_frames": 4, "fractions": (0.7, 0.3, 0.0), "seed": 0}
    return {split: LandslideDataset(stack, split=split, **common) for split in ("train", "val")}
