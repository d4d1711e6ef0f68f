"""gradcheck: is a backward formula right? Ask finite differences.

For every input element x_i, the central difference
``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` approximates column i of the
Jacobian; backward gives the same Jacobian one output element at a time. They
must agree within ``atol + rtol * |numerical|``. Use float64 inputs: in
float32, rounding alone breaks the comparison.
"""

import warnings

import numpy as np

from ..engine import grad
from ..tensor import Tensor, _wrap


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical Jacobians differ."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, tuple) else (out,)


def _numerical_jacobian(fn, inputs, i, eps):
    x = inputs[i]
    flat = x._data.reshape(-1)  # a view: perturb the input's own memory
    # fn runs with grad mode on, as in PyTorch: what it records (x.requires_grad inside
    # fn) is part of what it computes.
    n_out = [o._data.size for o in _outputs(fn, inputs)]
    columns = []
    for k in range(flat.size):
        original = flat[k]
        flat[k] = original + eps
        plus = [o._data.astype(np.float64).reshape(-1).copy() for o in _outputs(fn, inputs)]
        flat[k] = original - eps
        minus = [o._data.astype(np.float64).reshape(-1).copy() for o in _outputs(fn, inputs)]
        flat[k] = original
        columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    # one (n_out x n_in) matrix per output
    return [
        np.stack([c[j] for c in columns], axis=1) if columns else np.zeros((n_out[j], 0))
        for j in range(len(n_out))
    ]


def _analytical_jacobian(fn, inputs, i):
    outputs = _outputs(fn, inputs)
    x = inputs[i]
    jacobians = []
    for out in outputs:
        rows = []
        for k in range(out._data.size):
            seed = np.zeros(out._data.size, dtype=out._data.dtype)
            seed[k] = 1
            g = grad(
                out,
                x,
                grad_outputs=_wrap(seed.reshape(out._data.shape)),
                retain_graph=True,
                allow_unused=True,
            )[0]
            rows.append(
                np.zeros(x._data.size) if g is None else g._data.astype(np.float64).reshape(-1)
            )
        jacobians.append(np.array(rows).reshape(out._data.size, x._data.size))
    return jacobians


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check ``func``'s gradients against finite differences; True if they agree."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype.name != "float64":
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ",
                UserWarning,
                stacklevel=2,
            )
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        numerical = _numerical_jacobian(func, inputs, i, eps)
        analytical = _analytical_jacobian(func, inputs, i)
        for j, (n, a) in enumerate(zip(numerical, analytical)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {j} with respect to input {i},\n"
                    f"numerical:{_wrap(n)!r}\nanalytical:{_wrap(a)!r}\n"
                )
    return True
