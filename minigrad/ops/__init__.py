"""The operations: one module per family, each op's forward and backward side by side.

- ``common``: what every op shares (type promotion of inputs, making the output,
  deciding whether to record, and ``unbroadcast``).
- ``elementwise``: + - * / ** and the unary maths functions.
- ``reduce``: sum, mean, max, softmax.
- ``matmul``: mm, matmul, dot, mv.
- ``shape``: view/reshape, transpose, squeeze, indexing, cat, stack, clone.
- ``inplace``: add_ mul_ ... and ``t[i] = v``: version counters at work.
"""
