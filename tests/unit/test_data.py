"""coursekit.data: the digits, the split, and the generated 2-D problems."""

import numpy as np
import pytest

import minigrad as mg
from coursekit import data


def test_digits_are_1797_float32_images_in_0_1_with_int64_labels_0_to_9():
    X, y = data.load_digits()
    assert tuple(X.shape) == (1797, 64) and tuple(y.shape) == (1797,)
    assert X.dtype == mg.float32 and y.dtype == mg.int64
    pixels, labels = X.numpy(), y.numpy()
    assert pixels.min() == 0.0 and pixels.max() == 1.0
    assert sorted(set(labels.tolist())) == list(range(10))


def test_digits_are_scikit_learns_bundled_data_divided_by_16():
    from sklearn.datasets import load_digits

    X, y = data.load_digits()
    reference = load_digits()
    np.testing.assert_array_equal(X.numpy() * 16, reference.data.astype(np.float32))
    np.testing.assert_array_equal(y.numpy(), reference.target)


def test_train_test_split_is_a_fixed_seed_partition():
    X, y = data.load_digits()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.25, seed=0)
    assert X_test.shape[0] == 450 and X_train.shape[0] == 1347  # ceil(0.25 * 1797)
    assert X_train.dtype == mg.float32 and y_test.dtype == mg.int64
    # rows are the original (image, label) pairs, each used exactly once
    rows = {tuple(r) + (int(c),) for r, c in zip(X.numpy(), y.numpy())}
    split = np.concatenate([X_train.numpy(), X_test.numpy()])
    labels = np.concatenate([y_train.numpy(), y_test.numpy()])
    assert {tuple(r) + (int(c),) for r, c in zip(split, labels)} == rows
    again = data.train_test_split(X, y, test_size=0.25, seed=0)
    np.testing.assert_array_equal(again[1].numpy(), X_test.numpy())
    other = data.train_test_split(X, y, test_size=0.25, seed=1)
    assert not np.array_equal(other[1].numpy(), X_test.numpy())


def test_train_test_split_accepts_a_count_and_rejects_degenerate_sizes():
    X, y = mg.zeros(10, 2), mg.zeros(10, dtype=mg.int64)
    assert data.train_test_split(X, y, test_size=3)[1].shape[0] == 3
    with pytest.raises(ValueError):
        data.train_test_split(X, y, test_size=0.0)


@pytest.mark.parametrize(
    "make, classes",
    [
        (lambda seed: data.make_moons(101, noise=0.1, seed=seed), 2),
        (lambda seed: data.make_spirals(101, classes=3, seed=seed), 3),
    ],
)
def test_generated_data_sets_have_balanced_labelled_points_and_repeat_by_seed(make, classes):
    X, y = make(0)
    assert tuple(X.shape) == (101, 2) and X.dtype == mg.float32 and y.dtype == mg.int64
    counts = np.bincount(y.numpy(), minlength=classes)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 101
    np.testing.assert_array_equal(make(0)[0].numpy(), X.numpy())
    assert not np.array_equal(make(1)[0].numpy(), X.numpy())


def test_moons_without_noise_lie_on_their_two_unit_half_circles():
    X, y = data.make_moons(40, noise=0.0)
    points, labels = X.numpy().astype(np.float64), y.numpy()
    upper, lower = points[labels == 0], points[labels == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert (upper[:, 1] >= -1e-6).all() and (lower[:, 1] <= 0.5 + 1e-6).all()


def test_spiral_points_have_radius_at_most_one():
    X, _ = data.make_spirals(300, classes=3, seed=0)
    assert np.hypot(*X.numpy().T).max() <= 1.0 + 1e-6
