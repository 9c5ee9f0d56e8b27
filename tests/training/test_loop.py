"""The study's one training loop: early stopping and the best epoch it keeps."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lslib.training.loop import TrainConfig, fit


class _Line(nn.Module):
    """y = w x, fitted by squared error: trained towards +x, validated against -x, so every step away
    from w = 0 makes the validation loss worse after the first epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(0.0))

    def training_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"loss": ((self.w * batch["x"] - batch["y"]) ** 2).mean()}


def _loaders() -> dict[str, list[dict[str, torch.Tensor]]]:
    x = torch.linspace(-1, 1, 16)
    return {"train": [{"x": x, "y": x}], "val": [{"x": x, "y": -0.2 * x}]}


def test_patience_stops_early_and_keeps_the_epoch_the_whole_run_would_keep():
    runs = {}
    for patience in (None, 3):
        torch.manual_seed(0)
        model = _Line()
        config = TrainConfig(epochs=12, lr=0.05, progress=False, restore_best=True, patience=patience)
        runs[patience] = (model, fit(model, _loaders(), config))
    (whole, whole_history), (early, early_history) = runs[None], runs[3]
    assert whole_history.best_epoch == early_history.best_epoch == 0
    assert len(whole_history.val["loss"]) == 12 and len(early_history.val["loss"]) == 4  # best + 3 without gain
    assert early.w.item() == whole.w.item()  # the same restored weights


@pytest.mark.parametrize("patience", [0, -1, True])
def test_patience_must_be_a_positive_integer(patience):
    with pytest.raises(ValueError, match="patience must be None or an integer >= 1"):
        TrainConfig(patience=patience)
