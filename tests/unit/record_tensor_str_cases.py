"""Record PyTorch's tensor reprs into tensor_str_cases.json (needs torch).

Run from anywhere: ``python tests/unit/record_tensor_str_cases.py``. Each case
stores a tensor's data (flat list, shape, dtype), the suffix minigrad's Tensor
would pass (``requires_grad=True`` or ``grad_fn=<...>``) and ``repr(tensor)``
exactly as PyTorch printed it. test_tensor_str.py replays the cases without
torch, so the usual test run still compares minigrad with PyTorch. The data is
stored, not regenerated, so the file stays valid whatever numpy's RNG does.
"""

import json
import math
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).with_name("tensor_str_cases.json")
DTYPES = ["float32", "float64", "int64", "int32", "bool"]
SPECIALS = [math.nan, math.inf, -math.inf, 0.0, -0.0]


def record(name, tensor):
    """One case: the tensor's data, the caller's suffixes and PyTorch's repr."""
    if tensor.grad_fn is not None:
        suffixes = [f"grad_fn=<{type(tensor.grad_fn).__name__}>"]
    elif tensor.requires_grad:
        suffixes = ["requires_grad=True"]
    else:
        suffixes = []
    data = tensor.detach().numpy()
    return {
        "name": name,
        "dtype": str(data.dtype),
        "shape": list(data.shape),
        # tolist() gives Python floats that hold float32 values exactly.
        "data": data.ravel().tolist(),
        "suffixes": suffixes,
        "torch_repr": repr(tensor),
    }


def leaf(values, dtype="float32", requires_grad=False):
    t = torch.tensor(np.asarray(values, dtype=dtype))
    return t.requires_grad_() if requires_grad else t


def course_cases():
    """The reprs the course's source material shows (PyTorch 1.7 sessions, re-run here)."""
    torch.manual_seed(20200910)
    a = torch.randn(3, 4, requires_grad=True)
    b = a * 2
    with torch.no_grad():
        c = a * 2
    b.sum().backward()
    x = torch.arange(9, dtype=torch.float).view(3, 3)
    y = leaf(
        [[-0.2810, -2.7142, 1.8053], [-0.6549, 1.0730, -1.9470], [0.5629, -0.0692, -0.7376]],
        requires_grad=True,
    )
    torch.mm(x, y).sum().backward()
    return [
        record("course_randn_3x4_requires_grad", a),
        record("course_times_two_mul_backward", b),
        record("course_times_two_no_grad", c),
        record("course_sum_scalar", c.sum()),
        record("course_sum_scalar_sum_backward", b.sum()),
        record("course_grad_of_twos", a.grad),
        record("course_arange_3x3", x),
        record("course_grad_nines_twelves_fifteens", y.grad),
        record("course_z_sum_backward", leaf([-32.7122], requires_grad=True).sum()),
    ]


def scalar_cases():
    values = [
        0.0,
        -0.0,
        math.nan,
        math.inf,
        -math.inf,
        1e-5,
        1e9,
        3.0,
        0.1,
        -2.5,
        123456.789,
        1e-300,
    ]
    cases = []
    for dtype in ("float32", "float64"):
        for v in values:
            cases.append(record(f"scalar_{dtype}_{v!r}", leaf(v, dtype)))
    for v in (0, -7, 2**31 - 1, -(2**31)):
        cases.append(record(f"scalar_int32_{v}", leaf(v, "int32")))
    for v in (0, 42, 2**63 - 1, -(2**63)):
        cases.append(record(f"scalar_int64_{v}", leaf(v, "int64")))
    cases.append(record("scalar_bool_true", leaf(True, "bool")))
    cases.append(record("scalar_bool_false", leaf(False, "bool")))
    cases.append(record("scalar_requires_grad", leaf(6.1559, requires_grad=True)))
    return cases


def edge_cases():
    """Hand-picked boundaries of the format rules."""
    f = [
        ("int_valued_floats", [1.0, -2.0, 30.0], "float32"),
        ("only_zeros_and_negative_zero", [0.0, -0.0, 0.0], "float32"),
        ("nan_only", [math.nan, math.nan], "float32"),
        ("nan_and_integers", [math.nan, 1.0, -12.0], "float32"),
        ("inf_and_decimals", [math.inf, 0.5, -math.inf], "float64"),
        ("negative_zero_with_decimals", [-0.0, 0.25, 1.5], "float32"),
        ("negative_zero_with_sci", [-0.0, 1e-7, 2.0], "float32"),
        ("ratio_exactly_1000_stays_fixed", [1.0, 1000.0], "float64"),
        ("ratio_just_above_1000_goes_sci", [1.0, 1000.5], "float64"),
        ("max_1e8_stays_fixed", [1e8, 2e7], "float64"),
        ("max_above_1e8_goes_sci", [100000001.0, 2e7], "float64"),
        ("min_1e-4_float64_stays_fixed", [1e-4, 0.05], "float64"),
        ("min_1e-4_float32_goes_sci_because_float32_is_below", [1e-4, 0.05], "float32"),
        ("large_integers_fixed", [99999999.0, 12345678.0, 100000.0], "float64"),
        ("integers_in_sci", [1.0, 1e10], "float64"),
        ("rounding_half_even_binary", [0.00015, 0.12345, 2.00005, 1.99995], "float64"),
        ("rounding_float32_values", [0.1, 0.2, 0.3, 1.00005], "float32"),
        ("huge_and_tiny_float64", [1e300, 1e-300, -5e-324], "float64"),
        ("float32_subnormal", [1e-45, 1.0], "float32"),
        ("float32_max", [3.4028234663852886e38, -1.0], "float32"),
        ("mixed_signs_widths", [-1234.5, 0.001, 7.0], "float64"),
    ]
    cases = [record(f"edge_{name}", leaf(v, d)) for name, v, d in f]
    cases += [
        record("edge_int64_widths", leaf([-(2**63), 0, 5, 2**63 - 1], "int64")),
        record("edge_int32_negative", leaf([-5, 10, -100], "int32")),
        record("edge_bool_mixed", leaf([True, False, True], "bool")),
        record("edge_bool_matrix", leaf([[True, False], [False, False]], "bool")),
    ]
    return cases


def empty_cases():
    cases = []
    for shape in [(0,), (0, 3), (2, 0), (0, 0, 2), (1, 0, 1, 2)]:
        for dtype in DTYPES:
            empty = torch.zeros(shape, dtype=getattr(torch, dtype))
            cases.append(record(f"empty_{dtype}_{shape}", empty))
    empty64 = torch.zeros(0, 3, dtype=torch.float64, requires_grad=True)
    cases.append(record("empty_float64_requires_grad", empty64))
    cases.append(record("empty_float32_requires_grad", torch.zeros(0, requires_grad=True)))
    cases.append(record("empty_float64_grad_fn", empty64.reshape(3, 0) * 2))
    # Long size= items push the following suffixes onto later lines.
    for k, dims in [(2, 3), (3, 3), (4, 3), (5, 3), (6, 3), (9, 2), (3, 6)]:
        side = 10**k - 1
        long_size = torch.zeros(0, *[side] * dims, dtype=torch.float64, requires_grad=True)
        name = f"empty_long_size_{k}_digits_{dims}_dims"
        cases.append(record(name, long_size))
        cases.append(record(name + "_int32", long_size.detach().int()))
    return cases


def layout_cases(rng):
    """Row wrapping, nesting and suffix line breaks."""
    cases = [
        record("wrap_1d_float32_30", leaf(rng.standard_normal(30))),
        record("wrap_1d_int64_40", leaf(rng.integers(-(10**6), 10**6, 40), "int64")),
        record("wrap_1d_bool_25", leaf(rng.random(25) < 0.5, "bool")),
        record("wrap_1d_sci_20", leaf(rng.standard_normal(20) * 1e-6, "float64")),
        record("wrap_2d_rows", leaf(rng.standard_normal((3, 15)))),
        record("wrap_3d_rows", leaf(rng.standard_normal((2, 2, 14)) * 100, "float64")),
        record("nested_4d", leaf(rng.integers(-9, 9, (2, 3, 2, 2)).astype(float))),
        record("nested_4d_int32", leaf(rng.integers(-99, 99, (2, 1, 3, 2)), "int32")),
        record("nested_3d_requires_grad", leaf(rng.standard_normal((2, 2, 3)), requires_grad=True)),
    ]
    # Suffixes near the line width: pick row lengths that put the last line
    # around column 60, where "dtype=torch.float64" must move to a new line.
    for n in range(5, 12):
        row = leaf(rng.standard_normal(n), "float64", requires_grad=True)
        cases.append(record(f"suffix_wrap_float64_{n}", row))
        cases.append(record(f"suffix_wrap_grad_fn_{n}", row * 1.5))
    for n in range(6, 10):
        row = leaf(rng.integers(-(10**7), 10**7, n), "int32")
        cases.append(record(f"suffix_wrap_int32_{n}", row))
    return cases + suffix_boundary_cases()


def suffix_boundary_cases():
    """Rows whose suffix lands within a character or two of the 80-column limit."""
    cases = []
    # Entries 2 to 11 characters wide ("1." ... "123456.5000"), rows of 1-15.
    widths = (1.0, 10.0, 100.0, 1000.0, 1.5, 12.5, 123.5, 1234.5, 12345.5, 123456.5)
    for value in widths:
        for n in range(1, 16):
            variants = {
                "requires_grad": leaf([value] * n, requires_grad=True),
                "grad_fn": leaf([value] * n, requires_grad=True) * 1,
                "float64": leaf([value] * n, "float64"),
            }
            for label, tensor in variants.items():
                bare = repr(tensor.detach().float())  # the repr before any suffix
                suffix = repr(tensor)[len(bare) - 1 :].lstrip(",\n )")
                one_line = len(bare) + 2 + len(suffix)  # "tensor([...]), suffix)"
                if 79 <= one_line <= 82 and "\n" not in bare:
                    cases.append(record(f"suffix_boundary_{label}_{value}_x{n}", tensor))
    return cases


def summarised_cases(rng):
    """More than 1000 elements: only the ends are shown, and only they set the format."""

    def dyadic(shape):  # short, exact decimals keep the JSON file small
        return rng.integers(-40000, 40000, shape) / 1024

    middle_outlier = dyadic(1200)
    middle_outlier[600] = 1e20  # not shown, so it must not switch on sci mode
    cases = [
        record("summary_1000_elements_not_summarised", leaf(np.arange(1000) % 7)),
        record("summary_1001_elements", leaf(dyadic(1001))),
        record("summary_middle_outlier_ignored", leaf(middle_outlier, "float64")),
        record("summary_2d_40x30", leaf(dyadic((40, 30)))),
        record("summary_2d_2x600", leaf(dyadic((2, 600)), "float64")),
        record("summary_2d_600x2_int64", leaf(rng.integers(-50, 50, (600, 2)), "int64")),
        record("summary_3d_11x10x10_sci", leaf(dyadic((11, 10, 10)) * 1e-6, requires_grad=True)),
        record("summary_4d_7x7x7x7", leaf(rng.integers(0, 2, (7, 7, 7, 7)), "bool")),
        record(
            "summary_4d_2x3x13x13_int32", leaf(rng.integers(-999, 999, (2, 3, 13, 13)), "int32")
        ),
        record("summary_1d_random_float32", leaf(rng.standard_normal(1100))),
    ]
    return cases


def random_cases(rng, count):
    """Random tensors of every dtype and rank 0-4 over several value families."""
    cases = []
    for i in range(count):
        ndim = int(rng.integers(0, 5))
        shape = tuple(int(n) for n in rng.integers(1, 6, ndim))
        n = int(np.prod(shape))
        family = ["integers", "unit", "scaled", "mixed_magnitudes", "big_integers"][i % 5]
        if family == "integers":
            values = rng.integers(-1000, 1000, n).astype(float)
        elif family == "unit":
            values = rng.standard_normal(n)
        elif family == "scaled":
            values = rng.standard_normal(n) * 10.0 ** int(rng.integers(-12, 12))
        elif family == "mixed_magnitudes":
            values = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n)
        else:
            values = rng.integers(-(2**40), 2**40, n).astype(float)
        if i % 3 == 0:  # sprinkle nan, inf and signed zeros
            hit = rng.random(n) < 0.25
            values[hit] = rng.choice(SPECIALS, int(hit.sum()))
        dtype = DTYPES[i % len(DTYPES)]
        if dtype in ("int64", "int32"):
            values = np.nan_to_num(values, nan=0.0, posinf=9.0, neginf=-9.0)
            values = np.clip(values, -(2**31), 2**31 - 1)
        elif dtype == "bool":
            values = values > 0
        requires_grad = dtype.startswith("float") and i % 4 == 1
        tensor = leaf(values.reshape(shape), dtype, requires_grad=requires_grad)
        cases.append(record(f"random_{i:03d}_{dtype}_{family}", tensor))
    return cases


def main():
    rng = np.random.default_rng(2024)
    cases = (
        course_cases()
        + scalar_cases()
        + edge_cases()
        + empty_cases()
        + layout_cases(rng)
        + summarised_cases(rng)
        + random_cases(rng, 40)
    )
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    # One case per line keeps diffs readable. Python's json writes nan and inf
    # as NaN and Infinity, which its reader accepts.
    lines = ",\n".join(json.dumps(case) for case in cases)
    recorded_with = json.dumps(f"torch {torch.__version__}, numpy {np.__version__}")
    OUT.write_text(f'{{"recorded_with": {recorded_with},\n"cases": [\n{lines}\n]}}\n')
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
