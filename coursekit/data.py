"""Small data sets for the course, as minigrad tensors, with no download.

- load_digits(): scikit-learn's bundled 8x8 handwritten digits (1797 images,
  10 classes), read from the installed package's own data file.
- make_moons(), make_spirals(): two classic 2-D toy problems, generated here.
- train_test_split(): a fixed-seed shuffle and split.

Features are float32 and labels int64, the dtypes CrossEntropyLoss expects.
"""

import math

import numpy as np

import minigrad as mg


def _as_dataset(features, labels):
    return (
        mg.tensor(np.ascontiguousarray(features, dtype=np.float32), dtype=mg.float32),
        mg.tensor(np.ascontiguousarray(labels, dtype=np.int64), dtype=mg.int64),
    )


def load_digits():
    """The 8x8 digits as (X, y): X float32 (1797, 64) scaled to [0, 1], y int64 (1797,).

    The pixel values are counts from 0 to 16, so dividing by 16 maps them to
    [0, 1]. The data file ships inside scikit-learn; nothing is downloaded.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "coursekit.data.load_digits needs scikit-learn, which ships the digits data: "
            "pip install scikit-learn"
        ) from error
    digits = sklearn_load_digits()
    return _as_dataset(digits.data / 16.0, digits.target)


def _to_numpy(tensor):
    return tensor.detach().numpy() if isinstance(tensor, mg.Tensor) else np.asarray(tensor)


def train_test_split(X, y, test_size=0.25, seed=0):
    """Shuffle with a fixed seed and split into (X_train, X_test, y_train, y_test).

    test_size is a fraction of the samples (rounded up, as scikit-learn does)
    or a count. The same seed always gives the same split.
    """
    features, labels = _to_numpy(X), _to_numpy(y)
    n = len(features)
    if len(labels) != n:
        raise ValueError(f"X and y have different lengths: {n} and {len(labels)}")
    n_test = math.ceil(test_size * n) if isinstance(test_size, float) else int(test_size)
    if not 0 < n_test < n:
        raise ValueError(f"test_size={test_size} leaves no train or no test samples out of {n}")
    order = np.random.default_rng(seed).permutation(n)
    test, train = order[:n_test], order[n_test:]
    X_train, y_train = _as_dataset(features[train], labels[train])
    X_test, y_test = _as_dataset(features[test], labels[test])
    return X_train, X_test, y_train, y_test


def _split_counts(n, classes):
    """n points over `classes` groups as evenly as possible (earlier groups get the extra)."""
    return [n // classes + (1 if k < n % classes else 0) for k in range(classes)]


def make_moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles in 2-D: (X float32 (n, 2), y int64 (n,)).

    Class 0 is the upper arc (cos t, sin t), class 1 the lower arc
    (1 - cos t, 0.5 - sin t), t in [0, pi]; Gaussian noise of std `noise` is
    added to every coordinate. No straight line separates the classes.
    """
    rng = np.random.default_rng(seed)
    n_upper, n_lower = _split_counts(n, 2)
    t_upper = np.linspace(0.0, math.pi, n_upper)
    t_lower = np.linspace(0.0, math.pi, n_lower)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    points = np.concatenate([upper, lower]) + rng.normal(0.0, noise, size=(n, 2))
    labels = np.repeat([0, 1], [n_upper, n_lower])
    order = rng.permutation(n)
    return _as_dataset(points[order], labels[order])


def make_spirals(n=300, classes=3, noise=0.2, seed=0):
    """`classes` interleaved spiral arms in 2-D: (X float32 (n, 2), y int64 (n,)).

    Arm k has points at radius r in [0, 1] and angle 4 * (k + r) radians plus
    Gaussian angle noise of std `noise`, so arms wind around each other.
    """
    rng = np.random.default_rng(seed)
    points, labels = [], []
    for k, count in enumerate(_split_counts(n, classes)):
        radius = np.linspace(0.0, 1.0, count)
        angle = 4.0 * (k + radius) + rng.normal(0.0, noise, size=count)
        points.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1))
        labels.append(np.full(count, k))
    points, labels = np.concatenate(points), np.concatenate(labels)
    order = rng.permutation(n)
    return _as_dataset(points[order], labels[order])
