"""neutral_text drops PyTorch's note of where in its C++ code a warning came from, and only that
(``coursekit.compare.without_cpp_origin``, which the lectures' side-by-side uses too).

PyTorch 2.13 formats a warning raised in C++ as ``"{} (Triggered internally at {}:{}.)"``
(the format string is in libtorch_python, from torch/csrc/Exceptions.cpp): the
message, then the source file and line. The texts below are made on that pattern;
the live test takes one from PyTorch itself.
"""

import warnings

import pytest

from coursekit import compare

from .libraries import load
from .observe import neutral_text

MESSAGE = "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed."


def test_the_note_at_the_end_goes():
    noted = MESSAGE + " (Triggered internally at /pytorch/aten/src/ATen/core/TensorBody.h:493.)"
    assert neutral_text(noted) == MESSAGE


def test_a_file_name_with_parentheses_or_spaces_goes_whole():
    noted = MESSAGE + " (Triggered internally at  /w/pytorch (copy)/aten/TensorBody.h:493.)"
    assert neutral_text(noted) == MESSAGE


def test_a_message_of_several_lines_keeps_them():
    text = "addmm_ is deprecated:\n\taddmm_(Number beta, Tensor mat1)\nConsider another one"
    noted = text + " (Triggered internally at python_arg_parser.cpp:1661.)"
    assert neutral_text(noted) == text


@pytest.mark.parametrize(
    "text",
    [
        # not at the end: part of what the program printed, kept
        "a (Triggered internally at T.h:1.) b",
        # not PyTorch's form: no line number, no full stop, no space before it
        MESSAGE + " (Triggered internally at TensorBody.h)",
        MESSAGE + " (Triggered internally at TensorBody.h:493)",
        MESSAGE + "(Triggered internally at TensorBody.h:493.)",
        # another parenthesis at the end
        "grad can be implicitly created only for scalar outputs (see the docs)",
    ],
)
def test_anything_else_is_kept(text):
    assert neutral_text(text) == text


def test_the_lectures_side_by_side_drops_it_the_same_way():
    noted = MESSAGE + " (Triggered internally at /pytorch/aten/src/ATen/core/TensorBody.h:493.)"
    assert compare._normalise(noted) == MESSAGE
    assert compare._normalise("a (Triggered internally at T.h:1.) b") == (
        "a (Triggered internally at T.h:1.) b"
    )


def test_only_the_last_note_goes():
    first = "x (Triggered internally at a.h:1.)"
    noted = first + " (Triggered internally at b.h:2.)"
    assert neutral_text(noted) == first


@pytest.mark.torch_live
def test_pytorchs_own_warning_text_becomes_minigrads():
    def non_leaf_grad_warning(lib):
        b = lib.tensor([1.0], requires_grad=True) * 2
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            b.grad  # noqa: B018 - reading it is what warns
        (warning,) = caught
        return str(warning.message)

    torchs = non_leaf_grad_warning(load("torch"))
    assert "(Triggered internally at " in torchs
    assert neutral_text(torchs) == neutral_text(non_leaf_grad_warning(load("minigrad")))
