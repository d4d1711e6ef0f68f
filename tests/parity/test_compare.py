"""A Difference reads as the lines a failing parity test prints."""

from .compare import Difference


def test_a_difference_prints_as_its_description():
    difference = Difference("b", "grad_fn", "MulBackward0", "AddBackward0")
    assert str(difference) == (
        "'b' field grad_fn:\n    torch:    'MulBackward0'\n    minigrad: 'AddBackward0'"
    )
    assert str(difference) == difference.describe()
