"""Metrics of generated images: PSNR, SSIM, the Fréchet distance between two sets of features, and
the diversity of several samples, each checked against known cases.

Examples
--------
>>> a = np.random.default_rng(0).normal(size=(500, 3))
>>> round(frechet_distance(a, a), 6)
0.0
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

__all__ = ["psnr", "ssim", "frechet_distance", "mean_pairwise_distance", "iou"]


def psnr(prediction: np.ndarray, truth: np.ndarray, data_range: float) -> float:
    """Peak signal-to-noise ratio in dB over all values (``data_range``: the span the values may take).

    Examples
    --------
    >>> round(psnr(np.zeros(4), np.full(4, 0.1), data_range=1.0), 3)
    20.0
    """
    mse = float(np.mean((np.asarray(prediction, float) - np.asarray(truth, float)) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(data_range**2 / mse))


def ssim(prediction: np.ndarray, truth: np.ndarray, data_range: float, sigma: float = 1.5) -> float:
    """Structural similarity (Wang et al. 2004) of two ``(C, H, W)`` images, as scikit-image computes it:
    a Gaussian window of standard deviation ``sigma`` pixels, K1 = 0.01, K2 = 0.03, population
    covariances, averaged over the pixels a whole window covers (the border is left out, as
    ``skimage.metrics.structural_similarity`` does) and over channels.

    Examples
    --------
    >>> image = np.random.default_rng(0).random((2, 16, 16))
    >>> round(ssim(image, image, 1.0), 6)
    1.0
    """
    from skimage.metrics import structural_similarity

    x, y = np.asarray(prediction, float), np.asarray(truth, float)
    if x.shape != y.shape or x.ndim != 3:
        raise ValueError(f"ssim needs two (C, H, W) images of one shape, got {x.shape} and {y.shape}")
    window = 2 * int(3.5 * sigma + 0.5) + 1  # the Gaussian window scikit-image uses
    if min(x.shape[1:]) < window:
        raise ValueError(
            f"ssim with sigma {sigma} px needs images of at least {window} x {window} px, got {x.shape[1:]}"
        )
    return float(
        structural_similarity(
            x, y, data_range=data_range, channel_axis=0, gaussian_weights=True, sigma=sigma, use_sample_covariance=False
        )
    )


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature vectors ``(n, d)`` (the FID
    formula, here in whatever feature space the caller chooses):
    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> a, b = rng.normal(size=(20000, 2)), rng.normal(size=(20000, 2)) + [3.0, 0.0]
    >>> round(frechet_distance(a, b), 1)  # shifted by 3 along one axis: 3^2
    9.0
    """
    a, b = np.asarray(features_a, float), np.asarray(features_b, float)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"features must be (n, d) with one d, got {a.shape} and {b.shape}")
    if min(len(a), len(b)) < 2:
        raise ValueError("each set needs at least 2 feature vectors")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root = linalg.sqrtm(cov_a @ cov_b)
    if not np.isfinite(root).all():  # a singular product: regularise slightly
        offset = np.eye(len(cov_a)) * 1e-6
        root = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    distance = float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * np.real(root)))
    return max(distance, 0.0)  # rounding in sqrtm can leave -1e-15 for identical sets


def mean_pairwise_distance(samples: np.ndarray) -> float:
    """Diversity of ``(k, n, d)`` features (k samples of n inputs): the Euclidean distance between two
    samples of one input, averaged over the k (k - 1) / 2 pairs and the n inputs (0: identical samples).

    Examples
    --------
    >>> mean_pairwise_distance(np.array([[[0.0, 0.0]], [[3.0, 4.0]]]))
    5.0
    """
    samples = np.asarray(samples, float)
    if samples.ndim != 3 or samples.shape[0] < 2:
        raise ValueError(f"samples must be (k >= 2, n, d), got {samples.shape}")
    k = samples.shape[0]
    distances = [np.linalg.norm(samples[i] - samples[j], axis=-1).mean() for i in range(k) for j in range(i + 1, k)]
    return float(np.mean(distances))


def iou(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Intersection over union of two boolean masks (1.0 when both are empty).

    Examples
    --------
    >>> iou(np.array([1, 1, 0, 0], bool), np.array([0, 1, 1, 0], bool))
    0.3333333333333333
    """
    predicted, truth = np.asarray(predicted, bool), np.asarray(truth, bool)
    union = (predicted | truth).sum()
    return 1.0 if union == 0 else float((predicted & truth).sum() / union)
