"""Corners where minigrad differed from PyTorch 2.13, found by probing both side by side.

Each expected value (message, warning, dtype) was recorded from torch 2.13.0 (CPU) on
the same call; the comment above each case quotes the call. The fuzzer's programs
(tests/fuzz) do not reach these corners: errors of shape arguments, hooks that return
something odd, arguments of the wrong type.
"""

import pytest

import minigrad as mg


@pytest.mark.parametrize(
    ("shape", "sizes", "message"),
    [
        # torch.ones(2, 1).expand(3, 3): the mismatch is dimension 0, not the last one
        (
            (2, 1),
            (3, 3),
            r"tensor \(3\) must match the existing size \(2\) at non-singleton "
            r"dimension 0\.  Target sizes: \[3, 3\]\.  Tensor sizes: \[2, 1\]$",
        ),
        # torch.ones(2, 3).expand(4, 2, 4): dimensions count in the target
        (
            (2, 3),
            (4, 2, 4),
            r"tensor \(4\) must match the existing size \(3\) at non-singleton "
            r"dimension 2\.",
        ),
        # torch.ones(2).expand(3, -2)
        (
            (2,),
            (3, -2),
            r"tensor \(-2\) must match the existing size \(2\) at non-singleton "
            r"dimension 1\.",
        ),
        # torch.ones(1).expand(-5)
        ((1,), (-5,), r"^numel: integer multiplication overflow$"),
    ],
)
def test_expand_names_the_dimension_pytorch_names(shape, sizes, message):
    with pytest.raises(RuntimeError, match=message):
        mg.ones(*shape).expand(*sizes)
