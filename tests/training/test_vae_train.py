"""The VAE, the training loop and chapter 3's helpers, on tiny generated data."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lslib.chapters.vae import evaluate_vae, probe_table
from lslib.data.patches import eolearn_ndvi_frames, frame_patches, season_of
from lslib.data.sim import simulate
from lslib.models import build_model
from lslib.models.probes import linear_probe_accuracy, majority_rate
from lslib.models.vae import ConvVAE, VAEConfig, kl_divergence, masked_mse
from lslib.training.checkpoints import load_checkpoint, save_checkpoint
from lslib.training.loop import TrainConfig, evaluate, fit
from lslib.training.vae_encoder import loaders, train_vae


def _tiny(n: int = 48, channels: int = 3, size: int = 16, seed: int = 0) -> dict[str, np.ndarray]:
    """Blobs of a few brightness levels on a smooth background: easy structure to learn."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / size
    images = np.empty((n, channels, size, size), np.float32)
    for i in range(n):
        centre = rng.uniform(0.2, 0.8, 2)
        blob = np.exp(-((yy - centre[0]) ** 2 + (xx - centre[1]) ** 2) / 0.02)
        images[i] = (rng.uniform(-1, 1, channels)[:, None, None] * blob + 0.3 * xx)[None]
    mask = np.ones((n, size, size), np.float32)
    mask[: n // 4, :4, :4] = 0  # some masked pixels
    return {"image": images, "mask": mask}


def test_shapes_and_kl_is_never_negative():
    model = ConvVAE(VAEConfig(in_channels=3, size=16, latent_dim=5))
    out = model(torch.randn(4, 3, 16, 16))
    assert out["reconstruction"].shape == (4, 3, 16, 16) and out["mu"].shape == (4, 5)
    kl = kl_divergence(torch.randn(50, 5) * 3, torch.randn(50, 5) * 2)
    assert (kl >= 0).all()
    assert float(kl_divergence(torch.zeros(1, 5), torch.zeros(1, 5))) == 0.0


def test_masked_pixels_do_not_count():
    rng = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 16, 16, generator=rng)
    reconstruction = torch.randn(2, 3, 16, 16, generator=rng)
    mask = torch.ones(2, 16, 16)
    mask[:, :8] = 0
    poisoned = x.clone()
    poisoned[:, :, :8] = 1e6  # garbage where the mask is 0
    clean_error, clean_bands = masked_mse(x, reconstruction, mask)
    poisoned_error, poisoned_bands = masked_mse(poisoned, reconstruction, mask)
    assert torch.equal(clean_error, poisoned_error) and torch.equal(clean_bands, poisoned_bands)
    full, _ = masked_mse(x, reconstruction, None)
    half = (reconstruction - x)[:, :, 8:].pow(2).sum(dim=(1, 2, 3)) * 2  # rescaled to a full patch
    assert torch.allclose(clean_error, half) and not torch.allclose(clean_error, full)


def test_the_loss_falls_on_tiny_data_and_the_seed_fixes_it():
    data = _tiny()
    config = VAEConfig(in_channels=3, size=16, latent_dim=4)
    histories = []
    for _ in range(2):
        _, history = train_vae(
            data, data, config, TrainConfig(epochs=6, lr=3e-3, seed=7, progress=False), batch_size=16
        )
        histories.append(history.train["loss"])
    assert histories[0][-1] < 0.6 * histories[0][0], histories[0]
    assert histories[0] == histories[1]


def test_fit_writes_config_and_checkpoints_that_load(tmp_path):
    data = _tiny(n=16)
    model = ConvVAE(VAEConfig(in_channels=3, size=16, latent_dim=3))
    fit(model, loaders(data, data, 8, 0), TrainConfig(epochs=2, seed=0, checkpoint_dir=str(tmp_path), progress=False))
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model"]["latent_dim"] == 3 and config["train"]["epochs"] == 2
    assert (tmp_path / "last.pt").is_file() and (tmp_path / "best.pt").is_file()
    fresh = ConvVAE(VAEConfig(**config["model"]))
    checkpoint = load_checkpoint(fresh, tmp_path / "last.pt")
    assert checkpoint["epoch"] == 1
    for a, b in zip(model.state_dict().values(), fresh.state_dict().values()):
        assert torch.equal(a.cpu(), b)
    path = save_checkpoint(fresh, tmp_path / "again.pt", note="x")
    assert load_checkpoint(fresh, path)["note"] == "x"
    assert set(torch.load(path, weights_only=True)) == set(fresh.state_dict())  # the .pt holds weights only
    loss = evaluate(fresh, loaders(data, data, 8, 0)["val"])["loss"]
    assert np.isfinite(loss)


def test_clear_errors_for_wrong_bands_and_nans():
    model = ConvVAE(VAEConfig(in_channels=6, size=16, latent_dim=2))
    with pytest.raises(ValueError, match=r"expects input of shape \(B, 6, 16, 16\).*got \(2, 5, 16, 16\)"):
        model(torch.zeros(2, 5, 16, 16))
    bad = torch.zeros(1, 6, 16, 16)
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        model(bad)
    with pytest.raises(ValueError, match="size must be a power of two"):
        VAEConfig(size=24)
    with pytest.raises(ValueError, match="Unknown model 'gan'; valid models are vae, predictor"):
        build_model("gan")
    with pytest.raises(ValueError, match="channels but the VAE expects"):
        train_vae(_tiny(channels=2), _tiny(channels=2), VAEConfig(in_channels=3, size=16), TrainConfig(epochs=1))


def test_patches_probes_and_evaluation_on_a_simulated_stack():
    stack = simulate(n_sites=9, n_times=6, size=16, seed=2)
    patches = frame_patches(stack, max_cloud=0.6)
    assert patches["image"].shape[1:] == (6, 16, 16)
    assert np.isfinite(patches["image"]).all()
    assert (patches["image"][patches["mask"][:, None].repeat(6, 1) == 0] == 0).all()
    assert frame_patches(stack, with_sar=True)["image"].shape[1] == 8
    assert frame_patches(stack, ndvi_only=True)["image"].shape[1] == 1
    assert set(patches["season"]) <= {"DJF", "MAM", "JJA", "SON"}
    model = ConvVAE(VAEConfig(in_channels=6, size=16, latent_dim=3))
    scores = evaluate_vae(model, patches, ["blue", "green", "red", "nir08", "swir16", "swir22"])
    assert (
        scores["kl"] >= 0
        and scores["recon_mse"] > 0
        and set(scores["recon_mse_per_band"]) == {"blue", "green", "red", "nir08", "swir16", "swir22"}
    )
    latent = np.random.default_rng(0).normal(size=(len(patches["image"]), 3))
    table = probe_table(latent, latent, patches, patches, targets=("region",))
    assert 0 <= table.loc["region", "vae_latent"] <= 1 and table.loc["region", "classes"] == 3


def test_probe_helpers_and_seasons():
    assert season_of(
        np.array(["2017-12-01", "2017-03-01", "2017-06-30", "2017-11-30"], dtype="datetime64[D]")
    ).tolist() == ["DJF", "MAM", "JJA", "SON"]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    y = np.where(x[:, 0] > 0, "a", "b")
    assert linear_probe_accuracy(x[:200], y[:200], x[200:], y[200:]) > 0.9
    assert majority_rate(np.array([1, 1, 1, 2])) == 0.75
    with pytest.raises(ValueError, match="at least two classes"):
        linear_probe_accuracy(x, np.zeros(300), x, np.zeros(300))


def test_real_ndvi_frames_are_resampled_to_30_m(mirror, monkeypatch):
    monkeypatch.setenv("LSLIB_DATA_MIRROR", str(mirror))
    from lslib.data.calibration import eolearn_patch

    frames = eolearn_ndvi_frames(eolearn_patch(), size=32)
    assert frames["image"].shape[1:] == (1, 32, 32) and 20 < len(frames["image"]) < 68
    assert (frames["mask"].mean(axis=(1, 2)) >= 0.7).all()
    assert 0.1 < frames["median_ndvi"].min() < frames["median_ndvi"].max() < 0.9


class _Payload:
    """Stands for an object a malicious checkpoint would unpickle."""


def test_a_checkpoint_holding_pickled_objects_is_refused(tmp_path):
    import pickle

    model = torch.nn.Linear(2, 1)
    path = tmp_path / "evil.pt"
    torch.save({"weight": torch.zeros(1, 2), "bias": torch.zeros(1), "payload": _Payload()}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(model, path)
