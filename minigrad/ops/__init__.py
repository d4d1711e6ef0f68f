"""The operations, each a Function (forward beside backward), one module per family.

- ``common``: turning what the user passed into an op's inputs (numbers, checks).
- ``elementwise``: + - * / ** where, and the unary maths functions.
- ``compare``: maximum, minimum and the comparisons == < ... (bool results).
- ``reduce``: sum, mean, max, softmax.
- ``matrix``: mm, matmul, dot, mv.
- ``shape``: view/reshape, transpose, squeeze, expand, clone, dtype conversions.
- ``indexing``: t[key] (views for basic keys, a copy for tensor keys).
- ``join``: cat, stack.
- ``inplace``: add_ mul_ ... and ``t[i] = v``: version counters at work.
- ``fused``: one node where PyTorch records one (linear's addmm, the losses, batch norm).
"""
