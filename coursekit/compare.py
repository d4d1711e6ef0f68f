"""Side by side: run the same example on minigrad and, when installed, PyTorch.

An example is a function of ``lib`` (``minigrad`` or ``torch``) returning what
to show. ``side_by_side(example)`` prints minigrad's answer, then PyTorch's on
a line of its own starting with ``PyTorch`` (notebook checks mask that line,
since it depends on whether PyTorch is installed), and raises if the two
disagree, so a stored notebook can never show minigrad contradicting PyTorch.
"""

import importlib
import re
import warnings


def _torch():
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


def _normalise(value):
    """Text of a result, with library names made neutral (torch. / minigrad.)."""
    text = value if isinstance(value, str) else repr(value)
    text = re.sub(r"\(Triggered internally at [^)]*\)", "", text)
    text = text.replace("torch.", "LIB.").replace("minigrad.", "LIB.")
    text = text.replace("torch::", "LIB::").replace("minigrad::", "LIB::")
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", text)
    return text.strip()


def run(example, lib):
    """The example's result on ``lib``, or the error it raised, as text."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = example(lib)
        text = _normalise(result)
        for w in caught:
            text = f"{w.category.__name__}: {_normalise(str(w.message))}\n{text}"
        return text
    except Exception as error:  # noqa: BLE001 - the error is the observation
        return f"{type(error).__name__}: {_normalise(str(error))}"


def side_by_side(example):
    """Print minigrad's result and PyTorch's, and check they are the same."""
    import minigrad

    mine = run(example, minigrad)
    print(mine.replace("LIB.", "minigrad.").replace("LIB::", "minigrad::"))
    torch = _torch()
    if torch is None:
        print("PyTorch: not installed here, so not compared live (pip install torch==2.13.0)")
        return
    theirs = run(example, torch)
    if theirs != mine:
        print(
            f"PyTorch {torch.__version__.split('+')[0]} differs:\n"
            + theirs.replace("LIB.", "torch.").replace("LIB::", "torch::")
        )
        raise AssertionError("minigrad and PyTorch disagree on this example")
    print(f"PyTorch {torch.__version__.split('+')[0]}: the same")
