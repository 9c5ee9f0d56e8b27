"""Every inference helper moves its inputs to the model's device, so the code that runs on a CPU also
runs on a GPU. No GPU is needed here: the stand-in model keeps its parameters on PyTorch's ``meta``
device, refuses any input that is not there, and answers with ordinary tensors of the right shape."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lslib.training import ensemble, loop, vae_encoder

N_CAUSES = 7


class DeviceProbe(nn.Module):
    """Parameters on ``meta``; every method checks that its tensor inputs were moved there."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, device="meta"))
        self.config = type("Config", (), {"latent_dim": 3})()
        self.seen: list[str] = []

    def _check(self, *tensors: torch.Tensor) -> int:
        for tensor in tensors:
            self.seen.append(tensor.device.type)
            if tensor.device != self.weight.device:
                raise AssertionError(f"an input on {tensor.device} reached a model on {self.weight.device}")
        return len(tensors[0])

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        n = self._check(batch["image"], batch["sar"])
        return {
            "logit": torch.zeros(n),
            "cause_probs": torch.full((n, N_CAUSES), 1 / N_CAUSES),
            "attention": torch.zeros(n, 4),
            "hidden": torch.zeros(n, 2),
        }

    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = self._check(images)
        return torch.zeros(n, 3), torch.zeros(n, 3)

    def training_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        self._check(batch["image"])
        return {"loss": torch.tensor(1.0)}


def _windows(n: int = 5) -> list[dict[str, torch.Tensor]]:
    return [
        {
            "image": torch.zeros(4, 6, 8, 8),
            "sar": torch.zeros(4, 2, 8, 8),
            "cloud": torch.zeros(4),
            "valid": torch.ones(4),
            "label": torch.tensor(i % 2),
            "cause": torch.tensor(0),
            "site": torch.tensor(i),
            "lead": torch.tensor(1),
        }
        for i in range(n)
    ]


def test_the_probe_refuses_inputs_left_on_the_cpu():
    with pytest.raises(AssertionError, match="an input on cpu reached a model on meta"):
        DeviceProbe()({"image": torch.zeros(2, 1), "sar": torch.zeros(2, 1)})


def test_predict_moves_windows_to_the_model_device():
    probe = DeviceProbe()
    out = ensemble.predict(probe, _windows(), batch_size=2)
    assert out["logit"].shape == (5,) and isinstance(out["logit"], np.ndarray)
    assert set(probe.seen) == {"meta"}


def test_encode_moves_images_to_the_model_device():
    probe = DeviceProbe()
    codes = vae_encoder.encode(probe, np.zeros((7, 6, 8, 8), np.float32), batch_size=3)
    assert codes.shape == (7, 3) and set(probe.seen) == {"meta"}


def test_evaluate_moves_batches_to_the_model_device_by_default():
    probe = DeviceProbe()
    losses = loop.evaluate(probe, [{"image": torch.zeros(2, 6, 8, 8)}])
    assert losses["loss"] == 1.0 and set(probe.seen) == {"meta"}
