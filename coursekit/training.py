"""A training loop for the notebooks: fit(), evaluate() and the History they produce.

fit() is the loop every PyTorch tutorial writes by hand: shuffle, cut into
batches, forward, loss, zero_grad, backward, step, and once per epoch an
evaluation under model.eval() and no_grad(). Chapter 08 builds it step by step;
later chapters call it in one line.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

import minigrad as mg


class Evaluation(NamedTuple):
    """What evaluate() measures: mean loss (None without a loss_fn) and accuracy."""

    loss: float | None
    accuracy: float | None


@dataclass
class History:
    """Per-epoch records of one fit(): one list entry per epoch.

    train_loss / train_accuracy are averaged over the epoch's batches (with
    the model in training mode, as it was when those batches were seen);
    test_* come from evaluate() at the end of each epoch (empty without
    test data). Accuracies are None for targets that are not class indices.
    """

    epochs: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)

    def plot(self):
        """Loss and accuracy per epoch as a matplotlib Figure (two panels)."""
        import matplotlib.pyplot as plt  # optional dependency, imported when used

        fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(9, 3.2))
        loss_ax.plot(self.epochs, self.train_loss, marker="o", label="train")
        if self.test_loss:
            loss_ax.plot(self.epochs, self.test_loss, marker="o", label="test")
        loss_ax.set(title="loss", xlabel="epoch")
        loss_ax.legend()
        if any(a is not None for a in self.train_accuracy):
            acc_ax.plot(self.epochs, self.train_accuracy, marker="o", label="train")
            if self.test_accuracy:
                acc_ax.plot(self.epochs, self.test_accuracy, marker="o", label="test")
            acc_ax.set(title="accuracy", xlabel="epoch", ylim=(0, 1.02))
            acc_ax.legend()
        else:
            acc_ax.set_axis_off()  # regression: no accuracy to show
        fig.tight_layout()
        plt.close(fig)  # the caller shows it; keeps notebooks from drawing it twice
        return fig


def _is_class_labels(targets):
    return targets.dtype == mg.int64


def _correct(outputs, targets):
    """How many rows of `outputs` have their largest score at the target class."""
    return (outputs.argmax(-1) == targets).sum().item()


def _batches(n, batch_size, rng=None):
    """Index arrays cutting range(n) into batches, shuffled if an rng is given."""
    order = rng.permutation(n) if rng is not None else np.arange(n)
    return [order[start : start + batch_size] for start in range(0, n, batch_size)]


def _take(data, index):
    """Rows `index` of an (X, y) pair, as new tensors (data never requires grad)."""
    X, y = data
    return (
        mg.tensor(X.detach().numpy()[index], dtype=X.dtype),
        mg.tensor(y.detach().numpy()[index], dtype=y.dtype),
    )


def evaluate(model, data, loss_fn=None, batch_size=None):
    """Loss and accuracy of `model` on data=(X, y), in eval mode and without a graph.

    model.eval() switches layers to their inference behaviour (Dropout off,
    BatchNorm on running statistics); mg.no_grad() stops recording the graph,
    which saves memory and time. They do different things, so evaluation uses
    both. The model's previous mode is restored afterwards.
    """
    X, y = data
    was_training = model.training
    model.eval()
    try:
        with mg.no_grad():
            if batch_size is None:
                outputs = model(X)
                loss = loss_fn(outputs, y).item() if loss_fn is not None else None
                correct = _correct(outputs, y) if _is_class_labels(y) else None
            else:
                loss, correct = 0.0, 0
                for index in _batches(X.shape[0], batch_size):
                    xb, yb = _take(data, index)
                    outputs = model(xb)
                    if loss_fn is not None:
                        loss += loss_fn(outputs, yb).item() * len(index)
                    if _is_class_labels(y):
                        correct += _correct(outputs, yb)
                loss = loss / X.shape[0] if loss_fn is not None else None
                correct = correct if _is_class_labels(y) else None
    finally:
        model.train(was_training)
    accuracy = correct / X.shape[0] if correct is not None else None
    return Evaluation(loss, accuracy)


def fit(
    model,
    loss_fn,
    optimizer,
    train_data,
    epochs=10,
    batch_size=32,
    test_data=None,
    seed=0,
    progress=True,
):
    """Train `model` on train_data=(X, y) for `epochs` passes of shuffled mini-batches.

    `seed` fixes both the shuffling order and minigrad's random stream (so
    Dropout masks repeat too): the same call gives the same History.
    `progress=False` turns the tqdm bar off (e.g. for notebooks whose stored
    outputs are compared). Returns a History; the model ends in training mode.
    """
    from tqdm.auto import tqdm  # notebook-aware bar; optional dependency

    X, y = train_data
    classify = _is_class_labels(y)
    rng = np.random.default_rng(seed)
    mg.manual_seed(seed)
    history = History()
    model.train()
    bar = tqdm(range(1, epochs + 1), desc="training", unit="epoch", disable=not progress)
    for epoch in bar:
        total_loss, correct = 0.0, 0
        for index in _batches(X.shape[0], batch_size, rng):
            xb, yb = _take(train_data, index)
            outputs = model(xb)
            loss = loss_fn(outputs, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(index)
            if classify:
                correct += _correct(outputs.detach(), yb)
        history.epochs.append(epoch)
        history.train_loss.append(total_loss / X.shape[0])
        history.train_accuracy.append(correct / X.shape[0] if classify else None)
        summary = {"loss": f"{history.train_loss[-1]:.4f}"}
        if test_data is not None:
            result = evaluate(model, test_data, loss_fn)
            history.test_loss.append(result.loss)
            history.test_accuracy.append(result.accuracy)
            if result.accuracy is not None:
                summary["test_acc"] = f"{result.accuracy:.3f}"
        bar.set_postfix(summary)
    bar.close()
    return history
