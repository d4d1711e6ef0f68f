"""coursekit.training: fit(), evaluate() and History on real (small) training runs."""

import numpy as np
import pytest

import minigrad as mg
from coursekit import data, training
from minigrad import nn, optim


@pytest.fixture(scope="module")
def digits():
    X, y = data.load_digits()
    return data.train_test_split(X, y, test_size=0.25, seed=0)


def digits_mlp(seed=0):
    mg.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def test_a_two_layer_mlp_learns_the_digits_to_over_90_percent(digits):
    X_train, X_test, y_train, y_test = digits
    model = digits_mlp()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = training.fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        (X_train, y_train),
        epochs=5,
        batch_size=32,
        test_data=(X_test, y_test),
        progress=False,
    )
    assert history.test_accuracy[-1] > 0.90
    assert history.train_loss[-1] < history.train_loss[0]


def test_fit_records_one_entry_per_epoch(digits):
    X_train, X_test, y_train, y_test = digits
    model = digits_mlp()
    history = training.fit(
        model,
        nn.CrossEntropyLoss(),
        optim.Adam(model.parameters()),
        (X_train[:200], y_train[:200]),
        epochs=3,
        batch_size=50,
        test_data=(X_test[:100], y_test[:100]),
        progress=False,
    )
    assert history.epochs == [1, 2, 3]
    for series in (
        history.train_loss,
        history.train_accuracy,
        history.test_loss,
        history.test_accuracy,
    ):
        assert len(series) == 3
    assert all(0.0 <= a <= 1.0 for a in history.train_accuracy + history.test_accuracy)


def test_fit_is_reproducible_with_the_same_seed_even_with_dropout(digits):
    X_train, _, y_train, _ = digits

    def run(seed):
        mg.manual_seed(7)  # the same initial weights in every run
        model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 10))
        opt = optim.SGD(model.parameters(), lr=0.05)
        return training.fit(
            model,
            nn.CrossEntropyLoss(),
            opt,
            (X_train[:256], y_train[:256]),
            epochs=2,
            batch_size=64,
            seed=seed,
            progress=False,
        ).train_loss

    assert run(0) == run(0)
    assert run(0) != run(1)


def test_fit_trains_a_regression_model_with_mse_and_reports_no_accuracy():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(64, 1)).astype(np.float32)
    X, y = mg.tensor(x), mg.tensor(3 * x - 1)
    mg.manual_seed(0)
    model = nn.Linear(1, 1)
    history = training.fit(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters(), lr=0.2),
        (X, y),
        epochs=30,
        batch_size=16,
        progress=False,
    )
    assert history.train_accuracy == [None] * 30
    assert history.train_loss[-1] < 1e-3 < history.train_loss[0]


class Spy(nn.Module):
    """Records the training flag and grad mode seen by each forward call."""

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(2, 3)
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, mg.is_grad_enabled()))
        return self.layer(x)


@pytest.mark.parametrize("start_in_training", [True, False])
def test_evaluate_runs_in_eval_mode_without_grad_and_restores_the_mode(start_in_training):
    spy = Spy().train(start_in_training)
    X, y = mg.ones(4, 2), mg.tensor([0, 1, 2, 0])
    training.evaluate(spy, (X, y), nn.CrossEntropyLoss())
    assert spy.seen == [(False, False)]
    assert spy.training is start_in_training and spy.layer.training is start_in_training
    assert mg.is_grad_enabled()


def test_evaluate_measures_loss_and_accuracy_in_batches_or_at_once():
    model = nn.Linear(2, 2, bias=False)
    with mg.no_grad():
        model.weight.copy_(mg.tensor([[1.0, 0.0], [0.0, 1.0]]))  # predicts argmax(x)
    X = mg.tensor([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    y = mg.tensor([0, 1, 1, 0, 0])  # three of five right
    whole = training.evaluate(model, (X, y), nn.CrossEntropyLoss())
    batched = training.evaluate(model, (X, y), nn.CrossEntropyLoss(), batch_size=2)
    assert whole.accuracy == batched.accuracy == pytest.approx(3 / 5)
    assert batched.loss == pytest.approx(whole.loss, rel=1e-6)
    assert training.evaluate(model, (X, y)).loss is None


def test_evaluate_restores_the_mode_even_when_forward_fails():
    model = nn.Linear(2, 2)
    with pytest.raises(RuntimeError):  # x (1, 5) @ weight.T (2, 2): shapes mismatch in forward
        training.evaluate(model, (mg.ones(1, 5), mg.tensor([0])))
    assert model.training


def test_history_plot_returns_a_figure_with_loss_and_accuracy_panels():
    import matplotlib

    matplotlib.use("Agg")
    history = training.History(
        epochs=[1, 2],
        train_loss=[1.0, 0.5],
        train_accuracy=[0.5, 0.8],
        test_loss=[1.1, 0.7],
        test_accuracy=[0.4, 0.7],
    )
    fig = history.plot()
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_title() == "loss" and acc_ax.get_title() == "accuracy"
    assert [list(line.get_ydata()) for line in loss_ax.lines] == [[1.0, 0.5], [1.1, 0.7]]
    assert [list(line.get_ydata()) for line in acc_ax.lines] == [[0.5, 0.8], [0.4, 0.7]]
    fig.savefig(__import__("io").BytesIO(), format="png")


def test_fit_shows_a_progress_bar_unless_disabled(capsys):
    X, y = mg.ones(4, 2), mg.tensor([0, 1, 0, 1])
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    training.fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=2, progress=False)
    assert capsys.readouterr().err == ""
    training.fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=2, progress=True)
    assert "training" in capsys.readouterr().err
