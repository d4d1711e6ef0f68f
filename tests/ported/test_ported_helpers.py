"""The shared set-ups of the ported tests do what the tests they replace did."""

import pytest
from ported_helpers import inference_cases, leaves, quadratic, raises_if, tensor, value


def test_raises_if_expects_the_error_where_refused():
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        with raises_if(True, "refused"):
            pass
    with raises_if(True, "refused"):
        raise RuntimeError("refused here")


def test_raises_if_lets_an_error_through_where_allowed():
    with pytest.raises(RuntimeError, match="not expected"):
        with raises_if(False, "refused"):
            raise RuntimeError("not expected")


def test_leaves_are_the_fixed_inputs_of_seeds_1_and_2(lib):
    x, y = leaves(lib, 2, 3)
    assert x.requires_grad and y.requires_grad and x.is_leaf and y.is_leaf
    assert (value(x) == value(tensor(lib, 2, 3, seed=1))).all()
    assert (value(y) == value(tensor(lib, 2, 3, seed=2))).all()
    assert x.dtype == lib.float64


def test_inference_cases_are_a_tensor_that_requires_grad_then_one_that_does_not(lib):
    cases = list(inference_cases(lib))
    assert [requires_grad for requires_grad, _ in cases] == [True, False]
    for requires_grad, s in cases:
        assert s.requires_grad == requires_grad and list(s.shape) == [1, 2, 3]
        assert not s.is_inference()


def test_quadratic_has_the_gradients_its_docstring_says(lib):
    x, y = leaves(lib, 2)
    quadratic(x, y).sum().backward()
    X, Y = value(x), value(y)
    assert (abs(value(x.grad) - (2 * X + Y)) < 1e-12).all()
    assert (abs(value(y.grad) - (X + 2 * Y)) < 1e-12).all()
