"""Zarr store (atomic, cached) and the torch Dataset over the layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import xarray as xr

from lslib.data import store
from lslib.data.dataset import LandslideDataset
from lslib.data.schema import validate
from lslib.data.sim import simulate, simulated_stack
from lslib.data.splits import split_sites
from lslib.errors import CorruptStore


@pytest.fixture(scope="module")
def stack():
    return simulate(n_sites=12, n_times=6, size=16, seed=1)


def test_round_trip_keeps_values_within_one_landsat_dn(stack, tmp_path):
    path = store.write_atomic(stack, tmp_path / "stack.zarr")
    back = store.open_store(path).load()
    validate(back)
    assert float(abs(back["reflectance"] - stack["reflectance"]).max()) <= 2.75e-5
    for name in ("qa_pixel", "sar", "cause", "landslide", "event_time", "region"):
        np.testing.assert_array_equal(back[name].values, stack[name].values)
    assert back.attrs["norm_sar_mean"] == stack.attrs["norm_sar_mean"]


def test_a_failed_write_leaves_no_store_that_looks_complete(stack, tmp_path, monkeypatch):
    def broken(self, path, **kwargs):
        (path / "half").mkdir(parents=True)
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_zarr", broken)
    with pytest.raises(OSError, match="disk full"):
        store.write_atomic(stack, tmp_path / "stack.zarr")
    assert list(tmp_path.iterdir()) == []


def test_the_cache_builds_once(tmp_path):
    calls = []

    def build():
        calls.append(1)
        return simulate(n_sites=2, n_times=4, size=16, seed=0)

    first, path, hit = store.cached("sim", {"n": 2}, build, tmp_path)
    second, again, hit_again = store.cached("sim", {"n": 2}, build, tmp_path)
    assert (hit, hit_again, len(calls), path) == (False, True, 1, again)
    _, other, _ = store.cached("sim", {"n": 3}, build, tmp_path)
    assert other != path and len(calls) == 2


def _damage_a_chunk(path):
    chunk = next(p for p in sorted((path / "reflectance").iterdir()) if not p.name.startswith("."))
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0xFF
    chunk.write_bytes(bytes(data))
    return chunk


def _small_cache(tmp_path, calls):
    def build():
        calls.append(1)
        return simulate(n_sites=2, n_times=4, size=16, seed=0)

    return build


@pytest.mark.parametrize("damage", ["chunk", "metadata"])
def test_a_damaged_cache_names_the_store_and_the_fix(tmp_path, damage):
    calls: list[int] = []
    build = _small_cache(tmp_path, calls)
    _, path, _ = store.cached("stac-site", {"n": 2}, build, tmp_path)
    if damage == "chunk":
        _damage_a_chunk(path)
    else:
        (path / ".zmetadata").write_text("{ not json")
    with pytest.raises(CorruptStore, match=rf"{path}.*delete it \(rm -r {path}\), or run with --rebuild"):
        store.cached("stac-site", {"n": 2}, build, tmp_path)
    assert len(calls) == 1  # nothing was rebuilt behind the reader's back


@pytest.mark.parametrize("damage", ["chunk", "metadata"])
def test_a_damaged_simulator_cache_is_rebuilt(tmp_path, damage):
    first, path, _, _ = simulated_stack(tmp_path, n_sites=2, n_times=4, size=16, seed=0)
    expected = first.load()
    if damage == "chunk":
        _damage_a_chunk(path)
    else:
        (path / ".zmetadata").write_text("{ not json")
    with pytest.warns(UserWarning, match="is damaged|cannot be opened"):
        again, same, hit, _ = simulated_stack(tmp_path, n_sites=2, n_times=4, size=16, seed=0)
    assert (same, hit) == (path, False)
    rebuilt = again.load()
    for ds in (rebuilt, expected):
        ds.attrs.pop("sim_seconds")  # the one attribute that differs between two simulations
    xr.testing.assert_identical(rebuilt, expected)


def test_rebuild_environment_rebuilds_any_damaged_cache(tmp_path, monkeypatch):
    calls: list[int] = []
    build = _small_cache(tmp_path, calls)
    _, path, _ = store.cached("stac-site", {"n": 2}, build, tmp_path)
    _damage_a_chunk(path)
    monkeypatch.setenv(store.REBUILD_ENV, "1")
    with pytest.warns(UserWarning, match="rebuilding it"):
        _, _, hit = store.cached("stac-site", {"n": 2}, build, tmp_path)
    assert not hit and len(calls) == 2
    store.verify_store(path)


def test_simulated_stack_reports_a_hit_the_second_time(tmp_path):
    _, path, hit, seconds = simulated_stack(tmp_path, n_sites=2, n_times=4, size=16, seed=0)
    _, same, hit_again, recorded = simulated_stack(tmp_path, n_sites=2, n_times=4, size=16, seed=0, n_workers=2)
    assert (hit, hit_again, same) == (False, True, path)
    assert seconds > 0 and recorded == pytest.approx(seconds, abs=1e-3)  # the generation time survives the cache


def test_samples_are_dicts_of_tensors_with_documented_shapes(stack):
    dataset = LandslideDataset(stack, split=None)
    sample = dataset[0]
    assert set(sample) == {"image", "sar", "meta", "time", "sar_time", "label", "cause", "mask", "site"}
    assert sample["image"].shape == (6, 7, 16, 16)
    assert sample["sar"].shape == (stack.sizes["sar_time"], 2, 16, 16)
    assert sample["meta"].shape == (6, 9) and sample["time"][0] == 0
    assert sample["cause"].dtype == torch.int64 and sample["mask"].shape == (16, 16)
    masked = sample["image"][:, 6] == 1
    assert torch.all(sample["image"][:, :6][masked.unsqueeze(1).expand(-1, 6, -1, -1)] == 0)


def test_normalised_bands_are_centred(stack):
    images = torch.stack([LandslideDataset(stack, split=None)[i]["image"] for i in range(len(stack.site))])
    clear = images[:, :, 6] == 0
    for band in range(6):
        values = images[:, :, band][clear]
        assert abs(float(values.mean())) < 0.15 and 0.6 < float(values.std()) < 1.4


def test_splits_partition_the_sites(stack):
    sites = [set(LandslideDataset(stack, split=s).sites.tolist()) for s in ("train", "val", "test")]
    assert set().union(*sites) == set(range(12)) and sum(map(len, sites)) == 12
    assert (split_sites(np.zeros(10)) == split_sites(np.zeros(10))).all()


def test_a_stack_without_statistics_or_a_bad_split_is_refused(stack):
    with pytest.raises(ValueError, match="split must be one of"):
        LandslideDataset(stack, split="training")
    bare = stack.copy()
    bare.attrs = {k: v for k, v in stack.attrs.items() if not k.startswith("norm_")}
    with pytest.raises(ValueError, match="normalisation statistics are required"):
        LandslideDataset(bare)
