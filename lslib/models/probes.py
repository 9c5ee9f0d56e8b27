"""Linear probes: how much of a label can a linear classifier read from a representation?

Examples
--------
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(200, 4)); y = (x[:, 0] > 0).astype(int)
>>> linear_probe_accuracy(x[:150], y[:150], x[150:], y[150:]) > 0.9
True
>>> majority_rate(np.array(["a", "a", "b"]))
0.6666666666666666
"""

from __future__ import annotations

import numpy as np

__all__ = ["linear_probe_accuracy", "pca_features", "majority_rate"]


def linear_probe_accuracy(
    train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, seed: int = 0
) -> float:
    """Test accuracy of a standardised multinomial logistic regression fitted on the training set."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if len(np.unique(train_y)) < 2:
        raise ValueError("A probe needs at least two classes in its training labels")
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    probe.fit(train_x, train_y)
    return float((probe.predict(test_x) == test_y).mean())


def pca_features(train_x: np.ndarray, test_x: np.ndarray, dim: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Project flattened inputs on the first ``dim`` principal components of the training set."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=dim, random_state=seed).fit(train_x.reshape(len(train_x), -1))
    return pca.transform(train_x.reshape(len(train_x), -1)), pca.transform(test_x.reshape(len(test_x), -1))


def majority_rate(labels: np.ndarray) -> float:
    """Accuracy of always predicting the most frequent label (the chance baseline of a probe)."""
    _, counts = np.unique(labels, return_counts=True)
    return float(counts.max() / counts.sum())
