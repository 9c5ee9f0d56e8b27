"""Training and scoring :class:`lslib.models.pair_classifier.PairClassifier` on numpy pairs."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader

from lslib.models.pair_classifier import PairClassifier, PairClassifierConfig, balanced_weights
from lslib.training.loop import TrainConfig, fit

__all__ = ["train_pair_classifier", "pair_scores"]


def train_pair_classifier(
    source: np.ndarray,
    target: np.ndarray,
    terrain: np.ndarray,
    label: np.ndarray,
    config: PairClassifierConfig,
    epochs: int,
    seed: int,
    lr: float = 2e-3,
    batch_size: int = 64,
    flips: bool = True,
) -> PairClassifier:
    """Train a :class:`PairClassifier` on the given pairs with classes balanced (:func:`balanced_weights`).

    With ``flips`` every pair also appears mirrored left-right and upside down (the same flip on both
    images and the terrain), which quadruples the few positives of a few-shot set without inventing any.
    ``seed`` sets the initialisation and the batch order; the same seed gives the same weights.
    """
    arrays = [np.asarray(a, np.float32) for a in (source, target, terrain)]
    labels = np.asarray(label).astype(np.float32)
    if flips:
        arrays = [np.concatenate([a, a[..., ::-1], a[..., ::-1, :], a[..., ::-1, ::-1]]) for a in arrays]
        labels = np.tile(labels, 4)
    weights = balanced_weights(labels).astype(np.float32)
    rows = [
        {"source": s, "target": t, "terrain": r, "label": y, "weight": w}
        for s, t, r, y, w in zip(*(torch.from_numpy(np.ascontiguousarray(a)) for a in arrays), labels, weights)
    ]
    torch.manual_seed(seed)
    model = PairClassifier(config)
    loader = DataLoader(rows, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    fit(model, {"train": loader}, TrainConfig(epochs=epochs, lr=lr, seed=seed, progress=False, name="pair classifier"))
    return model.eval()


@torch.no_grad()
def pair_scores(model: PairClassifier, source: np.ndarray, target: np.ndarray, terrain: np.ndarray) -> np.ndarray:
    """The classifier's logits ``(n,)`` for numpy pairs, on the model's device, in batches of 256."""
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(source), 256):
        chunk = [
            torch.as_tensor(np.asarray(a[start : start + 256], np.float32), device=device)
            for a in (source, target, terrain)
        ]
        out.append(model(*chunk).cpu())
    return torch.cat(out).numpy() if out else np.zeros(0, np.float32)
