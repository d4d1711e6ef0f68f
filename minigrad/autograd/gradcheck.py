"""gradcheck: is a backward formula right? Ask finite differences.

For every input element x_i, the central difference
``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` approximates column i of the
Jacobian; backward gives the same Jacobian one output element at a time. They
must agree within ``atol + rtol * |numerical|``. Use float64 inputs: in
float32, rounding alone breaks the comparison.

As PyTorch's, it also checks its inputs first, and afterwards two things a
Jacobian cannot show: that backward multiplies by the output's gradient (a
zero gradient in gives zeros out), and that backward copes when no gradient
reaches an output at all.
"""

import warnings

import numpy as np

from ..engine import execute, grad
from ..tensor import Tensor, _wrap


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical Jacobians differ."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, tuple) else (out,)


def _same_kind(minus, plus, eps, index):
    """Outputs at ``x - eps`` and ``x + eps`` must have the same shapes and dtypes."""
    for a, b in zip(minus, plus):
        for what, first, second in (("shape", a.shape, b.shape), ("dtype", a.dtype, b.dtype)):
            if first != second:
                raise AssertionError(
                    f"Expected `func` to return outputs with the same {what} when inputs are "
                    f"perturbed on index {index} by {eps}, but got: {what}s {first} and {second}."
                )


def _flat(outputs):
    """The outputs' values, flat, as float64 copies."""
    return [o._data.astype(np.float64).reshape(-1).copy() for o in outputs]


def _numerical_jacobian(fn, inputs, i, eps):
    """Each output's Jacobian, column k from moving input element k by -eps and +eps."""
    x = inputs[i]
    flat = x._data.reshape(-1)  # a view: perturb the input's own memory
    # (fn runs with grad on: it may register hooks)
    jacobians = [np.zeros((o._data.size, flat.size)) for o in _outputs(fn, inputs)]
    for k in range(flat.size):
        original = flat[k]
        flat[k] = original - eps
        minus = _outputs(fn, inputs)
        minus_values = _flat(minus)  # copied now: an output may share the input's memory
        flat[k] = original + eps
        plus = _outputs(fn, inputs)
        plus_values = _flat(plus)
        flat[k] = original
        _same_kind(minus, plus, eps, tuple(int(n) for n in np.unravel_index(k, x.shape)))
        for jacobian, p, m in zip(jacobians, plus_values, minus_values):
            jacobian[:, k] = (p - m) / (2 * eps)
    return jacobians


def _analytical_jacobian(fn, inputs, i):
    """Backward's Jacobian for each output: row k is the gradient of the output's element k."""
    x = inputs[i]
    jacobians = []
    for out in _outputs(fn, inputs):
        jacobian = np.zeros((out._data.size, x._data.size))
        for k in range(out._data.size):
            seed = np.zeros(out._data.size, dtype=out._data.dtype)
            seed[k] = 1
            seed = _wrap(seed.reshape(out._data.shape))
            (g,) = grad(out, x, grad_outputs=seed, retain_graph=True, allow_unused=True)
            if g is not None:  # (None: this output does not depend on x)
                jacobian[k] = g._data.reshape(-1)
        jacobians.append(jacobian)
    return jacobians


def _check_inputs(inputs):
    """At least one input requires grad; warn for float32; no stride-0 (expanded) input."""
    needed = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in needed:
        x = inputs[i]
        if x.dtype.name != "float64":
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ",
                UserWarning,
                stacklevel=3,
            )
        if any(s == 0 and n > 1 for s, n in zip(x._data.strides, x._data.shape)):
            raise RuntimeError(
                f"The {i}th input has a dimension with stride 0. gradcheck only supports "
                "inputs that are non-overlapping to be able to compute the numerical "
                "gradients correctly. You should call .contiguous on the input before "
                "passing it to gradcheck."
            )
    if not needed:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of "
            "them have requires_grad=True."
        )
    return needed


def _check_jacobians(func, inputs, needed, eps, atol, rtol):
    """Numerical against analytical, input by input, output by output."""
    differentiable = [o for o in _outputs(func, inputs) if o.requires_grad]
    for i in needed:
        numerical = _numerical_jacobian(func, inputs, i, eps)
        if not differentiable:  # nothing to differentiate: f must not depend on x either
            if any(np.any(n != 0) for n in numerical):
                raise GradcheckError("Numerical gradient for function expected to be zero")
            continue
        analytical = _analytical_jacobian(func, inputs, i)
        for j, (n, a) in enumerate(zip(numerical, analytical)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                raise GradcheckError(
                    f"Jacobian mismatch for output {j} with respect to input {i},\n"
                    f"numerical:{_wrap(n)!r}\nanalytical:{_wrap(a)!r}\n"
                )
    return differentiable


def _check_multiplied_by_grad_output(outputs, inputs):
    """Zero gradients for the outputs must give zero gradients for the inputs."""
    zeros = [_wrap(np.zeros_like(o._data)) for o in outputs]
    for g in grad(outputs, inputs, zeros, allow_unused=True):
        if g is not None and np.any(g._data != 0):
            raise GradcheckError("backward not multiplied by grad_output")


def _check_undefined_grad(func, args, inputs):
    """Backward must cope when no gradient reaches the outputs at all (None, not zeros)."""
    outputs = [o for o in _outputs(func, args) if isinstance(o, Tensor) and o.requires_grad]
    try:
        found = execute(outputs, [None] * len(outputs), None, False, inputs).grads
    except RuntimeError as error:
        raise GradcheckError(
            "Expected backward function to handle undefined output grads. Please look at "
            '"Notes about undefined output gradients" in "tools/autograd/derivatives.yaml"'
        ) from error
    if any(g is not None and np.any(g != 0) for g in found):
        raise GradcheckError(
            "Expected all input grads to be undefined or zero when all output grads are "
            'undefined or zero. Please look at "Notes about undefined output gradients" in '
            '"tools/autograd/derivatives.yaml"'
        )


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check ``func``'s gradients against finite differences; True if they agree.

    A failed check raises ``GradcheckError`` (or, ``raise_exception=False``,
    returns False); a function whose outputs change shape or dtype when an input
    moves by ``eps`` cannot be checked (``AssertionError``).
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    needed = _check_inputs(inputs)
    try:
        outputs = _check_jacobians(func, inputs, needed, eps, atol, rtol)
        if outputs:
            tensors = [inputs[i] for i in needed]
            _check_multiplied_by_grad_output(outputs, tensors)
            _check_undefined_grad(func, inputs, tensors)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True
